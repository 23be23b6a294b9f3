import { api } from '../../api/client.ts';
import type { User } from '../../api/types.ts';

export interface SignInResponse {
  access_token: string;
  token_type: 'bearer';
  expires_at: string;
  csrf_token: string;
  user: User;
}

// The session itself lives in the HttpOnly sv_session cookie the server sets; the web app keeps
// no token of its own (the access_token in the response is for API clients, and is ignored here).

export const signInWithPassword = (username: string, password: string) =>
  api<SignInResponse>('/api/auth/login', {
    method: 'POST',
    body: { username, password },
    redirectOn401: false,
  });

export const signInWithPin = (username: string, pin: string) =>
  api<SignInResponse>('/api/auth/pin-login', {
    method: 'POST',
    body: { username, pin },
    redirectOn401: false,
  });

export const signOut = () => api<void>('/api/auth/logout', { method: 'POST', redirectOn401: false });

export const fetchMe = () => api<{ user: User }>('/api/auth/me', { redirectOn401: false });

export const changeOwnPassword = (current_password: string, new_password: string) =>
  api<void>('/api/auth/change-password', { method: 'POST', body: { current_password, new_password } });
