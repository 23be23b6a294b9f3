import { randomUUID } from 'node:crypto';
import { type ServerProcess, startServer, waitForReady } from '../helpers/server-process.ts';

/**
 * A counting floor set up over HTTP against a running product process, the way a real deployment
 * is set up: the first admin signs in, creates the warehouse, its bins, the items with their
 * barcodes, imports the book stock, creates a supervisor and counters; the supervisor plans a
 * count, assigns the counters to every bin and starts it. Used by the crash-safety and
 * multi-instance tests, which must drive the product as separate processes.
 */

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'Resilience-Owner-pass-71';
/** Every user this fixture creates signs in with this password. */
export const USER_PASSWORD = 'correct-Horse-battery-7';

/** The environment every process of these tests starts with (besides the store's). */
export function baseEnv(): Record<string, string> {
  return {
    ADMIN_USERNAME,
    ADMIN_PASSWORD,
    // Bursts of hundreds of writes from a handful of users: the per-user limits are not under test.
    RATE_LIMIT_WRITES_PER_MINUTE: '0',
    RATE_LIMIT_SIGNIN_PER_MINUTE: '0',
    LOG_LEVEL: 'WARN',
    // No ERP is configured; keep the background jobs out of the way.
    ERP_DELIVERY_INTERVAL_SECONDS: '3600',
  };
}

/**
 * startServer, with a wait for readiness long enough for processes compiling at once on a busy
 * two-core machine (a start takes 10-15 s there; startServer's own wait is 30 s).
 */
