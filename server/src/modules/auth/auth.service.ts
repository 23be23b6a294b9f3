import { AppError } from '../../platform/http/errors.ts';
import { toUser, type User, type UsersService } from '../users/users.service.ts';
import type { PasswordHasher } from './credentials.ts';
import type { NewSession, SessionsService } from './sessions.service.ts';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface SignIn {
  session: NewSession;
  user: User;
}

export interface AuthService {
  login(username: string, password: string, client: ClientInfo): Promise<SignIn>;
  pinLogin(username: string, pin: string, client: ClientInfo): Promise<SignIn>;
  logout(sessionId: string): Promise<void>;
}

/**
 * One answer for every failed sign-in — unknown user, inactive user, wrong password, no PIN
 * set — with the same status and body, and an argon2 verification on every path so the
 * timing does not tell them apart either.
 */
export const invalidCredentials = () =>
  new AppError(401, 'INVALID_CREDENTIALS', 'Invalid username or password');

export async function createAuthService(deps: {
  users: UsersService;
  sessions: SessionsService;
  hasher: PasswordHasher;
}): Promise<AuthService> {
  const { users, sessions, hasher } = deps;
  // A real argon2id hash of a random secret, so a miss costs what a hit costs.
  const decoyHash = await hasher.hash(`decoy-${Math.random()}-${Date.now()}`);

  async function signIn(
    username: string,
    secret: string,
    method: 'password' | 'pin',
    client: ClientInfo,
  ): Promise<SignIn> {
    const row = await users.findCredentials(username);
    const stored = method === 'password' ? row?.password_hash : row?.pin_hash;
    const ok = await hasher.verify(stored ?? decoyHash, secret);
    if (!row || !stored || !ok) throw invalidCredentials();
    const session = await sessions.create(row.id, method, client);
    return { session, user: toUser(row) };
  }

  return {
    login: (username, password, client) => signIn(username, password, 'password', client),
    pinLogin: (username, pin, client) => signIn(username, pin, 'pin', client),
    async logout(sessionId) {
      await sessions.revoke(sessionId, 'logout');
    },
  };
}
