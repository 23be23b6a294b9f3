import { createHash } from 'node:crypto';
import type { AuditActor, AuditContext, AuditEvent } from '../../server/src/modules/audit/events.ts';
import type { Role } from '../../server/src/platform/http/access.ts';
import { catalogueItem, storedGtin } from './catalogue.ts';

/**
 * A realistic audit log, as a pure function of the entry's number: the mix a busy site writes
 * (mostly item changes, then sign-ins, locations, stock-level uploads, user changes, refusals),
 * each event shaped as the module that records it shapes it (server/src/modules/<area>/…), by
 * 40 users, some events carrying personal data about another user (sealed per data subject by
 * the trail, as every actor's username and IP address are).
 */

const USERS = 40;
const ROLES: readonly Role[] = ['staff', 'staff', 'staff', 'supervisor', 'staff', 'admin', 'auditor'];
const CATALOGUE = 100_000;

/** A stable 32-bit mix of a number, for choices that look random but are not. */
function mix(value: number, salt: number): number {
  let x = (value ^ Math.imul(salt, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const hex = (value: number, length: number) => value.toString(16).padStart(length, '0');

/** User n of the site: id (UUIDv7 layout), username, role, the address they work from. */
export function benchUser(n: number): AuditActor & { user_id: string; username: string; role: Role } {
  return {
    user_id: `01900001-0000-7000-8000-${hex(n, 12)}`,
    username: `counter.${String(n).padStart(2, '0')}`,
    role: ROLES[n % ROLES.length] as Role,
    ip_address: `10.20.${(n >> 4) & 255}.${(n * 7) & 255}`,
  };
}

/** The request behind append number `a`: one user, a request id and a trace id as the product makes them. */
export function benchContext(a: number): AuditContext {
  const digest = createHash('sha256').update(`bench-request-${a}`).digest('hex');
  return {
    actor: benchUser(mix(a, 1) % USERS),
    request_id: `req_${digest.slice(0, 24)}`,
    trace_id: digest.slice(24, 56),
  };
}

const TIMESTAMP_BASE = Date.parse('2026-01-05T06:00:00.000Z');

/** Event number `i` (0-based) of the log. */
export function benchEvent(i: number): AuditEvent {
  const pick = mix(i, 2) % 100;
  const item = catalogueItem(mix(i, 3) % CATALOGUE);
  const money = (cents: number) => cents / 100;
  if (pick < 52) {
    // item.update (items.service.ts): the changed fields, old and new, as the API shows them.
    const changes: Record<string, { old: string | number; new: string | number }> = {};
    const kind = mix(i, 4) % 4;
    if (kind !== 1) changes.name = { old: item.name, new: `${item.name} (rev ${i % 97})` };
    if (kind !== 0) {
      const next = item.unit_cost_cents + 1 + (mix(i, 5) % 500);
      changes.unit_cost = { old: money(item.unit_cost_cents), new: money(next) };
    }
    if (kind === 3) changes.category = { old: item.category, new: `Category ${mix(i, 6) % 40}` };
    return {
      type: 'DATA_UPDATE',
      action: 'item.update',
      resource: { type: 'item', id: item.id },
      details: { item_code: item.item_code, changes },
    };
  }
  if (pick < 59) {
    return {
      type: 'DATA_CREATE',
      action: 'item.create',
      resource: { type: 'item', id: item.id },
      details: {
        item_code: item.item_code,
        name: item.name,
        category: item.category,
        sub_category: null,
        base_uom: item.base_uom,
        unit_cost: money(item.unit_cost_cents),
        mrp: null,
        abc_class: null,
        tracking: 'none',
        active: true,
        barcodes: [{ barcode: storedGtin(item.ean13), pack_qty: 1, kind: 'gtin' }],
      },
    };
  }
  if (pick < 62) {
    return {
      type: 'DATA_UPDATE',
      action: 'item.barcode_add',
      resource: { type: 'item', id: item.id },
      details: {
        item_code: item.item_code,
        barcode: `INT-${mix(i, 7) % 1_000_000}`,
        pack_qty: 12,
        kind: 'internal',
      },
    };
  }
  if (pick < 70) {
    const zone = mix(i, 8) % 12;
    return {
      type: 'DATA_UPDATE',
      action: 'location.update',
      resource: { type: 'location', id: `01900002-0000-7000-8000-${hex(zone * 100 + (i % 100), 12)}` },
      details: {
        warehouse_id: '01900003-0000-7000-8000-000000000001',
        warehouse_code: 'WH1',
        code: `Z${zone}-A${i % 100}`,
        changes: { name: { old: `Aisle ${i % 100}`, new: `Aisle ${i % 100} (cold)` } },
      },
    };
  }
  if (pick < 75) {
    const rows = 50 + (mix(i, 9) % 2000);
    return {
      type: 'DATA_BULK_OPERATION',
      action: 'stock_level.upsert',
      resource: { type: 'stock_level', id: null },
      details: { rows, inserted: Math.floor(rows / 3), updated: rows - Math.floor(rows / 3), unchanged: 0 },
    };
  }
  const user = benchUser(mix(i, 10) % USERS);
  if (pick < 85) {
    return {
      type: 'LOGIN',
      action: 'auth.login',
      resource: { type: 'session', id: `01900004-0000-7000-8000-${hex(i, 12)}` },
      details: {
        method: 'password',
        expires_at: new Date(TIMESTAMP_BASE + i * 9_000 + 8 * 3_600_000).toISOString(),
      },
      actor: { user_id: user.user_id, username: user.username, role: user.role },
    };
  }
  if (pick < 89) {
    return {
      type: 'LOGOUT',
      action: 'auth.logout',
      resource: { type: 'session', id: `01900004-0000-7000-8000-${hex(i, 12)}` },
    };
  }
  if (pick < 92) {
    // A username that matched no user: a pseudonymous subject, the name sealed under it.
    return {
      type: 'LOGIN_FAILED',
      action: 'auth.login',
      outcome: 'failure',
      details: { method: 'password', reason: 'invalid_credentials' },
      actor: { user_id: null, username: `counter${mix(i, 11) % 500}`, role: null },
    };
  }
  if (pick < 95) {
    return {
      type: 'PERMISSION_DENIED',
      action: 'request.forbidden',
      outcome: 'denied',
      resource: { type: 'route', id: 'PATCH /api/items/:id' },
      details: { method: 'PATCH', route: '/api/items/:id', reason: 'role' },
    };
  }
  // user.update / user.create (users.service.ts): the other user's name is personal data.
  if (pick < 98) {
    return {
      type: 'DATA_UPDATE',
      action: 'user.update',
      resource: { type: 'user', id: user.user_id },
      details: {
        changes: { role: { old: 'staff', new: 'supervisor' } },
        display_name_changed: true,
        sessions_ended: 1,
      },
      personal: {
        [user.user_id]: { display_name: { old: `Counter ${user.username}`, new: `Sup. ${user.username}` } },
      },
    };
  }
  return {
    type: 'DATA_CREATE',
    action: 'user.create',
    resource: { type: 'user', id: user.user_id },
    details: { role: user.role, has_pin: i % 2 === 0 },
    personal: {
      [user.user_id]: { username: user.username, display_name: `Counter ${user.username.slice(-2)}` },
    },
  };
}
