import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../../server/src/platform/db/schema.ts';
import { catalogueItem, costText, ITEMS_CSV_HEADER, insertCatalogue } from './catalogue.ts';

/**
 * The mixed traffic of a counting floor, shared by the `mixed-load` benchmark (bench/mixed-load.ts,
 * through bench/lib/mixed-worker.ts) and the soak test (server/test/resilience/soak.test.ts), so
 * both measure the same thing:
 *
 * - a counter, per hour of real time: 650 scans (one every ~5.5 s, ±50 %), each a barcode lookup
 *   `GET /api/items/lookup` then the entry `POST /api/count-sessions/:id/entries` (quantity 1, a
 *   fresh client_id); a claim heartbeat `POST /api/locations/:id/claim` every minute and a
 *   progress read `GET /api/my/assignments` every two minutes;
 * - a supervisor: a read every ~5 s (the sessions list, a session with its progress, the lines
 *   with a variance, the lines waiting in review) and a decision every minute on a line in review
 *   (approve with a reason, or reject: a recount), taking only its own share of the lines so two
 *   supervisors never decide the same line;
 * - with `extras` (the soak): each counter signs out and in again once, half-way (a break); the
 *   admin uploads an items import every 15 minutes; a supervisor exports the variance sheet every
 *   10 minutes.
 *
 * `pace` compresses time: pace 30 runs an hour of the floor in two minutes. Each simulated person
 * works sequentially (a counter never scans twice at once), so a slow server slows the floor
 * down instead of piling requests up. Every simulated device has its own address
 * (X-Forwarded-For, the product behind a reverse proxy with TRUST_PROXY=loopback), as handhelds
 * on a floor do, so per-address limits apply as they would in a deployment.
 */

export const SCANS_PER_HOUR = 650;
const HOUR_MS = 3_600_000;
const SCAN_INTERVAL_MS = HOUR_MS / SCANS_PER_HOUR;
const HEARTBEAT_MS = 60_000;
const PROGRESS_MS = 120_000;
const SUPERVISOR_READ_MS = 5_000;
const SUPERVISOR_DECISION_MS = 60_000;
const IMPORT_MS = 15 * 60_000;
const EXPORT_MS = 10 * 60_000;

// --- the floor ------------------------------------------------------------------------------

/** The book quantity of item i at its bin: 1 to 40. */
export function bookQuantity(index: number): number {
  return (index % 40) + 1;
}

/** One warehouse, `locations` bins, item i stocked at bin i mod locations. */
export interface MixedFloor {
  warehouseId: string;
  locationIds: string[];
  items: number;
}

/**
 * Seeds a migrated product database (the product not started yet): the catalogue items
 * 0…items-1 with their barcodes (catalogue.ts), a warehouse, `locations` bins and one stock level
 * per item, at bin i mod locations, so each bin holds items/locations items.
 */
export async function seedMixedFloor(
  db: Kysely<Database>,
  options: { items: number; locations: number; timestamp: string },
): Promise<MixedFloor> {
  const { items, locations, timestamp } = options;
  await insertCatalogue(db, items, timestamp);
  const warehouseId = randomUUID();
  const locationIds = Array.from({ length: locations }, () => randomUUID());
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('warehouses')
      .values({
        id: warehouseId,
        code: 'WH-FLOOR',
        name: 'Floor warehouse',
        active: 1,
        created_at: timestamp,
        updated_at: timestamp,
      })
      .execute();
    await trx
      .insertInto('locations')
      .values(
        locationIds.map((id, i) => ({
          id,
          warehouse_id: warehouseId,
          parent_id: null,
          code: `BIN-${String(i).padStart(4, '0')}`,
          name: `Bin ${i}`,
          kind: 'bin',
          barcode: null,
          path: `/${id}/`,
          depth: 0,
          active: 1,
          created_at: timestamp,
          updated_at: timestamp,
        })),
      )
      .execute();
    for (let start = 0; start < items; start += 500) {
      const batch = Array.from({ length: Math.min(500, items - start) }, (_, k) => {
        const index = start + k;
        return {
          id: randomUUID(),
          item_id: catalogueItem(index).id,
          location_id: locationIds[index % locations] as string,
          lot: '',
          quantity_e3: bookQuantity(index) * 1000,
          source: 'import' as const,
          as_of: timestamp,
          updated_at: timestamp,
        };
      });
      await trx.insertInto('stock_levels').values(batch).execute();
    }
  });
  return { warehouseId, locationIds, items };
}

