import { api } from '../../api/client.ts';
import type { User } from '../../api/types.ts';

export interface SignInResponse {
  access_token: string;
  token_type: 'bearer';
  expires_at: string;
  csrf_token: string;
  user: User;
  /** The role requires two-factor sign-in and it is off: the session can only set it up. */
  mfa_enrolment_required: boolean;
}

/** The second step of signing in when two-factor sign-in is on: a code from the app, or a recovery code. */
export type SecondFactor = { otp_code: string } | { recovery_code: string } | Record<string, never>;

/** The server's answer to a right password (or PIN) without a code, for a user with two-factor sign-in. */
export const MFA_REQUIRED = 'MFA_REQUIRED';
/** Any call by a user who must set up two-factor sign-in before anything else. */
export const MFA_ENROLMENT_REQUIRED = 'MFA_ENROLMENT_REQUIRED';

// The session itself lives in the HttpOnly sv_session cookie the server sets; the web app keeps
// no token of its own (the access_token in the response is for API clients, and is ignored here).

export const signInWithPassword = (username: string, password: string, factor: SecondFactor = {}) =>
  api<SignInResponse>('/api/auth/login', {
    method: 'POST',
    body: { username, password, ...factor },
    redirectOn401: false,
  });

export const signInWithPin = (username: string, pin: string, factor: SecondFactor = {}) =>
  api<SignInResponse>('/api/auth/pin-login', {
    method: 'POST',
    body: { username, pin, ...factor },
    redirectOn401: false,
  });

export const signOut = () => api<void>('/api/auth/logout', { method: 'POST', redirectOn401: false });

export interface MeResponse {
  user: User;
  mfa_enrolment_required: boolean;
}

export const fetchMe = () => api<MeResponse>('/api/auth/me', { redirectOn401: false });

export const changeOwnPassword = (current_password: string, new_password: string) =>
  api<void>('/api/auth/change-password', { method: 'POST', body: { current_password, new_password } });
