import { safeStorage } from 'electron';
import type { SecretProtector } from '../agent/registration/secret-protector.js';

/**
 * Electron's safeStorage: Keychain on macOS, DPAPI on Windows, the Secret Service / KWallet on Linux. On Linux
 * without a keyring it falls back to a hard-coded key ('basic_text'), which protects nothing: treated as unavailable.
 */
export const safeStorageProtector: SecretProtector = {
  kind: 'safeStorage',
  isAvailable: () => safeStorage.isEncryptionAvailable() && !(process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text'),
  protect: (plain) => safeStorage.encryptString(plain),
  unprotect: (data) => safeStorage.decryptString(Buffer.from(data)),
};
