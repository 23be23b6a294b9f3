import Fastify from 'fastify';

/**
 * The floor a route can reach on this machine: Fastify 5 with no plugins, no hooks and the
 * logger off, one route answering a fixed JSON document (serialised per request, as a handler
 * returning an object is). For a POST, Fastify's own JSON body parser reads the request body
 * (nothing checks it) before the answer.
 *
 * Env: PORT, HOST, BASELINE_ROUTE (e.g. /api/auth/me), BASELINE_BODY (the JSON to answer),
 * BASELINE_METHOD (GET, the default, or POST), BASELINE_STATUS (200 unless told).
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
const method = process.env.BASELINE_METHOD === 'POST' ? 'POST' : 'GET';
const status = Number(process.env.BASELINE_STATUS ?? '200');

const app = Fastify({ logger: false });
if (method === 'POST') {
  app.post(route, async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) {
      return reply.status(400).send({ error: 'expected a JSON object' });
    }
    return reply.status(status).send(body);
  });
  // Polled by the bench until the server is up.
  app.get('/ready', async () => ({ ok: true }));
} else {
  app.get(route, async (_request, reply) => reply.status(status).send(body));
}

await app.listen({ port, host });

const shutdown = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
