import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/platform/http/access.ts';
import { bearer, type TestApp } from '../helpers/test-app.ts';
import type { Pools } from './values.ts';

type Json = Record<string, unknown>;

const POOL_LIMIT = 40;

/**
 * The data the fuzzer aims at: real rows created through the API (so valid requests reach deep
 * code), their ids by kind, and the tokens of one user per role (renewed when a request ends a
 * session: logout, password change, deactivation … are fuzzed like everything else).
 */
export class World implements Pools {
  private readonly pools = new Map<string, string[]>();
  readonly tokens = new Map<Role, string>();
  private readonly userIds = new Map<Role, string>();
  /** Built-in flags as seeded, restored now and then so the fuzzer cannot switch coverage off for good. */
  private flagStates: Json[] = [];

  constructor(private readonly app: TestApp) {}

  get(kind: string): readonly string[] {
    return this.pools.get(kind) ?? [];
  }

  /**
   * The session being counted and the location claimed in it: half the requests that name a
   * session or a location aim there, so counting operations reach past "not counting" and "not in
   * scope" while the fuzzer cancels and finishes other sessions.
   */
  private readonly current = new Map<string, string>();
  preferred(kind: string): string | undefined {
    return this.current.get(kind);
  }

  add(kind: string, value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    const list = this.pools.get(kind) ?? [];
    if (list.includes(value)) return;
    list.push(value);
    if (list.length > POOL_LIMIT) list.splice(1, 1); // the first (seeded) value stays
    this.pools.set(kind, list);
  }

  async renewToken(role: Role): Promise<string> {
    const user = await this.app.userWithToken(role);
    this.tokens.set(role, user.token);
    this.userIds.set(role, user.id);
    this.add('users', user.id);
    this.add('usernames', user.username);
    return user.token;
  }

  /** The role's token, or a new user's if that one no longer works. */
  async ensureToken(role: Role): Promise<boolean> {
    const token = this.tokens.get(role);
    if (token) {
      const me = await this.call('GET', '/api/auth/me', undefined, token);
      if (me.status === 200) return false;
    }
    await this.renewToken(role);
    return true;
  }

  async call(method: string, url: string, payload?: unknown, token = this.tokens.get('admin')) {
    const response = await this.app.server.inject({
      method: method as 'GET',
      url,
      headers: token ? bearer(token) : {},
      ...(payload !== undefined ? { payload: payload as Json } : {}),
    });
    let body: unknown = null;
    try {
      body = response.json();
    } catch {
      body = response.body;
    }
    return { status: response.statusCode, body: body as Json };
  }

