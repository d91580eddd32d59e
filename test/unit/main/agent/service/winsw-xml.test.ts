import { describe, expect, it } from 'vitest';
import { windowsArg } from '../../../../../main/agent/service/service-text.js';
import { winswXml } from '../../../../../main/agent/service/winsw-xml.js';
import { spec } from './service-fixtures.js';

const winSpec = spec({
  command: ['C:\\Program Files\\flowhost\\node.exe', 'C:\\Program Files\\flowhost\\bin\\flowhost.js'],
  configFile: 'C:\\ProgramData\\flowhost\\agent.json',
  dataDir: 'C:\\ProgramData\\flowhost',
});

describe('windowsArg', () => {
  it.each([
    ['plain', 'plain'],
    ['two words', '"two words"'],
    ['', '""'],
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\dir with space\\', '"C:\\dir with space\\\\"'],
    ['a\\\\"b', '"a\\\\\\\\\\"b"'],
    ['C:\\no\\space', 'C:\\no\\space'],
  ])('%s → %s', (arg, quoted) => {
    expect(windowsArg(arg)).toBe(quoted);
  });
});

describe('winswXml', () => {
  it('runs the executable with quoted arguments, restarts on failure and stops with the drain timeout', () => {
    const xml = winswXml(winSpec);
    expect(xml).toContain('<executable>C:\\Program Files\\flowhost\\node.exe</executable>');
    expect(xml).toContain('<arguments>"C:\\Program Files\\flowhost\\bin\\flowhost.js" agent --config C:\\ProgramData\\flowhost\\agent.json</arguments>');
    expect(xml).toContain('<env name="FLOWHOST_DATA_DIR" value="C:\\ProgramData\\flowhost"/>');
    expect(xml).toContain('<onfailure action="restart" delay="10 sec"/>');
    expect(xml).toContain('<stoptimeout>90 sec</stoptimeout>');
    expect(xml).toContain('<stopparentprocessfirst>true</stopparentprocessfirst>');
    expect(xml).not.toContain('<serviceaccount>');
  });

  it('adds a service account when a user is given, escaped', () => {
    expect(winswXml({ ...winSpec, user: 'CORP\\flow&bot' })).toContain('<username>CORP\\flow&amp;bot</username>');
  });

  it('refuses a relative data dir', () => {
    expect(() => winswXml({ ...winSpec, dataDir: 'flowhost' })).toThrow(/absolute/);
  });
});
