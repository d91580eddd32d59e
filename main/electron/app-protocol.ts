import { protocol, type Session } from 'electron';
import type { StatusAssets } from '../agent/status/status-assets.js';
import { SECURITY_HEADERS } from '../agent/status/status-http.js';
import { APP_HOST, APP_SCHEME, WINDOW_CSP } from './window-policy.js';

/** Must run before `app` is ready: `flowhost://` behaves like https (own origin, secure context). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
}

/** Serves the built status page in the window's session; only the page's own files, each with the window's CSP. */
export function serveStatusPage(session: Session, assets: StatusAssets): void {
  session.protocol.handle(APP_SCHEME, (request) => {
    const url = new URL(request.url);
    const asset = url.host === APP_HOST && request.method === 'GET' ? assets.get(url.pathname) : undefined;
    if (!asset) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    return new Response(new Uint8Array(asset.body), { headers: { ...SECURITY_HEADERS, 'Content-Security-Policy': WINDOW_CSP, 'content-type': asset.type } });
  });
}
