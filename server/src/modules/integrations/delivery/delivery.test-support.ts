import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { bearer, type TestApp } from '../../../../test/helpers/test-app.ts';
import { systemIds } from '../../../platform/ids.ts';
import type { CountingFixture } from '../../counting/sessions/sessions-test-support.ts';

/**
 * Peers and fixtures for the delivery tests: a REST ERP that checks what a real one would (the
 * signature over the raw body, the idempotency key) and can be made failing, refusing, stalling
 * after it committed, or dropping connections; and posted count sessions with adjustments.
 */

export const SIGNING_KEY = 'whsec-test-0123456789abcdef';

export type ErpMode =
  /** 200 for a new key; a key seen before is answered as `duplicateAnswer` says. */
  | 'ok'
  | 'fail500'
  | 'refuse422'
  /** Applies the message, then never answers (until the server closes): the lost response. */
  | 'commit_then_stall'
  /** Destroys the connection without an answer; nothing is applied. */
  | 'reset';

export interface ErpRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  signatureValid: boolean;
}

export function verifySignature(secret: string, header: string | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

/** A REST ERP: POST /adjustments applies each Idempotency-Key once. */
export function startWebhookErp(options: { secret?: string } = {}) {
  const secret = options.secret ?? SIGNING_KEY;
  const state = {
    mode: 'ok' as ErpMode,
    /** How an already applied key is answered: 200, or 409 echoing the key. */
    duplicateAnswer: 200 as 200 | 409,
  };
  const requests: ErpRequest[] = [];
  /** Applications per idempotency key: exactly once means 1 each. */
  const applied = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {}
      const signatureValid = verifySignature(
        secret,
        request.headers['x-stockverify-signature'] as string | undefined,
        body,
      );
      requests.push({ headers: request.headers, body, json, signatureValid });
      const key = request.headers['idempotency-key'] as string | undefined;
      const send = (status: number, answer: unknown, headers: Record<string, string> = {}) =>
        response
          .writeHead(status, { 'content-type': 'application/json', ...headers })
          .end(JSON.stringify(answer));
      if (state.mode === 'reset') {
        request.socket.destroy();
        return;
      }
      if (!signatureValid) return send(401, { error: 'bad signature' });
      if (state.mode === 'fail500') return send(500, { error: 'database unavailable' });
      if (state.mode === 'refuse422') return send(422, { error: 'unknown item' });
      if (!key) return send(400, { error: 'Idempotency-Key missing' });
      if (applied.has(key)) {
        if (state.duplicateAnswer === 409)
          return send(409, { error: 'already applied', idempotency_key: key });
        return send(200, { status: 'duplicate' });
      }
      applied.set(key, (applied.get(key) ?? 0) + 1);
      if (state.mode === 'commit_then_stall') return; // the answer never comes
      send(201, { status: 'applied' });
    });
  });
  return {
    state,
    requests,
    applied,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/adjustments`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: a server bound and closed again. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A posted session over WH1 (seven book lines): the first `variances` (at most 6) lines counted
 * one unit over the book, the rest exactly; auto-approved within a wide tolerance. One adjustment
 * per variance, each with its outbox message.
 */
export async function postedSession(f: CountingFixture, variances: number): Promise<string> {
  const { b1, b2, b3, b4 } = f.locations;
  const { hammer, rice, saw, nail } = f.items;
  const book: [string, string, number, string?][] = [
    [b1, hammer, 10],
    [b2, hammer, 5],
    [b1, rice, 3, 'L1'],
    [b1, rice, 4, 'L2'],
    [b3, saw, 2],
    [b4, saw, 7],
    // Last: stock found where the book has none always goes to review, never auto-approved.
    [b4, nail, 0],
  ];
  const session = await f.createSession({ tolerance: { qty_abs: 1000, auto_approve: true } });
  await f.assign(session.id, f.locations.z1, [f.users.staff.id]);
  await f.assign(session.id, f.locations.z2, [f.users.staff.id]);
  await f.drive(session.id, 'start');
  for (const [index, [location, item, quantity, lot]] of book.entries()) {
    const response = await f.call('POST', `/api/count-sessions/${session.id}/entries`, f.users.staff.token, {
      client_id: systemIds.uuid(),
      location_id: location,
      item_id: item,
      quantity: index < variances ? quantity + 1 : quantity,
      ...(lot ? { lot } : {}),
    });
    expect(response.statusCode, response.body).toBe(201);
  }
  await f.drive(session.id, 'submit', 'approve', 'post');
  return session.id;
}

/** The outbox rows, oldest first, with their number fields as numbers. */
export async function outboxRows(app: TestApp) {
  const rows = await app.database.db
    .selectFrom('erp_outbox')
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

/** Runs the delivery job once, now, and waits for it. */
export async function deliverNow(app: TestApp): Promise<void> {
  await app.server.jobs.trigger('erp.deliver-adjustments');
  await app.server.jobs.idle();
}

/** PUT as `token` (the counting fixture's `call` knows no PUT). */
export function put(app: TestApp, url: string, token: string, payload: unknown) {
  return app.server.inject({
    method: 'PUT',
    url,
    headers: bearer(token),
    payload: payload as Record<string, unknown>,
  });
}
