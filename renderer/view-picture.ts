import type { SessionScreenshot } from '../shared/status.js';
import { h } from './dom.js';
import { formatTime } from './format.js';

let shownUrl: string | undefined;

/**
 * The picture of a failed run's display. It arrives as a command's reply (so through either transport, with the
 * token) and is shown from a blob: URL this script makes: the CSP allows `img-src 'self' blob:`, not `data:`, and the
 * image needs no route of its own. The previous URL is revoked when the picture changes.
 */
export function renderPicture(target: HTMLElement, shot: SessionScreenshot | undefined, name = ''): void {
  if (shownUrl) URL.revokeObjectURL(shownUrl);
  shownUrl = undefined;
  if (!shot) {
    target.replaceChildren();
    target.hidden = true;
    return;
  }
  const bytes = Uint8Array.from(atob(shot.pngBase64), (c) => c.charCodeAt(0));
  shownUrl = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
  const caption = `The display of ${name} when it ended, ${formatTime(shot.takenon)}`;
  target.replaceChildren(
    h('figcaption', { class: 'muted', text: caption }),
    h('img', { class: 'picture', attrs: { src: shownUrl, alt: caption, 'data-session-id': shot.sessionId } }),
  );
  target.hidden = false;
}
