import { Type } from 'typebox';

/** The second factor's fields, shared by sign-in and the MFA routes. */
export const OtpCode = Type.String({
  pattern: '^[0-9]{6}$',
  description: 'The 6-digit code from an authenticator app',
});
export const RecoveryCode = Type.String({
  minLength: 12,
  maxLength: 20,
  description: 'One of the recovery codes shown when MFA was switched on (each works once)',
});
