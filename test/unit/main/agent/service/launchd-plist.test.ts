import { describe, expect, it } from 'vitest';
import { launchdPlist } from '../../../../../main/agent/service/launchd-plist.js';
import { spec } from './service-fixtures.js';

describe('launchdPlist', () => {
  it('lists the argv one string each, the data dir, keep-alive on failure and the stop timeout', () => {
    const plist = launchdPlist(spec({ dataDir: '/Library/Application Support/flowhost' }));
    expect(plist).toContain(
      ['<array>', '<string>/usr/bin/node</string>', '<string>/opt/flowhost/bin/flowhost.js</string>', '<string>agent</string>', '<string>--config</string>', '<string>/etc/flowhost/agent.json</string>', '</array>'].join('\n    ').replace('\n    </array>', '\n  </array>'),
    );
    expect(plist).toMatch(/<key>FLOWHOST_DATA_DIR<\/key>\s*<string>\/Library\/Application Support\/flowhost<\/string>/);
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    expect(plist).toMatch(/<key>ExitTimeOut<\/key>\s*<integer>90<\/integer>/);
    expect(plist).not.toContain('<key>UserName</key>');
  });

  it('names the user when given and escapes XML', () => {
    const plist = launchdPlist(spec({ user: '_flowhost', configFile: '/etc/a&b<c>.json' }));
    expect(plist).toMatch(/<key>UserName<\/key>\s*<string>_flowhost<\/string>/);
    expect(plist).toContain('<string>/etc/a&amp;b&lt;c&gt;.json</string>');
  });
});
