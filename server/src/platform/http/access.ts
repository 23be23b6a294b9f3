import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { AppError, forbidden, unauthenticated } from './errors.ts';

export const ROLES = ['admin', 'supervisor', 'auditor', 'staff'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who may call a route. Every route states one, next to the route, as `config.access`;
 * a route without one cannot be registered.
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'signed-in'; duringMfaEnrolment?: boolean }
  | { kind: 'roles'; roles: readonly Role[]; metricsToken?: boolean };

export const access = {
  public: { kind: 'public' } as Access,
  signedIn: { kind: 'signed-in' } as Access,
  /** Any signed-in user, also one who must set up MFA first (MFA_REQUIRED_ROLES) and has not yet. */
  signedInDuringMfaEnrolment: { kind: 'signed-in', duringMfaEnrolment: true } as Access,
  roles: (...roles: Role[]): Access => ({ kind: 'roles', roles }),
  /** Admins, or a scraper presenting METRICS_TOKEN as a bearer token. */
  rolesOrMetricsToken: (...roles: Role[]): Access => ({ kind: 'roles', roles, metricsToken: true }),
};

/** The signed-in user as the session lookup reads it: enough to answer /api/auth/me without another query. */
export interface PrincipalUser {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  active: boolean;
  has_pin: boolean;
  /** Two-factor sign-in is on for this user. */
  mfa_enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface Principal {
  user: PrincipalUser;
  session: { id: string; csrf_hash: string; expires_at: string };
  /** How the request proved itself: a cookie needs a CSRF token on state-changing requests. */
  via: 'bearer' | 'cookie';
}

export interface AccessGuardOptions {
  /** Resolves a session token to its principal, or null if unknown, expired or revoked. */
  authenticate(token: string, request: FastifyRequest): Promise<Omit<Principal, 'via'> | null>;
  sessionCookie: string;
  csrfHeader: string;
  metricsToken: string | null;
  /** The user must set up MFA before anything but the routes marked `duringMfaEnrolment`. */
  mfaEnrolmentRequired?(user: PrincipalUser): boolean;
  /** Told of every refused request from a signed-in user (wrong role, bad CSRF token), before the 403. */
  onDenied?(request: FastifyRequest, principal: Principal, reason: 'role' | 'csrf'): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every registered route with its declared access, for the access-policy tests. */
    routeAccess: Map<string, Access>;
    /** Routes registered by third-party plugins under these prefixes are public (docs, assets). */
    declarePublicPrefix(prefix: string): void;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(sha256Hex(a));
  const right = Buffer.from(sha256Hex(b));
  return timingSafeEqual(left, right);
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,512})$/i.exec(header.trim());
  return match?.[1];
}

function allows(rule: Access, role: Role): boolean {
  if (rule.kind === 'public' || rule.kind === 'signed-in') return true;
  return rule.roles.includes(role);
}

export function registerAccessGuard(app: FastifyInstance, options: AccessGuardOptions): void {
  const routeAccess = new Map<string, Access>();
  const publicPrefixes: string[] = [];
  app.decorate('routeAccess', routeAccess);
  app.decorate('declarePublicPrefix', (prefix: string) => {
    publicPrefixes.push(prefix);
  });
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let rule = route.config?.access;
    if (!rule && publicPrefixes.some((prefix) => route.url.startsWith(prefix))) {
      rule = access.public;
      route.config = { ...route.config, access: rule };
    }
    if (!rule) {
      throw new Error(`Route ${methods.join(',')} ${route.url} declares no access rule (config.access)`);
    }
    for (const method of methods) routeAccess.set(`${method} ${route.url}`, rule);
  });

  app.addHook('onRequest', async (request) => {
    const rule = request.routeOptions.config?.access;
    // Unmatched URLs reach the not-found handler, which answers 404 to anyone.
    if (!rule || rule.kind === 'public') return;

    const bearer = bearerToken(request);
    if (bearer && rule.kind === 'roles' && rule.metricsToken && options.metricsToken) {
      if (safeEqual(bearer, options.metricsToken)) return;
    }
    const cookie = bearer ? undefined : request.cookies[options.sessionCookie];
    const token = bearer ?? cookie;
    if (!token) throw unauthenticated();
    const found = await options.authenticate(token, request);
    if (!found) throw unauthenticated('Session expired or not valid; sign in again');
    const principal: Principal = { ...found, via: bearer ? 'bearer' : 'cookie' };

    if (principal.via === 'cookie' && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers[options.csrfHeader];
      if (typeof sent !== 'string' || !safeEqual(sha256Hex(sent), principal.session.csrf_hash)) {
        await options.onDenied?.(request, principal, 'csrf');
        throw forbidden('Missing or invalid CSRF token');
      }
    }
    request.principal = principal;
    const enrolling = rule.kind === 'signed-in' && rule.duringMfaEnrolment === true;
    if (!enrolling && options.mfaEnrolmentRequired?.(principal.user)) {
      throw new AppError(
        403,
        'MFA_ENROLMENT_REQUIRED',
        `Set up two-factor sign-in first: it is required for the ${principal.user.role} role`,
      );
    }
    if (!allows(rule, principal.user.role)) {
      request.log.warn({ route: request.routeOptions.url, user_id: principal.user.id }, 'permission denied');
      await options.onDenied?.(request, principal, 'role');
      throw forbidden();
    }
  });
}

/** The signed-in principal of a route that is not public (the guard has run). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated();
  return request.principal;
}
