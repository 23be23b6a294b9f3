import type { QueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import type { MfaSetup, MfaStatus } from '../../api/types.ts';
import type { SecondFactor } from '../auth/api.ts';
import { mfaSwitched } from '../auth/session.ts';

export const accountKeys = {
  mfa: ['account', 'mfa'] as const,
};

/** Recovery codes the server hands out when two-factor sign-in is switched on (or new ones are asked for). */
export const RECOVERY_CODE_COUNT = 10;

export const getMfaStatus = () => api<MfaStatus>('/api/auth/mfa');

/** A new secret for the app; nothing changes until `enableMfa` confirms a code from it. */
export const startMfaSetup = () => api<MfaSetup>('/api/auth/mfa/setup', { method: 'POST' });

/** Switches two-factor sign-in on; answers the recovery codes, which the server shows this once. */
export const enableMfa = (otpCode: string) =>
  api<{ recovery_codes: string[] }>('/api/auth/mfa/enable', { method: 'POST', body: { otp_code: otpCode } });

/** New recovery codes, for a code from the app: the old ones stop working. Shown this once, too. */
export const replaceRecoveryCodes = (otpCode: string) =>
  api<{ recovery_codes: string[] }>('/api/auth/mfa/recovery-codes', {
    method: 'POST',
    body: { otp_code: otpCode },
  });

export const disableMfa = (password: string, factor: SecondFactor) =>
  api<void>('/api/auth/mfa/disable', { method: 'POST', body: { password, ...factor } });

/** The status, asked again (after a change). */
export function refreshMfaStatus(queryClient: QueryClient): void {
  void queryClient.invalidateQueries({ queryKey: accountKeys.mfa });
}

/** Switched on or off: the status and the session both say so. */
export function mfaChanged(queryClient: QueryClient, enabled: boolean): void {
  refreshMfaStatus(queryClient);
  mfaSwitched(queryClient, enabled);
}
