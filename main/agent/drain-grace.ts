/**
 * How long a graceful stop waits: running sessions get DRAIN_GRACE_MS to finish (then are cancelled), and the
 * outbox gets DRAIN_FLUSH_TIMEOUT_MS for its acks. One value for `flowhost agent` (SIGTERM), the tray's "Drain and
 * quit" and the service definitions, whose stop timeout must exceed both or the service manager kills a drain.
 */
export const DRAIN_GRACE_MS = 60_000;
export const DRAIN_FLUSH_TIMEOUT_MS = 10_000;
