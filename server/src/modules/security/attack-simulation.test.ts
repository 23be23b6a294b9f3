import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  bearer,
  createTestApp,
  dialects,
  STRONG_PASSWORD,
  type TestApp,
  testHasher,
} from '../../../test/helpers/test-app.ts';
import { SYSTEM_CONTEXT } from '../audit/events.ts';

/**
 * The guide's brute-force protection end to end, as an attacker meets it: a credential-guessing
 * run against one account from many addresses, through the real HTTP stack (IP filter, rate
 * limit, sign-in, lockouts, automatic blacklisting, trusted devices, security events).
 * The pieces have their own tests (lockout.test.ts, ip-lists.test.ts, request-limits.test.ts);
 * this one checks that together they hold at scale and under concurrency.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The reverse proxy in front of the server: the only peer whose X-Forwarded-For is believed. */
const PROXY = '10.20.0.1';
/** Where the real user works, and where they sign in from later (both behind the proxy). */
const OFFICE = '192.0.2.44';
const HOME = '198.18.7.21';

/** The attacker's 50 addresses: 40 IPv4, 10 IPv6 (canonical text, as the IP lists store them). */
const ATTACKERS = [
  ...Array.from({ length: 25 }, (_, i) => `203.0.113.${10 + i}`),
  ...Array.from({ length: 15 }, (_, i) => `198.51.100.${20 + i}`),
  ...Array.from({ length: 10 }, (_, i) => `2001:db8:bad:${i + 1}::7`),
];
/** Addresses that open some waves on their own, so each such lockout is charged to them. */
const LEAD_A = '203.0.113.10';
const LEAD_B = '2001:db8:bad:4::7';
const LEAD_C = '198.51.100.20';
const LEADS = [LEAD_A, LEAD_B, LEAD_C];

/**
 * Ten waves of 100 guesses. A wave starts when the previous lockout has just ended. Its opening
 * takes the run: either a burst of 20 parallel guesses from one address (the lockout is charged
 * to it: all of the run's failures came from there), or one guess from each of 47 addresses at
 * once (a spread run). The rest of the wave floods in, 50 in parallel at a time, round-robin over
 * all 50 addresses, while the account is locked — the real password among them.
 * A is behind lockouts 1, 4 and 7, so it is blacklisted by wave 7; B by wave 8 (2, 6, 8); C is
 * behind only two (5, 10) and stays open. A spread run's tries come from as many addresses as it
 * has tries, so no address made most of them and the lockout is charged to none.
 */
type Opening = { lead: string } | { spread: true };
const WAVES: Opening[] = [
  { lead: LEAD_A },
  { lead: LEAD_B },
  { spread: true },
  { lead: LEAD_A },
  { lead: LEAD_C },
  { lead: LEAD_B },
  { lead: LEAD_A },
  { lead: LEAD_B },
  { spread: true },
  { lead: LEAD_C },
];
const GUESSES_PER_WAVE = 100;
const LEAD_BURST = 20;
const PARALLEL = 50;
/** LOCKOUT_DURATION_MINUTES=15 doubling per lockout within 24 hours, capped by LOCKOUT_MAX_DURATION_MINUTES=120. */
const EXPECTED_MINUTES = [15, 30, 60, 120, 120, 120, 120, 120, 120, 120];
/** The wave (index) in which the user signs in from home, while the account is locked. */
const USER_SIGNS_IN_DURING_WAVE = 4;

/** A credential-stuffing dictionary, near misses of the real password included (never the password itself). */
const WORDS = [
  'password',
  '123456',
  'qwerty',
  'letmein',
  'welcome',
  'dragon',
  'monkey',
  'sunshine',
  'football',
  'iloveyou',
  'admin',
  'warehouse',
  'stockverify',
  'Summer2025!',
  'Winter2024!',
  'P@ssw0rd',
  'changeme',
  'trustno1',
  'master',
  'shadow',
  'correct-horse-battery-staple',
  'correct-Horse-battery-6',
  'correct-Horse-battery-8',
  'Correct-Horse-battery-7',
  'correct-horse-battery-7',
];
const SUFFIXES = ['', '1', '!', '123', '2024', '2025', '#', '01', '?', '99'];

