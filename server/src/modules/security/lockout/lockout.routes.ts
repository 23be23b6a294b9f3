import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import type { Lockouts } from './lockout.service.ts';

const LockedAccountSchema = Type.Object(
  {
    user_id: Type.String(),
    username: Type.String(),
    locked_until: Type.String({ format: 'date-time' }),
    failed_count: Type.Integer({ description: 'Failed attempts of the run that caused the lock' }),
    lockouts_24h: Type.Integer({
      description: 'Lockouts in a row, each within 24 hours of the previous (each one doubles the length)',
    }),
  },
  { title: 'LockedAccount' },
);

const UnlockBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** The guide's brute-force protection endpoints: admins see and lift account lockouts. */
export function lockoutRoutes(deps: { lockouts: Lockouts }): FastifyPluginAsyncTypebox {
  const { lockouts } = deps;
  return async (app) => {
    const tags = ['security'];

    app.get(
      '/api/enterprise/security/locked-accounts',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: 'Accounts locked now after failed sign-ins',
          response: {
            200: Type.Object({ items: Type.Array(LockedAccountSchema) }),
            ...errorResponses(401, 403),
          },
        },
      },
      async () => ({ items: await lockouts.listLocked() }),
    );

    app.post(
      '/api/enterprise/security/unlock-account',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: "Lift an account's lockout and clear its failed attempts",
          description:
            'Answers `{"unlocked": false}` when the account was not locked (or no user has the name); ' +
            'its failed attempts are cleared either way.',
          body: UnlockBody,
          response: {
            200: Type.Object({ unlocked: Type.Boolean() }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => {
        const result = await lockouts.unlock(request.body.username, auditContextOf(request));
        request.log.info({ unlocked: result.unlocked }, 'account unlock requested');
        return result;
      },
    );
  };
}
