import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { access, principalOf } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { auditContextOf } from '../../audit/events.ts';
import { Password } from '../../users/users.schemas.ts';
import { OtpCode, RecoveryCode } from './mfa.schemas.ts';
import type { Mfa } from './mfa.service.ts';

const MfaStatusSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    required: Type.Boolean({ description: "The user's role must use MFA (MFA_REQUIRED_ROLES)" }),
    recovery_codes_left: Type.Integer(),
  },
  { title: 'MfaStatus' },
);

const MfaSetupSchema = Type.Object(
  {
    secret: Type.String({ description: 'Base32 secret, for typing into an app by hand; shown once' }),
    otpauth_url: Type.String(),
    qr_svg: Type.String({ description: 'The otpauth URL as an SVG QR code' }),
    expires_at: Type.String({ format: 'date-time', description: 'Confirm with a code before this' }),
  },
  { title: 'MfaSetup' },
);

const EnableBody = Type.Object({ otp_code: OtpCode }, { additionalProperties: false });
const DisableBody = Type.Object(
  { password: Password, otp_code: Type.Optional(OtpCode), recovery_code: Type.Optional(RecoveryCode) },
  { additionalProperties: false },
);
const UserParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** The user's own two-factor set-up, and the admin's reset for a lost phone. */
export function mfaRoutes(deps: { mfa: Mfa }): FastifyPluginAsyncTypebox {
  const { mfa } = deps;
  return async (app) => {
    const tags = ['auth'];

    app.get(
      '/api/auth/mfa',
      {
        config: { access: access.signedInDuringMfaEnrolment },
        schema: {
          tags,
          summary: 'Whether your two-factor sign-in is on, required, and how many recovery codes are left',
          response: { 200: MfaStatusSchema, ...errorResponses(401) },
        },
      },
      async (request) => mfa.status(principalOf(request).user),
    );

    app.post(
      '/api/auth/mfa/setup',
      {
        config: { access: access.signedInDuringMfaEnrolment },
        schema: {
          tags,
          summary: 'Start setting up an authenticator app: a new secret, as a URL and a QR code',
          description: 'Nothing changes until `/api/auth/mfa/enable` confirms a code from the new secret.',
          response: { 200: MfaSetupSchema, ...errorResponses(401, 403, 409) },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return mfa.setup(principalOf(request).user, auditContextOf(request));
      },
    );

    app.post(
      '/api/auth/mfa/enable',
      {
        config: { access: access.signedInDuringMfaEnrolment },
        schema: {
          tags,
          summary: 'Switch two-factor sign-in on with a code from the app just set up',
          description: 'Answers ten recovery codes, shown this once: each signs in once without the app.',
          body: EnableBody,
          response: {
            200: Type.Object({ recovery_codes: Type.Array(Type.String()) }),
            ...errorResponses(400, 401, 403, 409),
          },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const principal = principalOf(request);
        const result = await mfa.enable(principal.user, request.body.otp_code, auditContextOf(request));
        request.log.info({ user_id: principal.user.id }, 'two-factor sign-in switched on');
        return result;
      },
    );

    app.post(
      '/api/auth/mfa/disable',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Switch your two-factor sign-in off (password and a code or recovery code)',
          body: DisableBody,
          response: {
            204: { type: 'null', description: 'Switched off' },
            ...errorResponses(400, 401, 403, 409),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { password, otp_code, recovery_code } = request.body;
        await mfa.disable(principal.user, password, { otp_code, recovery_code }, auditContextOf(request));
        request.log.info({ user_id: principal.user.id }, 'two-factor sign-in switched off');
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/auth/mfa/recovery-codes',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Replace your recovery codes (the old ones stop working), with a code from the app',
          body: EnableBody,
          response: {
            200: Type.Object({ recovery_codes: Type.Array(Type.String()) }),
            ...errorResponses(400, 401, 403, 409),
          },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const principal = principalOf(request);
        const result = await mfa.regenerateRecoveryCodes(
          principal.user,
          request.body.otp_code,
          auditContextOf(request),
        );
        request.log.info({ user_id: principal.user.id }, 'recovery codes replaced');
        return result;
      },
    );

    app.delete(
      '/api/users/:id/mfa',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags: ['users'],
          summary: "Switch another user's two-factor sign-in off (lost phone); their sessions end",
          params: UserParams,
          response: {
            200: Type.Object({ reset: Type.Boolean({ description: 'False: it was not on' }) }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const result = await mfa.reset(request.params.id, auditContextOf(request));
        request.log.info({ target_user_id: request.params.id, reset: result.reset }, 'user MFA reset');
        return result;
      },
    );
  };
}
