import { describe, expect, it } from 'vitest';
import { plainTextWarning } from '../../../../../main/agent/registration/orchestrator-url.js';

describe('the plain-text orchestrator warning', () => {
  it('is given for http:// and ws:// to a host that is not loopback', () => {
    for (const url of ['http://orchestrator.example:7780', 'http://10.0.0.5:7780/', 'ws://192.0.2.1', 'http://[2001:db8::1]:7780']) expect(plainTextWarning(url), url).toMatch(/unencrypted/);
  });

  it('is not given for https, wss or a loopback orchestrator', () => {
    for (const url of ['https://orchestrator.example', 'wss://10.0.0.5', 'http://127.0.0.1:7780', 'http://127.1.2.3', 'http://[::1]:7780', 'http://localhost:7780', 'http://agent.localhost']) {
      expect(plainTextWarning(url), url).toBeUndefined();
    }
  });
});