function dictionary(): () => string {
  let next = 0;
  return () => {
    const word = WORDS[next % WORDS.length]!;
    const suffix = SUFFIXES[Math.floor(next / WORDS.length) % SUFFIXES.length]!;
    next += 1;
    const guess = `${word}${suffix}`;
    if (guess === STRONG_PASSWORD) throw new Error('the dictionary must not contain the real password');
    return guess;
  };
}

/** What a client can observe of an answer, less what differs on every request. */
function observable(response: LightMyRequestResponse) {
  const headers = { ...response.headers };
  for (const perRequest of ['x-request-id', 'x-correlation-id', 'x-trace-id', 'traceparent', 'date']) {
    delete headers[perRequest];
  }
  const { request_id: _requestId, ...body } = response.json() as Record<string, unknown>;
  return { status: response.statusCode, headers, body, cookies: response.cookies };
}

interface Guess {
  ip: string;
  password: string;
}

interface Sent extends Guess {
  wave: number;
  response: LightMyRequestResponse;
  /** The address was blacklisted before this guess was sent: it must get 403. */
  blocked: boolean;
  /** The address gets blacklisted by a request of this very batch: 401 or 403. */
  racing: boolean;
}

interface SecurityEventItem {
  event_type: string;
  user_id: string | null;
  ip_address: string | null;
  timestamp: string;
  details: Record<string, unknown>;
}

