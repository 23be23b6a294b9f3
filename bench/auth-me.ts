import { startBaseline } from './lib/baseline.ts';
import { type Benchmark, Cleanup } from './lib/benchmark.ts';
import { compare } from './lib/compare.ts';
import { startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';

const ROUTE = '/api/auth/me';

/**
 * The cheapest authenticated read: the product resolves the bearer token to a live session and
 * its user (one indexed read) and answers it, through its whole stack (access guard, request
 * context, security headers, metrics, one log line). The baseline answers the same bytes from a
 * bare Fastify route.
 */
export const authMe: Benchmark = {
  name: 'auth-me',
  description: `authenticated GET ${ROUTE} vs a bare Fastify route returning the same JSON`,
  product: `product GET ${ROUTE} (Bearer token, SQLite)`,
  baseline: 'bare Fastify 5, one route, logger off (bench/baselines/bare-fastify.ts)',
  aim: 0.6,

  async run({ settings, workdir, cpuProfileDir, log }) {
    const cleanup = new Cleanup();
    try {
      const product = await startProduct({
        workdir,
        overrides: settings.productEnv,
        ...(cpuProfileDir ? { cpuProfileDir } : {}),
      });
      cleanup.add('stop product', product.stop);
      log(`  product  pid ${product.pid} at ${product.url} (log: ${product.logFile})`);

      const headers = await signIn(product);

      const body = await expectOk(await fetch(`${product.url}${ROUTE}`, { headers }), `GET ${ROUTE}`);
      log(`  signed in as ${product.adminUsername}; ${ROUTE} answers ${body.length} bytes: ${body}`);

      const baseline = await startBaseline({
        script: 'bare-fastify.ts',
        env: { BASELINE_ROUTE: ROUTE, BASELINE_BODY: body },
        workdir,
        readyPath: ROUTE,
      });
      cleanup.add('stop baseline', baseline.stop);
      log(`  baseline pid ${baseline.pid} at ${baseline.url}`);
      const echoed = await expectOk(await fetch(`${baseline.url}${ROUTE}`), `baseline GET ${ROUTE}`);
      if (echoed !== body) throw new Error(`the baseline answers different JSON: ${echoed}`);

      return await compare(
        {
          product: { url: `${product.url}${ROUTE}`, method: 'GET', headers, pid: product.pid },
          // The same header, so both sides parse the same request bytes.
          baseline: { url: `${baseline.url}${ROUTE}`, method: 'GET', headers, pid: baseline.pid },
        },
        settings,
        log,
      );
    } finally {
      await cleanup.run();
    }
  },
};
