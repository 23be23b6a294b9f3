import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSecure } from '../../config.ts';
import { access, principalOf } from '../../platform/http/access.ts';
import { clientIp } from '../../platform/http/client-ip.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { auditContextOf } from '../audit/events.ts';
import type { User, UsersService } from '../users/users.service.ts';
import { ChangePasswordBody, LoginBody, LoginResponse, MeResponse, PinLoginBody } from './auth.schemas.ts';
import type { AuthService, ClientInfo, SignIn } from './auth.service.ts';

export const SESSION_COOKIE = 'sv_session';
export const CSRF_COOKIE = 'sv_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** The trusted-device token (see security/lockout/lockout.service.ts); sent to the sign-in routes only. */
export const DEVICE_COOKIE = 'sv_device';
const DEVICE_COOKIE_PATH = '/api/auth';

export function authRoutes(deps: {
  auth: AuthService;
  users: UsersService;
  cookieSecure: CookieSecure;
  mfaEnrolmentRequired: (user: User) => boolean;
}): FastifyPluginAsyncTypebox {
  const { auth, users, cookieSecure, mfaEnrolmentRequired } = deps;

  function secure(request: FastifyRequest): boolean {
    return cookieSecure === 'auto' ? request.protocol === 'https' : cookieSecure === 'true';
  }

  function issue(request: FastifyRequest, reply: FastifyReply, signIn: SignIn) {
    const expires = new Date(signIn.session.expiresAt);
    const common = { path: '/', sameSite: 'strict' as const, secure: secure(request), expires };
    reply.setCookie(SESSION_COOKIE, signIn.session.token, { ...common, httpOnly: true });
    // Readable by the web app's script, which echoes it in X-CSRF-Token; useless to another site.
    reply.setCookie(CSRF_COOKIE, signIn.session.csrfToken, { ...common, httpOnly: false });
    if (signIn.device) {
      // Outlives sessions and sign-outs: it is what lets this browser in while others lock the account.
      reply.setCookie(DEVICE_COOKIE, signIn.device.token, {
        path: DEVICE_COOKIE_PATH,
        sameSite: 'strict',
        secure: secure(request),
        httpOnly: true,
        expires: new Date(signIn.device.expiresAt),
      });
    }
    reply.header('cache-control', 'no-store');
    request.log.info({ user_id: signIn.user.id, session_id: signIn.session.sessionId }, 'user signed in');
    return {
      access_token: signIn.session.token,
      token_type: 'bearer' as const,
      expires_at: signIn.session.expiresAt,
      csrf_token: signIn.session.csrfToken,
      user: signIn.user,
      mfa_enrolment_required: signIn.mfaEnrolmentRequired,
    };
  }

  function client(request: FastifyRequest): ClientInfo {
    const agent = request.headers['user-agent'];
    return {
      ip: clientIp(request),
      userAgent: typeof agent === 'string' ? agent : null,
      deviceToken: request.cookies[DEVICE_COOKIE] ?? null,
    };
  }

  return async (app) => {
    const tags = ['auth'];

    app.post(
      '/api/auth/login',
      {
        config: { access: access.public },
        schema: {
          tags,
          summary: 'Sign in with username and password (and a code when MFA is on)',
          description:
            'A user with MFA on who sends no `otp_code` (or `recovery_code`) after a correct password ' +
            'gets 401 `MFA_REQUIRED`; every other failure, a wrong code included, gets the one ' +
            '401 `INVALID_CREDENTIALS`.',
          security: [],
          body: LoginBody,
          response: { 200: LoginResponse, ...errorResponses(400, 401) },
        },
      },
      async (request, reply) => {
        const { username, password, otp_code, recovery_code } = request.body;
        return issue(
          request,
          reply,
          await auth.login(
            username,
            password,
            { otp_code, recovery_code },
            client(request),
            auditContextOf(request),
          ),
        );
      },
    );

    app.post(
      '/api/auth/pin-login',
      {
        config: { access: access.public },
        schema: {
          tags,
          summary: 'Quick sign-in with a PIN on a shared handheld',
          security: [],
          body: PinLoginBody,
          response: { 200: LoginResponse, ...errorResponses(400, 401) },
        },
      },
      async (request, reply) => {
        const { username, pin, otp_code, recovery_code } = request.body;
        return issue(
          request,
          reply,
          await auth.pinLogin(
            username,
            pin,
            { otp_code, recovery_code },
            client(request),
            auditContextOf(request),
          ),
        );
      },
    );

    app.post(
      '/api/auth/logout',
      {
        config: { access: access.signedInDuringMfaEnrolment },
        schema: {
          tags,
          summary: 'End this session',
          response: { 204: { type: 'null', description: 'Signed out' }, ...errorResponses(401, 403) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        await auth.logout(principal.session.id, auditContextOf(request));
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        reply.clearCookie(CSRF_COOKIE, { path: '/' });
        request.log.info({ user_id: principal.user.id, session_id: principal.session.id }, 'user signed out');
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/auth/me',
      {
        config: { access: access.signedInDuringMfaEnrolment },
        schema: {
          tags,
          summary: 'The signed-in user and role',
          response: { 200: MeResponse, ...errorResponses(401) },
        },
      },
      async (request) => {
        const { user } = principalOf(request);
        return { user, mfa_enrolment_required: mfaEnrolmentRequired(user) };
      },
    );

    app.post(
      '/api/auth/change-password',
      {
        config: { access: access.signedIn },
        schema: {
          tags,
          summary: 'Change your own password; your other sessions end',
          body: ChangePasswordBody,
          response: {
            204: { type: 'null', description: 'Password changed' },
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { current_password, new_password } = request.body;
        await users.changeOwnPassword(
          principal.user.id,
          current_password,
          new_password,
          principal.session.id,
          auditContextOf(request),
        );
        request.log.info({ user_id: principal.user.id }, 'password changed');
        return reply.status(204).send(null);
      },
    );
  };
}
