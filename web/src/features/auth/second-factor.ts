/** Typing a second factor: a 6-digit code from an authenticator app, or a recovery code. */

/** Digits only, at most six: "123 456" as apps show it (or pasted) becomes "123456". */
export const otpDigits = (text: string): string => text.replace(/\D/g, '').slice(0, 6);

export const isWholeOtp = (code: string): boolean => /^[0-9]{6}$/.test(code);

/** A recovery code is 12 characters, in groups of four; dashes and spaces are optional. */
export const isWholeRecoveryCode = (code: string): boolean => code.replace(/[\s-]/g, '').length === 12;
