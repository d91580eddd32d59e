import type { ServiceSpec } from '../../../../../main/agent/service/service-spec.js';

export const spec = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  command: ['/usr/bin/node', '/opt/flowhost/bin/flowhost.js'],
  configFile: '/etc/flowhost/agent.json',
  dataDir: '/var/lib/flowhost',
  stopTimeoutS: 90,
  ...over,
});