  private async must(method: string, url: string, payload?: unknown, token?: string): Promise<Json> {
    const response = await this.call(method, url, payload, token);
    if (response.status >= 300)
      throw new Error(`seeding ${method} ${url}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** Takes the ids a successful response shows, into the pool of its resource. */
  harvest(method: string, path: string, body: unknown): void {
    if (body === null || typeof body !== 'object') return;
    const segments = path.split('/').filter((s) => s !== '' && !s.startsWith('{'));
    const last = segments[segments.length - 1] ?? '';
    const kind =
      ({ entries: 'count-entries', lines: 'count-lines', ip_list: 'ips' } as Record<string, string>)[last] ??
      last;
    const record = body as Json;
    if (!path.endsWith('}') && typeof record.id === 'string' && method === 'POST') this.add(kind, record.id);
    if (Array.isArray(record.items) && method === 'GET' && !path.endsWith('}')) {
      for (const item of record.items.slice(0, 5) as Json[]) {
        if (typeof item?.id === 'string') this.add(kind, item.id);
        if (typeof item?.event_id === 'string') this.add('audit-events', item.event_id);
      }
    }
  }

  /** Creates the data every operation can aim at, through the API. */
  async seed(): Promise<void> {
    for (const role of ['admin', 'supervisor', 'auditor', 'staff'] as const) await this.renewToken(role);
    const staffId = this.userIds.get('staff') as string;
    const suffix = randomUUID().slice(0, 6);

    const warehouses: string[] = [];
    for (const code of [`WH1-${suffix}`, `WH2-${suffix}`]) {
      const warehouse = await this.must('POST', '/api/warehouses', { code, name: `Warehouse ${code}` });
      warehouses.push(warehouse.id as string);
      this.add('warehouses', warehouse.id);
    }
    const locationCodes: string[] = [];
    for (let i = 1; i <= 4; i += 1) {
      const code = `A-0${i}`;
      const location = await this.must('POST', '/api/locations', {
        warehouse_id: warehouses[0],
        code,
        name: `Aisle ${i}`,
        kind: 'bin',
        barcode: `LOC-${suffix}-${i}`,
      });
      locationCodes.push(code);
      this.add('locations', location.id);
      this.add('barcodes', `LOC-${suffix}-${i}`);
    }
    const itemCodes: string[] = [];
    for (const [i, tracking] of (['none', 'none', 'lot', 'serial'] as const).entries()) {
      const code = `SKU-${suffix}-${i}`;
      const barcode = `BC-${suffix}-${i}`;
      const item = await this.must('POST', '/api/items', {
        item_code: code,
        name: `Item ${i} ${tracking}`,
        category: i % 2 === 0 ? 'Tools' : 'Paint',
        base_uom: 'EA',
        unit_cost: 2.5 + i,
        abc_class: (['A', 'B', 'C', 'A'] as const)[i],
        tracking,
        barcodes: [{ barcode }, { barcode: `${barcode}-6`, pack_qty: 6 }],
      });
      itemCodes.push(code);
      this.add('items', item.id);
      this.add('barcodes', barcode);
      this.add('categories', i % 2 === 0 ? 'Tools' : 'Paint');
    }

    // Book quantities, through the import (the only way in besides the ERP).
    const csv = [
      'item_code,warehouse_code,location_code,quantity',
      ...itemCodes.map(
        (code, i) => `${code},WH1-${suffix},${locationCodes[i % locationCodes.length]},${10 + i}`,
      ),
    ].join('\n');
    const boundary = '----seedBoundary';
    const multipart = [
      `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nstock_levels\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="levels.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const upload = await this.app.server.inject({
      method: 'POST',
      url: '/api/imports',
      headers: {
        ...bearer(this.tokens.get('admin') as string),
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: multipart,
    });
    if (upload.statusCode !== 202) throw new Error(`seeding import: ${upload.statusCode} ${upload.body}`);
    const jobId = (upload.json() as Json).id as string;
    this.add('imports', jobId);
    for (let i = 0; i < 200; i += 1) {
      const job = await this.must('GET', `/api/imports/${jobId}`);
      if (job.status === 'succeeded') break;
      if (job.status === 'failed') throw new Error(`seeding import failed: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    await this.newCountingSession(staffId);
    const draft = await this.must('POST', '/api/count-sessions', {
      name: 'Draft count',
      warehouse_id: warehouses[0],
      mode: 'blind',
    });
    this.add('count-sessions', draft.id);

    // Flags: the built-ins, and one of our own.
    const flags = await this.must('GET', '/api/enterprise/features');
    this.flagStates = (flags.items as Json[]).filter((flag) => flag.built_in);
    for (const flag of flags.items as Json[]) this.add('flags', flag.key);
    await this.must('POST', '/api/enterprise/features', {
      key: `fuzz_${suffix.toLowerCase().replace(/[^a-z0-9]/g, 'x')}`,
      state: 'enabled',
    });
    this.add('flags', `fuzz_${suffix.toLowerCase().replace(/[^a-z0-9]/g, 'x')}`);

    await this.must('POST', '/api/enterprise/security/ip-list', {
      ip_address: '203.0.113.9',
      list_type: 'blacklist',
      reason: 'fuzz seed',
    });
    this.add('ips', '203.0.113.9');

    const request = await this.call('POST', '/api/enterprise/governance/data-requests', {
      request_type: 'access',
      subject_id: staffId,
      details: 'fuzz seed',
    });
    if (request.status === 201) this.add('data-requests', request.body.id);

    const connector = await this.call('POST', '/api/integrations/connectors', {
      name: `Fuzz ${suffix}`,
      kind: 'file_drop',
      enabled: false,
      settings: { directory: '/nonexistent/fuzz' },
    });
    if (connector.status === 201) this.add('connectors', connector.body.id);

    const jobs = await this.must('GET', '/api/integrations/jobs');
    for (const job of jobs.items as Json[]) this.add('jobs', job.name);
    const retention = await this.call('GET', '/api/enterprise/governance/retention-policies');
    if (retention.status === 200)
      for (const table of retention.body.retainable_tables as unknown[])
        this.add(
          'tables',
          typeof table === 'string' ? table : ((table as Json).collection_name ?? (table as Json).name),
        );
    const logs = await this.must('GET', '/api/enterprise/audit/logs?limit=20');
    for (const entry of logs.items as Json[]) this.add('audit-events', entry.event_id);
  }

  /** A started session with an assignment, a claim and a few entries: the target of counting operations. */
  async newCountingSession(staffId = this.userIds.get('staff') as string): Promise<void> {
    const warehouse = this.get('warehouses')[0] as string;
    // The fuzzer may have deactivated the seeded warehouse and locations: bring them back.
    await this.call('PATCH', `/api/warehouses/${warehouse}`, { active: true });
    for (const location of this.get('locations').slice(0, 4))
      await this.call('PATCH', `/api/locations/${location}`, { active: true });
    const session = await this.must('POST', '/api/count-sessions', {
      name: `Fuzz count ${this.get('count-sessions').length + 1}`,
      warehouse_id: warehouse,
      mode: 'standard',
    });
    const id = session.id as string;
    await this.must('POST', `/api/count-sessions/${id}/start`, {});
    this.add('count-sessions', id);
    const locations = this.get('locations').slice(0, 4);
    // The admin too: most fuzzed requests are an admin's, and only an assigned user's entries count.
    const counters = [staffId, this.userIds.get('admin') as string];
    await this.call('POST', `/api/count-sessions/${id}/assignments`, {
      assignments: locations.map((location) => ({ location_id: location, user_ids: counters })),
    });
    const location = locations[0] as string;
    this.current.set('count-sessions', id);
    this.current.set('locations', location);
    await this.call('POST', `/api/locations/${location}/claim`, { session_id: id }, this.tokens.get('staff'));
    for (const barcode of this.get('barcodes').slice(4, 6)) {
      const entry = await this.call(
        'POST',
        `/api/count-sessions/${id}/entries`,
        { client_id: randomUUID(), location_id: location, barcode, quantity: 3 },
        this.tokens.get('staff'),
      );
      if (entry.status < 300) this.add('count-entries', (entry.body.entry as Json)?.id);
    }
    const lines = await this.call('GET', `/api/count-sessions/${id}/lines?limit=10`);
    if (lines.status === 200) for (const line of lines.body.items as Json[]) this.add('count-lines', line.id);
  }

  /** Puts the built-in flags back as seeded (the fuzzer may have disabled or narrowed them). */
  async restoreFlags(): Promise<void> {
    for (const flag of this.flagStates) {
      await this.call('PATCH', `/api/enterprise/features/${flag.key}`, {
        state: flag.state,
        percentage: flag.percentage,
        allowed_users: flag.allowed_users,
        allowed_roles: flag.allowed_roles,
      });
    }
  }
}
