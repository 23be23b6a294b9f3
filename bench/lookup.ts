import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { openDb } from '../server/src/platform/db/database.ts';
import { migrateToLatest } from '../server/src/platform/db/migrator.ts';
import { startBaseline } from './lib/baseline.ts';
import { type Benchmark, Cleanup } from './lib/benchmark.ts';
import { ean13, seedCatalogue, shuffledIndexes } from './lib/catalogue.ts';
import { compare } from './lib/compare.ts';
import { fmtInt } from './lib/format.ts';
import { productDataDir, productSqliteFile, startProduct } from './lib/product.ts';
import { expectOk, signIn } from './lib/session.ts';

const ROUTE = '/api/items/lookup';
const CATALOGUE = 100_000;
/** Codes checked on both sides before the load. */
const SAMPLE = 200;

/**
 * The scan of every count: the product parses and checks the code (GTIN check digit, padding to
 * 14 digits), finds it with one primary-key probe of item_barcodes joined to its item, and answers
 * the item through its whole stack (access guard, session lookup, response schema, metrics, one
 * log line). The load cycles over all 100,000 codes in a scattered order, so every request finds a
 * different row. The baseline parses the same requests and answers the same JSON from a Map.
 *
 * The catalogue is seeded straight into the product's SQLite file, not imported: the product's
 * own migrations create the schema, then one better-sqlite3 transaction inserts the rows as the
 * product stores them (bench/lib/catalogue.ts), before the product starts.
 */
export const lookup: Benchmark = {
  name: 'lookup',
  description: `authenticated GET ${ROUTE}?barcode= on ${fmtInt(CATALOGUE)} items vs a bare Fastify route answering the same JSON`,
  product: `product GET ${ROUTE}?barcode=<EAN-13> (Bearer token, SQLite, ${fmtInt(CATALOGUE)} items, every code in turn)`,
  baseline: 'bare Fastify 5, one route, logger off, answers from a Map (bench/baselines/lookup-fastify.ts)',
  aim: 0.6,

  async run({ settings, workdir, cpuProfileDir, log }) {
    const cleanup = new Cleanup();
    try {
      const sqliteFile = productSqliteFile(productDataDir(workdir));
      const timestamp = new Date().toISOString();
      const seedStarted = performance.now();
      const database = openDb({ databaseUrl: null, sqliteFile });
      try {
        await migrateToLatest(database.db, database.dialect);
      } finally {
        await database.close();
      }
      seedCatalogue(sqliteFile, CATALOGUE, timestamp);
      log(
        `  seeded ${fmtInt(CATALOGUE)} items, one EAN-13 each, in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s ` +
          '(product migrations, then one better-sqlite3 transaction)',
      );

      const product = await startProduct({
        workdir,
        overrides: settings.productEnv,
        ...(cpuProfileDir ? { cpuProfileDir } : {}),
      });
      cleanup.add('stop product', product.stop);
      log(`  product  pid ${product.pid} at ${product.url} (log: ${product.logFile})`);
      const headers = await signIn(product);

      const order = shuffledIndexes(CATALOGUE);
      const pathOf = (index: number) => `${ROUTE}?barcode=${ean13(index)}`;
      const pathsFile = path.join(workdir, 'lookup-paths.txt');
      fs.writeFileSync(pathsFile, order.map((index) => `${pathOf(index)}\n`).join(''));

      const baseline = await startBaseline({
        script: 'lookup-fastify.ts',
        env: { CATALOGUE_SIZE: String(CATALOGUE), CATALOGUE_TIMESTAMP: timestamp },
        workdir,
        readyPath: pathOf(0),
      });
      cleanup.add('stop baseline', baseline.stop);
      log(`  baseline pid ${baseline.pid} at ${baseline.url}`);

      // Before any load: a sample of the codes answers 200 on both sides, with the same JSON.
      const sample = [0, CATALOGUE - 1, ...order.slice(0, SAMPLE)];
      let sameBytes = 0;
      let example = '';
      for (const index of sample) {
        const route = pathOf(index);
        const mine = await expectOk(
          await fetch(`${product.url}${route}`, { headers }),
          `product GET ${route}`,
        );
        const theirs = await expectOk(
          await fetch(`${baseline.url}${route}`, { headers }),
          `baseline GET ${route}`,
        );
        if (mine === theirs) sameBytes += 1;
        else if (!isDeepStrictEqual(JSON.parse(mine), JSON.parse(theirs))) {
          throw new Error(
            `the baseline answers ${route} differently:\n  product  ${mine}\n  baseline ${theirs}`,
          );
        }
        example ||= mine;
      }
      log(
        `  ${sample.length} codes checked: product 200 with the baseline's JSON ` +
          `(byte for byte: ${sameBytes}/${sample.length}), e.g. ${example.length} bytes: ${example}`,
      );

      return await compare(
        {
          product: { url: `${product.url}${ROUTE}`, method: 'GET', headers, pathsFile, pid: product.pid },
          // The same header and paths, so both sides parse the same request bytes.
          baseline: { url: `${baseline.url}${ROUTE}`, method: 'GET', headers, pathsFile, pid: baseline.pid },
        },
        settings,
        log,
      );
    } finally {
      await cleanup.run();
    }
  },
};
