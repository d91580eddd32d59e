/** The orchestrator's public surface: what main/cli.ts starts. */
export { startOrchestrator, createOrchestratorLogger, DEFAULT_PORT, DEFAULT_BODY_LIMIT_BYTES, type OrchestratorOptions, type RunningOrchestrator, type TlsIdentity } from './server.js';
export { ADMIN_TOKEN_ENV, ADMIN_TOKEN_FILE, AdminTokenError } from './admin-token.js';
export { parseTrustProxy, TrustProxyError, TRUST_PROXY_ENV, type TrustProxy } from './trust-proxy.js';
export { StoreLocationError, storePasswordGiven } from './store/store.js';
