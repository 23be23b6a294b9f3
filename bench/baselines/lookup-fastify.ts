import Fastify from 'fastify';
import { catalogueItem, lookupAnswer } from '../lib/catalogue.ts';

/**
 * The floor of a barcode scan on this machine: Fastify 5 with no plugins, no hooks and the logger
 * off, one GET route that parses `?barcode=` and answers, from an in-memory Map, the JSON the
 * product answers for that code of the bench catalogue (bench/lib/catalogue.ts), serialised per
 * request as bare-fastify.ts does; 404 for a code it does not know.
 *
 * Env: PORT, HOST, CATALOGUE_SIZE (items 0…n-1), CATALOGUE_TIMESTAMP (their created_at).
 */

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`lookup-fastify: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('PORT'));
const host = process.env.HOST ?? '127.0.0.1';
const size = Number(required('CATALOGUE_SIZE'));
const timestamp = required('CATALOGUE_TIMESTAMP');

const answers = new Map<string, unknown>();
for (let index = 0; index < size; index += 1) {
  const item = catalogueItem(index);
  answers.set(item.ean13, lookupAnswer(item, timestamp));
}

const app = Fastify({ logger: false });
app.get('/api/items/lookup', async (request, reply) => {
  const { barcode } = request.query as { barcode?: string };
  const answer = barcode === undefined ? undefined : answers.get(barcode);
  if (answer === undefined) return reply.code(404).send({ error: 'NOT_FOUND' });
  return answer;
});

await app.listen({ port, host });

const shutdown = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
