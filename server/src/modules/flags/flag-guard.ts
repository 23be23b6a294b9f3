import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import type { BuiltInFlag } from './default-flags.ts';
import type { FeatureFlags } from './flags.service.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers 403 FEATURE_DISABLED unless this flag is on for the caller. */
    flag?: BuiltInFlag | (string & Record<never, never>);
  }
}

export const featureDisabled = (key: string) =>
  new AppError(403, 'FEATURE_DISABLED', `The "${key}" feature is not enabled for you`);

async function check(flags: FeatureFlags, key: string, request: FastifyRequest): Promise<void> {
  await flags.ensureFresh();
  if (!flags.isEnabled(key, request.principal?.user ?? null)) throw featureDisabled(key);
}

/**
 * Gates by route config: `config: { access: …, flag: 'bulk_operations' }`. Runs after the access
 * guard (preHandler), so the caller is known and a refused role still gets its 403 first.
 */
export function registerFlagGuard(app: FastifyInstance, flags: FeatureFlags): void {
  app.addHook('preHandler', async (request) => {
    const key = request.routeOptions.config?.flag;
    if (key) await check(flags, key, request);
  });
}

/** The same gate as a route's own preHandler, for routes that prefer it spelled out there. */
export function requireFlag(flags: FeatureFlags, key: BuiltInFlag | string): preHandlerAsyncHookHandler {
  return async (request) => check(flags, key, request);
}
