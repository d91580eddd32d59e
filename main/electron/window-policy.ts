import { STATUS_CSP } from '../agent/status/status-http.js';

/** The status page is served from this privileged scheme (see app-protocol.ts), never from file:// or http. */
export const APP_SCHEME = 'flowhost';
export const APP_HOST = 'status';
export const STATUS_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The loopback page's policy, except that the window talks over IPC only: it may connect nowhere. */
export const WINDOW_CSP = STATUS_CSP.replace("connect-src 'self'", "connect-src 'none'");

/** True for the status page's own documents (`flowhost://status/…`); any other origin is foreign. */
export function isStatusPageUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '' && parsed.port === '';
}