describe.each(dialects())('attack simulation on %s', (dialect) => {
  let app: TestApp;
  afterEach(async () => {
    vi.restoreAllMocks();
    await app?.close();
  });

  const events = async (token: string, type: string): Promise<SecurityEventItem[]> => {
    const response = await app.server.inject({
      method: 'GET',
      url: `/api/enterprise/security/events?type=${type}&limit=200`,
      headers: bearer(token),
    });
    expect(response.statusCode).toBe(200);
    const page = response.json() as { items: SecurityEventItem[]; next_cursor?: string | null };
    expect(page.next_cursor ?? null).toBeNull();
    return page.items;
  };

  const ipLists = async (token: string) => {
    const response = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/security/ip-lists',
      headers: bearer(token),
    });
    expect(response.statusCode).toBe(200);
    type Entry = {
      ip_address: string;
      source: string;
      reason: string;
      created_at: string;
      expires_at: string | null;
    };
    return response.json() as { whitelist: Entry[]; blacklist: Entry[] };
  };

  it('1,000 guesses at one account from 50 addresses: no attacker sign-in, doubling lockouts, automatic blacklisting, and the real user still gets in from a trusted device', {
    timeout: 120_000,
  }, async () => {
    app = await createTestApp({
      dialect,
      env: {
        TRUST_PROXY: PROXY,
        MAX_LOGIN_ATTEMPTS: '5',
        LOCKOUT_DURATION_MINUTES: '15',
        LOCKOUT_MAX_DURATION_MINUTES: '120',
        // The default per-address sign-in limit stays on. The attacker paces itself under it (at
        // most 22 guesses per address per minute), the worst case for the lockouts: every guess
        // reaches them. No 429 is expected; request-limits.test.ts covers the limit itself.
        RATE_LIMIT_SIGNIN_PER_MINUTE: '30',
      },
    });
    const admin = await app.userWithToken('admin', 'sec-admin');
    const riley = await app.users.create(
      { username: 'riley', display_name: 'Riley', role: 'staff', password: STRONG_PASSWORD },
      SYSTEM_CONTEXT,
    );
    const { password_hash: realHash } = await app.database.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', riley.id)
      .executeTakeFirstOrThrow();
    const verify = vi.spyOn(testHasher, 'verify');
    const verifiedAgainstReal = (secret: (guess: string) => boolean) =>
      verify.mock.calls.filter(([hashed, guess]) => hashed === realHash && secret(guess)).length;

    const signIn = (ip: string, password: string, cookies?: Record<string, string>) =>
      app.server.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: PROXY,
        headers: { 'x-forwarded-for': ip },
        payload: { username: 'riley', password },
        ...(cookies ? { cookies } : {}),
      });

    // The real user signs in at the office, as on any working day; the browser keeps the device cookie.
    const first = await signIn(OFFICE, STRONG_PASSWORD);
    expect(first.statusCode).toBe(200);
    const cookie = first.cookies.find((c) => c.name === 'sv_device');
    expect(cookie).toMatchObject({ path: '/api/auth', httpOnly: true });
    const device = { sv_device: cookie!.value };
    let userSignIns = 1;

    // The attack.
    const nextGuess = dictionary();
    const sent: Sent[] = [];
    const blacklisted = new Set<string>();
    const charged = new Map<string, number>();
    /** Clock time of each wave, and when each lead's third lockout (its blacklisting) happened. */
    const waveTimes: number[] = [];
    const blacklistedAt = new Map<string, number>();
    let realPasswordGuesses = 0;
    let rotation = 0;

    async function send(wave: number, batch: Guess[], racing: string | null = null) {
      const responses = await Promise.all(batch.map((guess) => signIn(guess.ip, guess.password)));
      responses.forEach((response, i) => {
        const guess = batch[i]!;
        sent.push({
          ...guess,
          wave,
          response,
          blocked: blacklisted.has(guess.ip),
          racing: guess.ip === racing,
        });
      });
    }

    for (const [wave, opening] of WAVES.entries()) {
      waveTimes.push(app.clock.now().getTime());
      // The opening: the account is open, the guesses race for the run's 5 tries.
      let racing: string | null = null;
      let openingBatch: Guess[];
      if ('lead' in opening) {
        openingBatch = Array.from({ length: LEAD_BURST }, () => ({
          ip: opening.lead,
          password: nextGuess(),
        }));
        const lockouts = (charged.get(opening.lead) ?? 0) + 1;
        charged.set(opening.lead, lockouts);
        if (lockouts === 3) racing = opening.lead;
      } else {
        openingBatch = ATTACKERS.filter((ip) => !LEADS.includes(ip)).map((ip) => ({
          ip,
          password: nextGuess(),
        }));
      }
      await send(wave, openingBatch, racing);
      if (racing) {
        blacklisted.add(racing);
        blacklistedAt.set(racing, app.clock.now().getTime());
      }

      // The flood, while the account is locked; the first guess of it is the real password.
      const flood: Guess[] = [];
      for (let i = openingBatch.length; i < GUESSES_PER_WAVE; i += 1) {
        const ip = ATTACKERS[rotation++ % ATTACKERS.length]!;
        flood.push({ ip, password: flood.length === 0 ? STRONG_PASSWORD : nextGuess() });
        if (!blacklisted.has(ip) && flood.length === 1) realPasswordGuesses += 1;
      }
      for (let start = 0; start < flood.length; start += PARALLEL) {
        const batch = flood.slice(start, start + PARALLEL);
        if (wave === USER_SIGNS_IN_DURING_WAVE && start === 0) {
          // Meanwhile, the real user signs in from home with their trusted device: let in, in the
          // middle of 50 parallel guesses, while everyone else is refused.
          const [fromHome] = await Promise.all([signIn(HOME, STRONG_PASSWORD, device), send(wave, batch)]);
          expect(fromHome.statusCode).toBe(200);
          userSignIns += 1;
        } else {
          await send(wave, batch);
        }
      }
      // The last lockout is left in force; the others end exactly on time.
      if (wave < WAVES.length - 1) app.clock.advance(EXPECTED_MINUTES[wave]! * MINUTE);
    }
    const end = app.clock.now().getTime();
    // Hours have passed: the admin's session has ended; they sign in again to look.
    admin.token = await app.login('sec-admin', STRONG_PASSWORD);

    // 1,000 guesses from 50 addresses, the real password among them, and not one sign-in.
    expect(sent).toHaveLength(1000);
    expect(new Set(sent.map((guess) => guess.ip)).size).toBe(50);
    expect(realPasswordGuesses).toBeGreaterThanOrEqual(8);
    expect(sent.filter((guess) => guess.response.statusCode === 200)).toEqual([]);
    expect(sent.filter((guess) => guess.response.statusCode === 429)).toEqual([]);

    // Every refused sign-in gets the one answer of a wrong password: the lock is never revealed.
    const refused = sent.filter((guess) => guess.response.statusCode === 401);
    const answer = observable(refused[0]!.response);
    expect(answer).toMatchObject({
      status: 401,
      body: { error: { code: 'INVALID_CREDENTIALS', message: 'Invalid username or password' } },
      cookies: [],
    });
    for (const guess of refused) expect(observable(guess.response)).toEqual(answer);
    const withRealPassword = refused.filter((guess) => guess.password === STRONG_PASSWORD);
    expect(withRealPassword).toHaveLength(realPasswordGuesses);

    // Blacklisted addresses get 403 IP_BLOCKED (in the batch that blacklists, either answer).
    for (const guess of sent) {
      if (guess.blocked) {
        expect(guess.response.statusCode, guess.ip).toBe(403);
        expect(guess.response.json().error.code).toBe('IP_BLOCKED');
      } else if (guess.racing) {
        expect([401, 403]).toContain(guess.response.statusCode);
      } else {
        expect(guess.response.statusCode, `${guess.ip} in wave ${guess.wave}`).toBe(401);
      }
    }
    const blockedGuesses = sent.filter((guess) => guess.response.statusCode === 403);
    expect(new Set(blockedGuesses.map((guess) => guess.ip))).toEqual(new Set([LEAD_A, LEAD_B]));
    expect(refused.length + blockedGuesses.length).toBe(1000);

    // Reserve-then-verify: exactly MAX_LOGIN_ATTEMPTS guesses per lockout reached the real hash,
    // however many raced; the real password, guessed while locked, never did (only the user's did).
    expect(verifiedAgainstReal((guess) => guess !== STRONG_PASSWORD)).toBe(5 * WAVES.length);

    // The configured lockouts: one per wave, doubling from 15 minutes up to 120.
    const locks = (await events(admin.token, 'ACCOUNT_LOCKED')).sort(
      (a, b) => Number(a.details.lockout_number) - Number(b.details.lockout_number),
    );
    expect(locks).toHaveLength(WAVES.length);
    locks.forEach((event, i) => {
      expect(event).toMatchObject({
        user_id: riley.id,
        timestamp: new Date(waveTimes[i]!).toISOString(),
        details: {
          scope: 'account',
          attempts: 5,
          lockout_number: i + 1,
          duration_minutes: EXPECTED_MINUTES[i],
          locked_until: new Date(waveTimes[i]! + EXPECTED_MINUTES[i]! * MINUTE).toISOString(),
        },
      });
      const opening = WAVES[i]!;
      if ('lead' in opening) expect(event.ip_address).toBe(opening.lead);
      else expect(ATTACKERS).toContain(event.ip_address);
    });
    const lockedList = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/security/locked-accounts',
      headers: bearer(admin.token),
    });
    expect(lockedList.json()).toEqual({
      items: [
        {
          user_id: riley.id,
          username: 'riley',
          locked_until: new Date(end + 120 * MINUTE).toISOString(),
          failed_count: 5,
          lockouts_24h: WAVES.length,
        },
      ],
    });

    // Automatic blacklisting: the two addresses behind three lockouts each, for 24 hours; C,
    // behind two, is not listed.
    const lists = await ipLists(admin.token);
    expect(lists.whitelist).toEqual([]);
    expect(lists.blacklist.map((entry) => entry.ip_address).sort()).toEqual(
      [`${LEAD_B}/128`, `${LEAD_A}/32`].sort(),
    );
    for (const [ip, cidr] of [
      [LEAD_A, `${LEAD_A}/32`],
      [LEAD_B, `${LEAD_B}/128`],
    ] as const) {
      const at = blacklistedAt.get(ip)!;
      expect(lists.blacklist.find((entry) => entry.ip_address === cidr)).toMatchObject({
        source: 'automatic',
        reason: 'three account lockouts within 24 hours',
        created_at: new Date(at).toISOString(),
        expires_at: new Date(at + 24 * HOUR).toISOString(),
      });
    }
    const blockedEvents = await events(admin.token, 'IP_BLOCKED');
    expect(new Set(blockedEvents.map((event) => event.ip_address))).toEqual(new Set([LEAD_A, LEAD_B]));
    for (const event of blockedEvents) {
      expect(event.details).toMatchObject({
        reason: 'blacklisted',
        entry: event.ip_address === LEAD_A ? `${LEAD_A}/32` : `${LEAD_B}/128`,
        method: 'POST',
        path: '/api/auth/login',
      });
    }
    // Blocked from everything, not just sign-in.
    const probe = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      remoteAddress: PROXY,
      headers: { 'x-forwarded-for': LEAD_B, ...bearer(admin.token) },
    });
    expect(probe.statusCode).toBe(403);
    expect(probe.json().error.code).toBe('IP_BLOCKED');

    // The account is locked for everyone — the user too, on a browser without the device cookie...
    const elsewhere = await signIn(HOME, STRONG_PASSWORD);
    expect(observable(elsewhere)).toEqual(answer);
    const attackerWithPassword = await signIn(LEAD_C, STRONG_PASSWORD);
    expect(observable(attackerWithPassword)).toEqual(answer);
    // ...but the user's trusted device still gets them in, with a working session.
    const fromDevice = await signIn(HOME, STRONG_PASSWORD, device);
    expect(fromDevice.statusCode).toBe(200);
    userSignIns += 1;
    expect(fromDevice.cookies.find((c) => c.name === 'sv_device')?.value).toBe(device.sv_device);
    const me = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      remoteAddress: PROXY,
      headers: { 'x-forwarded-for': HOME, ...bearer(fromDevice.json().access_token) },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.username).toBe('riley');
    // Only the user's own sign-ins verified the real password against the real hash.
    expect(verifiedAgainstReal((guess) => guess === STRONG_PASSWORD)).toBe(userSignIns);
    // Their sign-ins did not lift the lock either.
    const stillLocked = await app.server.inject({
      method: 'GET',
      url: '/api/enterprise/security/locked-accounts',
      headers: bearer(admin.token),
    });
    expect(stillLocked.json().items).toHaveLength(1);

    // Every refused sign-in is in the audit trail, with the reason auditors (only) see.
    const failures = (await app.auditEntries('auth.login')).filter(
      (entry) => entry.actor_user_id === riley.id && entry.outcome === 'failure',
    );
    const reasons = failures.map((entry) => entry.details.reason);
    expect(reasons.filter((reason) => reason === 'wrong_password')).toHaveLength(5 * WAVES.length);
    expect(reasons.filter((reason) => reason === 'account_locked')).toHaveLength(
      refused.length + 2 - 5 * WAVES.length,
    );
    expect(failures).toHaveLength(refused.length + 2);
  });

  it('a direct client forging X-Forwarded-For is limited, locked out, charged and blacklisted by its real address', async () => {
    app = await createTestApp({
      dialect,
      env: {
        TRUST_PROXY: PROXY,
        MAX_LOGIN_ATTEMPTS: '5',
        LOCKOUT_DURATION_MINUTES: '15',
        // On, at its default: the forged header must not spread the attacker over many budgets.
        RATE_LIMIT_SIGNIN_PER_MINUTE: '30',
      },
    });
    const admin = await app.userWithToken('admin', 'sec-admin');
    await app.users.create(
      { username: 'vera', display_name: 'Vera', role: 'staff', password: STRONG_PASSWORD },
      SYSTEM_CONTEXT,
    );
    // The office range is whitelisted: the exception a blacklist entry does not override.
    const whitelisted = await app.server.inject({
      method: 'POST',
      url: '/api/enterprise/security/ip-list',
      headers: bearer(admin.token),
      payload: { ip_address: '192.0.2.0/24', list_type: 'whitelist', reason: 'office' },
    });
    expect(whitelisted.statusCode).toBe(201);

    // Connects directly (not through the proxy) and claims a different office address each time.
    const ROGUE = '198.51.100.200';
    const nextGuess = dictionary();
    const forged = (path: string, i: number, method: 'GET' | 'POST' = 'POST') =>
      app.server.inject({
        method,
        url: path,
        remoteAddress: ROGUE,
        headers: { 'x-forwarded-for': `192.0.2.${100 + (i % 50)}` },
        ...(method === 'POST' ? { payload: { username: 'vera', password: nextGuess() } } : {}),
      });

    const lockoutMinutes = [15, 30, 60];
    for (const [round, minutes] of lockoutMinutes.entries()) {
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => forged('/api/auth/login', i)));
      const statuses = responses.map((response) => response.statusCode);
      expect(statuses).not.toContain(200);
      if (round < lockoutMinutes.length - 1) {
        // One budget of 30 per minute for the real address, however many addresses it claims.
        expect(statuses.filter((status) => status === 429)).toHaveLength(10);
        expect(statuses.filter((status) => status === 401)).toHaveLength(30);
      } else {
        // The third lockout blacklists the address: the rest of the burst may already meet the block.
        expect(statuses.every((status) => [401, 403, 429].includes(status))).toBe(true);
        expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(5);
      }
      if (round < lockoutMinutes.length - 1) app.clock.advance(minutes * MINUTE);
    }

    admin.token = await app.login('sec-admin', STRONG_PASSWORD);
    // Blocked by its real address, whatever whitelisted address it claims.
    for (const path of ['/api/auth/login', '/api/auth/me']) {
      const response = await forged(path, 0, path === '/api/auth/me' ? 'GET' : 'POST');
      expect(response.statusCode, path).toBe(403);
      expect(response.json().error.code).toBe('IP_BLOCKED');
    }
    // The office itself, through the proxy, is not affected.
    const office = await app.server.inject({
      method: 'GET',
      url: '/api/auth/me',
      remoteAddress: PROXY,
      headers: { 'x-forwarded-for': '192.0.2.100', ...bearer(admin.token) },
    });
    expect(office.statusCode).toBe(200);

    const lists = await ipLists(admin.token);
    expect(lists.blacklist.map((entry) => [entry.ip_address, entry.source])).toEqual([
      [`${ROGUE}/32`, 'automatic'],
    ]);
    expect(lists.whitelist.map((entry) => entry.ip_address)).toEqual(['192.0.2.0/24']);
    // The lockouts were charged to the real address only; no claimed address was ever blamed.
    const charges = await app.database.db.selectFrom('security_lockout_addresses').selectAll().execute();
    expect(
      charges.map((row) => [row.ip_address, (JSON.parse(row.recent_lockouts) as string[]).length]),
    ).toEqual([[ROGUE, 3]]);
    const locks = await events(admin.token, 'ACCOUNT_LOCKED');
    expect(
      locks.map((event) => event.details.duration_minutes).sort((a, b) => Number(a) - Number(b)),
    ).toEqual(lockoutMinutes);
    for (const type of ['ACCOUNT_LOCKED', 'RATE_LIMITED', 'IP_BLOCKED']) {
      const found = await events(admin.token, type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const event of found) expect(event.ip_address, type).toBe(ROGUE);
    }
  });
});
