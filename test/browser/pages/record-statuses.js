// Evaluated in the status page: records every status each session row shows, in order, in window.__seen[sessionId]
// (a MutationObserver, so states shown only briefly count too).
(() => {
  const seen = {};
  window.__seen = seen;
  const scan = () => {
    for (const cell of document.querySelectorAll('tr[data-session-id] [data-status]')) {
      const id = cell.closest('tr').dataset.sessionId;
      const list = (seen[id] ??= []);
      if (list.at(-1) !== cell.dataset.status) list.push(cell.dataset.status);
    }
  };
  new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  scan();
})();
