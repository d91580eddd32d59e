// Runs in the page before its own scripts (page.addInitScript): reports CSP violations to the test.
document.addEventListener('securitypolicyviolation', (e) => {
  window.__flowhostCsp(`${e.violatedDirective} blocked ${e.blockedURI}`);
});
