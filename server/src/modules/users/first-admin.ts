import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.ts';
import { SYSTEM_CONTEXT } from '../audit/events.ts';
import { passwordProblem } from '../auth/credentials.ts';
import type { UsersService } from './users.service.ts';

export interface FirstAdminResult {
  created: boolean;
  username?: string;
  /** Only when the password was generated: shown to the operator once, never logged. */
  generatedPassword?: string;
}

/**
 * On an empty database, creates the first admin from ADMIN_USERNAME / ADMIN_PASSWORD, or with a
 * random password. There is no built-in default password anywhere.
 */
export async function ensureFirstAdmin(
  users: UsersService,
  config: Pick<Config, 'adminUsername' | 'adminPassword'>,
): Promise<FirstAdminResult> {
  if (!(await users.isEmpty())) return { created: false };
  const username = config.adminUsername;
  if (config.adminPassword !== null) {
    const problem = passwordProblem(config.adminPassword, username);
    if (problem) throw new Error(`Invalid configuration: ADMIN_PASSWORD ${problem}`);
  }
  const generated = config.adminPassword === null ? randomBytes(18).toString('base64url') : undefined;
  try {
    await users.create(
      {
        username,
        display_name: 'Administrator',
        role: 'admin',
        password: config.adminPassword ?? generated!,
      },
      SYSTEM_CONTEXT,
    );
  } catch (error) {
    // Another instance starting at the same moment created it first: that is fine.
    if ((error as { code?: string }).code === 'USERNAME_TAKEN') return { created: false };
    throw error;
  }
  return { created: true, username, ...(generated ? { generatedPassword: generated } : {}) };
}
