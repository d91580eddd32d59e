/**
 * Encrypts a secret at rest. The tray app implements it with Electron's safeStorage (OS keychain / DPAPI /
 * libsecret); the headless agent protects nothing and relies on the file's 0600 mode.
 */
export interface SecretProtector {
  /** Names the mechanism in logs ('safeStorage' …). */
  readonly kind: string;
  /** False when the mechanism cannot encrypt on this machine now (e.g. no keyring on Linux). */
  isAvailable(): boolean;
  protect(plain: string): Uint8Array;
  /** Throws when the data was not protected by this mechanism (or by this user). */
  unprotect(data: Uint8Array): string;
}