// --- HTTP -------------------------------------------------------------------------------------

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

/**
 * One keep-alive agent per traffic run: each simulated person reuses a connection, as a browser
 * or handheld does. Status 0 is a connection error (refused, reset, timed out).
 */
export class Client {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  readonly #url: URL;

  constructor(baseUrl: string) {
    this.#url = new URL(baseUrl);
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string | Buffer,
  ): Promise<Answer> {
    const started = performance.now();
    return new Promise((resolve) => {
      const request = http.request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method,
          path,
          agent: this.#agent,
          timeout: 30_000,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          response.on('error', (error) =>
            resolve({ status: 0, text: error.message, ms: performance.now() - started }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error('timed out after 30 s')));
      request.on('error', (error) =>
        resolve({ status: 0, text: error.message, ms: performance.now() - started }),
      );
      if (body !== undefined) request.write(body);
      request.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The address a simulated device's requests come from (through the proxy). */
export function deviceIp(n: number): string {
  return `10.77.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
}

// --- the crew ---------------------------------------------------------------------------------

export interface Person {
  username: string;
  password: string;
  userId: string;
  /** Bearer token of the current sign-in (replaced when the person signs in again). */
  token: string;
  ip: string;
}

export interface Counter extends Person {
  /** The bin the counter is assigned to, and the barcodes stocked there. */
  locationId: string;
  barcodes: string[];
}

/** Everything a traffic run needs: who works, on which sessions. JSON, to hand to a worker. */
export interface TrafficPlan {
  countSessionId: string;
  /** A session in review (every line waiting for a decision), for the supervisors' decisions. */
  reviewSessionId: string;
  counters: Counter[];
  supervisors: Person[];
  admin: Person;
}

function jsonHeaders(person: Pick<Person, 'token' | 'ip'> | null, ip?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-forwarded-for': person?.ip ?? ip ?? '10.77.250.1',
    ...(person ? { authorization: `Bearer ${person.token}` } : {}),
  };
}

function readHeaders(person: Pick<Person, 'token' | 'ip'>): Record<string, string> {
  return { 'x-forwarded-for': person.ip, authorization: `Bearer ${person.token}` };
}

async function expectStatus(answer: Promise<Answer>, what: string, status: number): Promise<string> {
  const got = await answer;
  if (got.status !== status) throw new Error(`${what} answered ${got.status}: ${got.text.slice(0, 300)}`);
  return got.text;
}

/** Signs in (`POST /api/auth/login`); answers the bearer token. */
export async function signInAs(
  client: Client,
  person: Pick<Person, 'username' | 'password' | 'ip'>,
): Promise<string> {
  const text = await expectStatus(
    client.send(
      'POST',
      '/api/auth/login',
      jsonHeaders(null, person.ip),
      JSON.stringify({ username: person.username, password: person.password }),
    ),
    `POST /api/auth/login (${person.username})`,
    200,
  );
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  if (typeof token !== 'string') throw new Error('sign-in answered no access_token');
  return token;
}

/** Runs `task` over `items` with at most `limit` at once (argon2 hashing is the slow part). */
async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        out[index] = await task(items[index] as T, index);
      }
    }),
  );
  return out;
}

/**
 * Prepares a floor through the API as a deployment would: `counters` staff and `supervisors`
 * supervisor accounts created by the admin, a standard count over the whole warehouse started
 * with counter n assigned to bin n, a second count started and submitted at once (every line goes
 * to review, uncounted) for the supervisors to decide, everyone signed in, each counter holding a
 * claim on its bin.
 */
export async function prepareCrew(
  baseUrl: string,
  floor: MixedFloor,
  options: { adminUsername: string; adminPassword: string; counters: number; supervisors: number },
): Promise<TrafficPlan> {
  const client = new Client(baseUrl);
  try {
    if (options.counters > floor.locationIds.length) {
      throw new Error(
        `${options.counters} counters need as many bins, the floor has ${floor.locationIds.length}`,
      );
    }
    const adminIp = deviceIp(0);
    const admin: Person = {
      username: options.adminUsername,
      password: options.adminPassword,
      userId: '',
      token: '',
      ip: adminIp,
    };
    admin.token = await signInAs(client, admin);
    const me = JSON.parse(
      await expectStatus(client.send('GET', '/api/auth/me', readHeaders(admin)), 'GET /api/auth/me', 200),
    ) as { user: { id: string } };
    admin.userId = me.user.id;

    const run = randomBytes(3).toString('hex');
    const create = async (role: 'staff' | 'supervisor', index: number, ip: string): Promise<Person> => {
      const username = `${role === 'staff' ? 'counter' : 'supervisor'}-${run}-${index}`;
      const password = `Floor-${randomBytes(15).toString('base64url')}`;
      const text = await expectStatus(
        client.send(
          'POST',
          '/api/users',
          jsonHeaders(admin),
          JSON.stringify({ username, display_name: `${role} ${index}`, role, password }),
        ),
        `POST /api/users (${role})`,
        201,
      );
      const user = JSON.parse(text) as { id: string };
      return { username, password, userId: user.id, token: '', ip };
    };
    const supervisors = await inBatches(
      Array.from({ length: options.supervisors }, (_, i) => i),
      4,
      (i) => create('supervisor', i, deviceIp(1 + i)),
    );
    const staff = await inBatches(
      Array.from({ length: options.counters }, (_, i) => i),
      4,
      (i) => create('staff', i, deviceIp(1 + options.supervisors + i)),
    );

    const session = async (name: string, mode: 'standard' | 'strict'): Promise<string> => {
      const text = await expectStatus(
        client.send(
          'POST',
          '/api/count-sessions',
          jsonHeaders(admin),
          JSON.stringify({ name, warehouse_id: floor.warehouseId, mode }),
        ),
        'POST /api/count-sessions',
        201,
      );
      return (JSON.parse(text) as { id: string }).id;
    };
    const step = (id: string, name: 'start' | 'submit') =>
      expectStatus(
        client.send('POST', `/api/count-sessions/${id}/${name}`, jsonHeaders(admin), '{}'),
        `POST /api/count-sessions/:id/${name}`,
        200,
      );

    // Strict mode: every line counted one short (as seedMixedFloor's book) goes to review on submit.
    const reviewSessionId = await session(`Floor review ${run}`, 'strict');
    await step(reviewSessionId, 'start');
    const countedAt = new Date().toISOString();
    for (let start = 0; start < floor.items; start += 500) {
      const entries = Array.from({ length: Math.min(500, floor.items - start) }, (_, k) => {
        const index = start + k;
        return {
          session_id: reviewSessionId,
          client_id: randomUUID(),
          location_id: floor.locationIds[index % floor.locationIds.length] as string,
          barcode: catalogueItem(index).ean13,
          quantity: bookQuantity(index) - 1,
          device_id: 'setup',
          counted_at: countedAt,
        };
      });
      await expectStatus(
        client.send('POST', '/api/sync/batch', jsonHeaders(admin), JSON.stringify({ entries })),
        'POST /api/sync/batch',
        200,
      );
    }
    await step(reviewSessionId, 'submit');

    const countSessionId = await session(`Floor count ${run}`, 'standard');
    for (let start = 0; start < staff.length; start += 500) {
      const assignments = staff.slice(start, start + 500).map((person, k) => ({
        location_id: floor.locationIds[start + k] as string,
        user_ids: [person.userId],
      }));
      await expectStatus(
        client.send(
          'POST',
          `/api/count-sessions/${countSessionId}/assignments`,
          jsonHeaders(admin),
          JSON.stringify({ assignments }),
        ),
        'POST /api/count-sessions/:id/assignments',
        200,
      );
    }
    await step(countSessionId, 'start');

    await inBatches(supervisors, 4, async (person) => {
      person.token = await signInAs(client, person);
    });
    const counters = await inBatches(staff, 4, async (person, n): Promise<Counter> => {
      person.token = await signInAs(client, person);
      const locationId = floor.locationIds[n] as string;
      await expectStatus(
        client.send(
          'POST',
          `/api/locations/${locationId}/claim`,
          jsonHeaders(person),
          JSON.stringify({ session_id: countSessionId }),
        ),
        'POST /api/locations/:id/claim',
        200,
      );
      const barcodes: string[] = [];
      for (let index = n; index < floor.items; index += floor.locationIds.length) {
        barcodes.push(catalogueItem(index).ean13);
      }
      return { ...person, locationId, barcodes };
    });
    return { countSessionId, reviewSessionId, counters, supervisors, admin };
  } finally {
    client.close();
  }
}

// --- statistics -------------------------------------------------------------------------------

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarise(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) =>
    sorted.length === 0
      ? 0
      : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
  return {
    count: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0),
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32): a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- the traffic ------------------------------------------------------------------------------

export type ActionKind =
  | 'lookup'
  | 'entry'
  | 'heartbeat'
  | 'progress'
  | 'sessions'
  | 'session'
  | 'lines'
  | 'review-lines'
  | 'decision'
  | 'sign-out'
  | 'sign-in'
  | 'import'
  | 'export';

/** The statuses each action must answer; anything else is counted as unexpected. */
const EXPECTED: Record<ActionKind, readonly number[]> = {
  lookup: [200],
  // 201 accepted; 200 a duplicate (a retry of the same client_id): never sent twice here.
  entry: [201],
  heartbeat: [200],
  progress: [200],
  sessions: [200],
  session: [200],
  lines: [200],
  'review-lines': [200],
  decision: [200],
  'sign-out': [204],
  'sign-in': [200],
  import: [202],
  export: [200],
};

export interface TrafficOptions {
  baseUrl: string;
  plan: TrafficPlan;
  /** How much faster than real time: 1 is a real floor, 30 runs an hour in two minutes. */
  pace: number;
  /** Stop after this many seconds of wall time… */
  seconds?: number;
  /** …or once every counter has made this many scans (an hour's worth: SCANS_PER_HOUR). */
  scansPerCounter?: number;
  /** Sign-outs and -ins, imports and exports (the soak). */
  extras?: boolean;
  /** Seed of the pseudo-random pacing and choices. */
  seed: number;
  /** Keep the client_id of every entry answered 201 (the soak checks each is stored). */
  keepAcknowledged?: boolean;
}

export interface Unexpected {
  kind: ActionKind;
  status: number;
  body: string;
}

export interface TrafficResult {
  pace: number;
  /** Wall seconds from the first to the last request. */
  seconds: number;
  requests: number;
  /** Requests completed per second. */
  reqPerSec: number;
  /** Completed scans (lookup 200 and entry 201) per second. */
  scansPerSec: number;
  scans: number;
  latency: LatencySummary;
  byKind: Partial<Record<ActionKind, LatencySummary>>;
  statusCounts: Record<string, number>;
  /** Answers other than an action's expected status (the first 20 of them), and their count. */
  unexpected: Unexpected[];
  unexpectedCount: number;
  serverErrors: number;
  connectionErrors: number;
  /** Entries answered 201. */
  acknowledged: number;
  acknowledgedIds: string[];
  /** Scans that started later than their turn because the one before was still answered. */
  lateScans: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Fields and a file as multipart/form-data (the import upload). */
function multipart(fields: Record<string, string>, file: { name: string; content: string }) {
  const boundary = `----floor${randomBytes(8).toString('hex')}`;
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  parts.push(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\n` +
      `content-type: text/csv\r\n\r\n${file.content}\r\n--${boundary}--\r\n`,
  );
  return {
    body: Buffer.from(parts.join(''), 'utf8'),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** An items CSV of 100 catalogue items, the names changed by `version` (an ERP refresh). */
function itemsCsv(start: number, version: number): string {
  const lines = [ITEMS_CSV_HEADER];
  for (let index = start; index < start + 100; index += 1) {
    const it = catalogueItem(index);
    lines.push(
      `${it.item_code},${it.name} r${version},${it.category},${it.base_uom},${costText(it.unit_cost_cents)},${it.ean13}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the floor's traffic against `baseUrl` and answers what it measured. */
export async function runTraffic(options: TrafficOptions): Promise<TrafficResult> {
  const { plan, pace } = options;
  if (options.seconds === undefined && options.scansPerCounter === undefined) {
    throw new Error('runTraffic needs seconds or scansPerCounter');
  }
  const client = new Client(options.baseUrl);
  const random = seededRandom(options.seed);
  const latencies: number[] = [];
  const byKind = new Map<ActionKind, number[]>();
  const statusCounts: Record<string, number> = {};
  const unexpected: Unexpected[] = [];
  const acknowledgedIds: string[] = [];
  let unexpectedCount = 0;
  let serverErrors = 0;
  let connectionErrors = 0;
  let acknowledged = 0;
  let scans = 0;
  let lateScans = 0;
  let countersLeft = plan.counters.length;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;

  const started = performance.now();
  const deadline =
    options.seconds === undefined ? Number.POSITIVE_INFINITY : started + options.seconds * 1000;
  const stopped = () => performance.now() >= deadline || countersLeft === 0;
  /** Real-time interval of the floor, compressed, with ±50 % jitter. */
  const interval = (ms: number) => (ms * (0.5 + random())) / pace;

  const call = async (
    kind: ActionKind,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string | Buffer,
  ): Promise<Answer> => {
    const begin = performance.now();
    first = Math.min(first, begin);
    const answer = await client.send(method, path, headers, body);
    last = Math.max(last, performance.now());
    latencies.push(answer.ms);
    const kindLatencies = byKind.get(kind) ?? [];
    if (kindLatencies.length === 0) byKind.set(kind, kindLatencies);
    kindLatencies.push(answer.ms);
    statusCounts[answer.status] = (statusCounts[answer.status] ?? 0) + 1;
    if (answer.status === 0) connectionErrors += 1;
    if (answer.status >= 500) serverErrors += 1;
    if (!EXPECTED[kind].includes(answer.status)) {
      unexpectedCount += 1;
      if (unexpected.length < 20)
        unexpected.push({ kind, status: answer.status, body: answer.text.slice(0, 300) });
    }
    return answer;
  };

  const counter = async (person: Counter, n: number) => {
    const limit = options.scansPerCounter ?? Number.POSITIVE_INFINITY;
    let done = 0;
    let signedOut = false;
    // Staggered: the floor does not start in step.
    let nextScan = started + random() * (SCAN_INTERVAL_MS / pace);
    let nextHeartbeat = started + random() * (HEARTBEAT_MS / pace);
    let nextProgress = started + random() * (PROGRESS_MS / pace);
    try {
      while (done < limit && performance.now() < deadline) {
        const now = performance.now();
        if (nextScan < now - 1) lateScans += 1;
        await sleep(nextScan - now);
        if (performance.now() >= deadline) break;
        const barcode = person.barcodes[Math.floor(random() * person.barcodes.length)] as string;
        const found = await call(
          'lookup',
          'GET',
          `/api/items/lookup?barcode=${barcode}`,
          readHeaders(person),
        );
        if (found.status === 200) {
          const clientId = randomUUID();
          const entry = await call(
            'entry',
            'POST',
            `/api/count-sessions/${plan.countSessionId}/entries`,
            jsonHeaders(person),
            JSON.stringify({
              client_id: clientId,
              location_id: person.locationId,
              barcode,
              quantity: 1,
              device_id: `handheld-${n}`,
            }),
          );
          if (entry.status === 201) {
            acknowledged += 1;
            scans += 1;
            if (options.keepAcknowledged) acknowledgedIds.push(clientId);
          }
        }
        done += 1;
        nextScan += interval(SCAN_INTERVAL_MS);
        const after = performance.now();
        if (after >= nextHeartbeat) {
          await call(
            'heartbeat',
            'POST',
            `/api/locations/${person.locationId}/claim`,
            jsonHeaders(person),
            JSON.stringify({ session_id: plan.countSessionId }),
          );
          nextHeartbeat += interval(HEARTBEAT_MS);
        }
        if (after >= nextProgress) {
          await call(
            'progress',
            'GET',
            `/api/my/assignments?session_id=${plan.countSessionId}`,
            readHeaders(person),
          );
          nextProgress += interval(PROGRESS_MS);
        }
        // The break, half-way through the hour: sign out, sign in again.
        if (options.extras && !signedOut && done >= limit / 2) {
          signedOut = true;
          await call('sign-out', 'POST', '/api/auth/logout', readHeaders(person));
          const again = await call(
            'sign-in',
            'POST',
            '/api/auth/login',
            jsonHeaders(null, person.ip),
            JSON.stringify({ username: person.username, password: person.password }),
          );
          if (again.status === 200)
            person.token = (JSON.parse(again.text) as { access_token: string }).access_token;
        }
      }
    } finally {
      countersLeft -= 1;
    }
  };

  const supervisor = async (person: Person, k: number) => {
    const share = plan.supervisors.length;
    let nextRead = started + random() * (SUPERVISOR_READ_MS / pace);
    let nextDecision = started + random() * (SUPERVISOR_DECISION_MS / pace);
    let nextExport = started + (k + 1) * (EXPORT_MS / pace / 2);
    let reads = 0;
    let decisions = 0;
    while (!stopped()) {
      const wake = Math.min(
        nextRead,
        nextDecision,
        options.extras && k === 0 ? nextExport : Number.POSITIVE_INFINITY,
      );
      await sleep(Math.min(wake - performance.now(), 250));
      if (stopped()) break;
      const now = performance.now();
      if (now >= nextRead) {
        const which = reads++ % 4;
        if (which === 0)
          await call('sessions', 'GET', '/api/count-sessions?status=counting', readHeaders(person));
        else if (which === 1)
          await call('session', 'GET', `/api/count-sessions/${plan.countSessionId}`, readHeaders(person));
        else if (which === 2)
          await call(
            'lines',
            'GET',
            `/api/count-sessions/${plan.countSessionId}/lines?has_variance=true&limit=50`,
            readHeaders(person),
          );
        else
          await call(
            'review-lines',
            'GET',
            `/api/count-sessions/${plan.reviewSessionId}/lines?status=review&limit=50`,
            readHeaders(person),
          );
        nextRead += interval(SUPERVISOR_READ_MS);
      }
      if (now >= nextDecision) {
        nextDecision += interval(SUPERVISOR_DECISION_MS);
        const page = await call(
          'review-lines',
          'GET',
          `/api/count-sessions/${plan.reviewSessionId}/lines?status=review&limit=100`,
          readHeaders(person),
        );
        if (page.status !== 200) continue;
        const lines = (JSON.parse(page.text) as { items: { id: string }[] }).items;
        // This supervisor's share: lines whose id ends in a digit that falls to it.
        const line = lines.find((candidate) => Number.parseInt(candidate.id.slice(-2), 16) % share === k);
        if (!line) continue;
        decisions += 1;
        if (decisions % 3 === 0) {
          await call(
            'decision',
            'POST',
            `/api/count-lines/${line.id}/reject`,
            jsonHeaders(person),
            JSON.stringify({ note: 'Recount please' }),
          );
        } else {
          await call(
            'decision',
            'POST',
            `/api/count-lines/${line.id}/approve`,
            jsonHeaders(person),
            JSON.stringify({ reason_code: 'misplaced' }),
          );
        }
      }
      if (options.extras && k === 0 && now >= nextExport) {
        nextExport += EXPORT_MS / pace;
        await call(
          'export',
          'GET',
          `/api/count-sessions/${plan.reviewSessionId}/export?kind=variance&format=csv`,
          readHeaders(person),
        );
      }
    }
  };

  const imports = async () => {
    let version = 0;
    let nextImport = started + IMPORT_MS / pace / 2;
    while (!stopped()) {
      await sleep(Math.min(nextImport - performance.now(), 250));
      if (stopped() || performance.now() < nextImport) continue;
      nextImport += IMPORT_MS / pace;
      version += 1;
      const form = multipart(
        { kind: 'items' },
        { name: `erp-items-${version}.csv`, content: itemsCsv(0, version) },
      );
      await call(
        'import',
        'POST',
        '/api/imports',
        { ...readHeaders(plan.admin), 'content-type': form.contentType },
        form.body,
      );
    }
  };

  try {
    await Promise.all([
      ...plan.counters.map((person, n) => counter(person, n)),
      ...plan.supervisors.map((person, k) => supervisor(person, k)),
      ...(options.extras ? [imports()] : []),
    ]);
  } finally {
    client.close();
  }
  const seconds = latencies.length > 0 ? (last - first) / 1000 : 0;
  const kinds: Partial<Record<ActionKind, LatencySummary>> = {};
  for (const [kind, values] of byKind) kinds[kind] = summarise(values);
  return {
    pace,
    seconds,
    requests: latencies.length,
    reqPerSec: seconds > 0 ? latencies.length / seconds : 0,
    scansPerSec: seconds > 0 ? scans / seconds : 0,
    scans,
    latency: summarise(latencies),
    byKind: kinds,
    statusCounts,
    unexpected,
    unexpectedCount,
    serverErrors,
    connectionErrors,
    acknowledged,
    acknowledgedIds,
    lateScans,
  };
}

/** Scans per second as counters at SCANS_PER_HOUR each: rate × 3600 / 650. */
export function countersFor(scansPerSecond: number): number {
  return (scansPerSecond * 3600) / SCANS_PER_HOUR;
}
