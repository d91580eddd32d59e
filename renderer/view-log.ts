import type { LogTail } from '../shared/status.js';
import { h } from './dom.js';
import { formatTime } from './format.js';

/** The end of a session's log, one line per entry, stderr marked; keeps the view at the bottom if it was there. */
export function renderLog(target: HTMLElement, tail: LogTail): void {
  const atBottom = target.scrollHeight - target.scrollTop - target.clientHeight < 8;
  if (tail.lines.length === 0) {
    target.replaceChildren(h('span', { class: 'muted', text: '(no log lines yet)' }));
    return;
  }
  target.replaceChildren(
    ...tail.lines.map((line) =>
      h('div', { class: `log-line log-${line.stream}` }, h('span', { class: 'log-time', text: `${formatTime(line.at)} ` }), h('span', { text: line.message })),
    ),
  );
  if (atBottom) target.scrollTop = target.scrollHeight;
}