export async function startInstance(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer(env, { ready: false });
  try {
    await waitForReady(server.port, server.child, 120_000);
  } catch (error) {
    server.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${server.output().slice(-4000)}`);
  }
  return server;
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in the tests
  body: any;
}

/** One JSON request; the answer's status and parsed body (null when not JSON). */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** A call that must answer `status`; throws with the answer otherwise. */
export async function expectCall(
  status: number,
  baseUrl: string,
  method: string,
  path: string,
  options: Parameters<typeof call>[3] = {},
  // biome-ignore lint/suspicious/noExplicitAny: see Answer
): Promise<any> {
  const answer = await call(baseUrl, method, path, options);
  if (answer.status !== status) {
    throw new Error(
      `${method} ${path} answered ${answer.status}, expected ${status}: ${JSON.stringify(answer.body).slice(0, 500)}`,
    );
  }
  return answer.body;
}

/** Signs in; returns the bearer token. */
export async function signIn(
  baseUrl: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const body = await expectCall(200, baseUrl, 'POST', '/api/auth/login', {
    body: { username, password },
    headers,
  });
  return body.access_token as string;
}

export interface Person {
  id: string;
  username: string;
  token: string;
}

export interface Floor {
  warehouseId: string;
  locationIds: string[];
  /** One barcode per item (internal codes). */
  barcodes: string[];
  sessionId: string;
  admin: Person;
  supervisor: Person;
  counters: Person[];
}

/** What one entry submission sends, and who sends it. */
export interface Submission {
  counter: number;
  body: {
    client_id: string;
    location_id: string;
    barcode: string;
    quantity: number;
    device_id: string;
  };
}

async function createUser(
  baseUrl: string,
  adminToken: string,
  username: string,
  role: 'supervisor' | 'staff',
): Promise<string> {
  const user = await expectCall(201, baseUrl, 'POST', '/api/users', {
    token: adminToken,
    body: { username, display_name: username, role, password: USER_PASSWORD },
  });
  return user.id as string;
}

/** Polls an import job until it is done; it must have succeeded with every row taken. */
async function awaitImport(baseUrl: string, token: string, id: string, rows: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const job = await expectCall(200, baseUrl, 'GET', `/api/imports/${id}`, { token });
    if (job.status === 'succeeded') {
      if (job.rejected !== 0 || job.inserted + job.updated + job.unchanged !== rows)
        throw new Error(`stock import took ${job.inserted} of ${rows} rows: ${JSON.stringify(job.errors)}`);
      return;
    }
    if (job.status === 'failed') throw new Error(`stock import failed: ${job.error}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('stock import did not finish');
}

export async function setUpFloor(
  baseUrl: string,
  options: { locations: number; items: number; counters: number },
): Promise<Floor> {
  const adminToken = await signIn(baseUrl, ADMIN_USERNAME, ADMIN_PASSWORD);
  const adminMe = await expectCall(200, baseUrl, 'GET', '/api/auth/me', { token: adminToken });
  const admin: Person = { id: adminMe.user.id, username: ADMIN_USERNAME, token: adminToken };
  const token = adminToken;

  const warehouse = await expectCall(201, baseUrl, 'POST', '/api/warehouses', {
    token,
    body: { code: 'WH-RES', name: 'Resilience warehouse' },
  });
  const locationIds: string[] = [];
  const locationCodes: string[] = [];
  for (let l = 0; l < options.locations; l += 1) {
    const code = `BIN-${String(l).padStart(3, '0')}`;
    const location = await expectCall(201, baseUrl, 'POST', '/api/locations', {
      token,
      body: { warehouse_id: warehouse.id, code, name: `Bin ${l}`, kind: 'bin' },
    });
    locationIds.push(location.id);
    locationCodes.push(code);
  }
  const barcodes: string[] = [];
  const itemCodes: string[] = [];
  for (let i = 0; i < options.items; i += 1) {
    const itemCode = `RES-${String(i).padStart(4, '0')}`;
    const barcode = `RS-${String(i).padStart(6, '0')}`;
    await expectCall(201, baseUrl, 'POST', '/api/items', {
      token,
      body: {
        item_code: itemCode,
        name: `Resilience item ${i}`,
        base_uom: 'EA',
        unit_cost: '2.50',
        barcodes: [{ barcode }],
      },
    });
    itemCodes.push(itemCode);
    barcodes.push(barcode);
  }

  // The book stock, as an operator loads it: a CSV import of every item at every bin.
  const rows = ['item_code,warehouse_code,location_code,quantity'];
  for (const [i, itemCode] of itemCodes.entries())
    for (const [l, locationCode] of locationCodes.entries())
      rows.push(`${itemCode},WH-RES,${locationCode},${(i + l) % 9}`);
  const form = new FormData();
  form.append('kind', 'stock_levels');
  form.append('file', new Blob([rows.join('\n')]), 'stock.csv');
  const upload = await fetch(`${baseUrl}/api/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const job = (await upload.json()) as { id?: string };
  if (upload.status !== 202 || !job.id) throw new Error(`stock import answered ${upload.status}`);
  await awaitImport(baseUrl, token, job.id, rows.length - 1);

  const supervisorName = 'res-supervisor';
  const supervisorId = await createUser(baseUrl, token, supervisorName, 'supervisor');
  const supervisor: Person = {
    id: supervisorId,
    username: supervisorName,
    token: await signIn(baseUrl, supervisorName, USER_PASSWORD),
  };
  const counters: Person[] = [];
  for (let c = 0; c < options.counters; c += 1) {
    const username = `res-counter-${c}`;
    const id = await createUser(baseUrl, token, username, 'staff');
    counters.push({ id, username, token: await signIn(baseUrl, username, USER_PASSWORD) });
  }

  const session = await expectCall(201, baseUrl, 'POST', '/api/count-sessions', {
    token: supervisor.token,
    body: { name: 'Resilience count', warehouse_id: warehouse.id, mode: 'standard' },
  });
  await expectCall(200, baseUrl, 'POST', `/api/count-sessions/${session.id}/assignments`, {
    token: supervisor.token,
    body: {
      assignments: locationIds.map((locationId) => ({
        location_id: locationId,
        user_ids: counters.map((counter) => counter.id),
      })),
    },
  });
  const started = await expectCall(200, baseUrl, 'POST', `/api/count-sessions/${session.id}/start`, {
    token: supervisor.token,
    body: {},
  });
  if (started.status !== 'counting') throw new Error(`the started session is ${started.status}`);

  return {
    warehouseId: warehouse.id,
    locationIds,
    barcodes,
    sessionId: session.id,
    admin,
    supervisor,
    counters,
  };
}

/** `n` submissions, each with its own client_id, spread over counters, bins, items and quantities. */
export function makeSubmissions(floor: Floor, n: number): Submission[] {
  return Array.from({ length: n }, (_, i) => ({
    counter: i % floor.counters.length,
    body: {
      client_id: randomUUID(),
      location_id: floor.locationIds[i % floor.locationIds.length]!,
      barcode: floor.barcodes[(i * 7) % floor.barcodes.length]!,
      quantity: (i % 11) + 1,
      device_id: `handheld-${i % floor.counters.length}`,
    },
  }));
}

export interface StoredEntry {
  id: string;
  client_id: string;
  quantity: number;
  counted_by: string;
  location_id: string;
  voided: boolean;
}

/** Every item of a paginated list (`items`, `next_cursor`), read page by page through the API. */
// biome-ignore lint/suspicious/noExplicitAny: see Answer
export async function listAll(baseUrl: string, token: string, path: string): Promise<any[]> {
  // biome-ignore lint/suspicious/noExplicitAny: see Answer
  const items: any[] = [];
  let cursor: string | null = null;
  const [route, search] = path.split('?') as [string, string | undefined];
  for (;;) {
    const query = new URLSearchParams(search ?? '');
    query.set('limit', '200');
    if (cursor) query.set('cursor', cursor);
    const page = await expectCall(200, baseUrl, 'GET', `${route}?${query}`, { token });
    items.push(...page.items);
    cursor = page.next_cursor as string | null;
    if (!cursor) return items;
  }
}

/** Every entry of the session, read through the API. */
export async function listEntries(baseUrl: string, token: string, sessionId: string): Promise<StoredEntry[]> {
  return listAll(baseUrl, token, `/api/count-sessions/${sessionId}/entries`);
}

/** Runs `worker` over `items` with at most `concurrency` at a time; stops taking new ones when `stop()`. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < items.length && !stop()) {
      const index = next;
      next += 1;
      await worker(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The log lines of a process at level ERROR or above: a healthy run under load writes none. */
export function errorLogLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .filter((line) => {
      try {
        const level = (JSON.parse(line) as { level?: unknown }).level;
        return level === 'ERROR' || level === 'FATAL';
      } catch {
        return true;
      }
    });
}

/** The error answer without its request id: what must be the same wherever it is asked. */
export function errorShape(answer: Answer): { status: number; code: unknown; message: unknown } {
  return { status: answer.status, code: answer.body?.error?.code, message: answer.body?.error?.message };
}
