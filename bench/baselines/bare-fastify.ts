import Fastify from 'fastify';

/**
 * The floor a route can reach on this machine: Fastify 5 with no plugins, no hooks and the
 * logger off, one GET route answering a fixed JSON document (serialised per request, as a
 * handler returning an object is).
 *
 * Env: PORT, HOST, BASELINE_ROUTE (e.g. /api/auth/me), BASELINE_BODY (the JSON to answer).
 */

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`bare-fastify: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('PORT'));
const host = process.env.HOST ?? '127.0.0.1';
const route = required('BASELINE_ROUTE');
const body = JSON.parse(required('BASELINE_BODY')) as unknown;

const app = Fastify({ logger: false });
app.get(route, async () => body);

await app.listen({ port, host });

const shutdown = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
