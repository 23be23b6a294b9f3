import { createSealer, loadOrCreateMasterKey, subkeyOf } from '../../../platform/sealed-secrets.ts';
import { hashRecoveryCode } from './recovery-codes.ts';

export const MFA_KEY_FILE_ENV = 'MFA_KEY_FILE';
export const GENERATED_MFA_KEY_FILE_NAME = 'mfa.key';

/**
 * The server's MFA key: TOTP secrets are sealed with AES-256-GCM under a subkey of it (bound to
 * the user, so a sealed secret copied to another user's row does not open), and recovery codes
 * are kept as HMAC-SHA-256 under another subkey, so a stolen table cannot even be checked offline.
 * Sealed text: `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url): a secret sealed under another
 * key is reported as such, not as corrupt.
 */
export interface MfaKey {
  readonly keyId: string;
  seal(userId: string, secret: string): string;
  /** Throws when the text was sealed under another key or altered. */
  open(userId: string, sealed: string): string;
  hashRecoveryCode(code: string): string;
}

export function mfaKeyFrom(master: Buffer): MfaKey {
  const sealer = createSealer({
    master,
    purpose: 'mfa/totp-secret',
    label: 'totp-secret',
    what: 'MFA secret',
    keyName: 'MFA key',
    otherKeyRemedy: `set ${MFA_KEY_FILE_ENV} to the same key on every instance`,
  });
  const recovery = subkeyOf(master, 'mfa/recovery-code');
  return Object.freeze({
    keyId: sealer.keyId,
    seal: sealer.seal,
    open: sealer.open,
    hashRecoveryCode: (code: string) => hashRecoveryCode(code, recovery),
  });
}

/**
 * MFA_KEY_FILE when set (a missing or malformed file stops the start), otherwise
 * `<dataDir>/mfa.key`, generated at first start.
 */
export function loadOrCreateMfaKey(options: { keyFile: string | null; dataDir: string }): {
  key: MfaKey;
  created: boolean;
  path: string;
} {
  const { master, created, path } = loadOrCreateMasterKey({
    ...options,
    envName: MFA_KEY_FILE_ENV,
    fileName: GENERATED_MFA_KEY_FILE_NAME,
    label: 'MFA key',
    remedy: `restore it, or set ${MFA_KEY_FILE_ENV} (without the key, every user's MFA must be reset)`,
  });
  return { key: mfaKeyFrom(master), created, path };
}
