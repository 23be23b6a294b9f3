import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/schema.ts';
import { isUniqueViolation } from '../../../platform/db/unique-violation.ts';
import { AppError, badRequest, conflict, notFound } from '../../../platform/http/errors.ts';
import { decodeCursor, type Page, toPage } from '../../../platform/http/pagination.ts';
import type { IdGenerator } from '../../../platform/ids.ts';
import type { AuditTrail } from '../../audit/audit.service.ts';
import type { AuditContext, JsonObject } from '../../audit/events.ts';
import { usernameKey } from '../../users/users.store.ts';
import { ERASED_DISPLAY_NAME, erasedAuditSubjects, eraseSubject } from './erasure.ts';
import * as store from './requests.store.ts';
import { collectSubjectData, exportSummary, type SubjectExport } from './subject-data.ts';

/** GDPR: answer within a month (30 days here), extendable by two further months (60 days). */
export const DUE_DAYS = 30;
export const MAX_EXTENSION_DAYS = 60;
const DAY_MS = 86_400_000;

export const REQUEST_ACTIONS = ['verify', 'process', 'reject', 'extend'] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

export interface Corrections {
  display_name?: string;
  username?: string;
}

export interface DataRequestView {
  id: string;
  request_type: store.RequestType;
  status: store.RequestStatus;
  subject_user_id: string;
  /** The user's current username (a pseudonym once erased); null if the account is gone. */
  subject_username: string | null;
  /** As given when the request was made; null once the subject is erased. */
  subject_id: string | null;
  subject_email: string | null;
  details: string | null;
  corrections: Corrections | null;
  received_at: string;
  due_at: string;
  overdue: boolean;
  extended_days: number;
  extension_reason: string | null;
  verified_at: string | null;
  processing_at: string | null;
  completed_at: string | null;
  rejected_at: string | null;
  rejection_reason: string | null;
  result: JsonObject | null;
  export_available: boolean;
  created_by: string | null;
  updated_at: string;
}

export interface CreateRequestInput {
  request_type: store.RequestType;
  subject_id: string;
  subject_email?: string | null;
  details?: string | null;
  corrections?: Corrections | null;
}

export interface ProcessInput {
  /** Default: the next step (received → verify, verified/processing → process). */
  action?: RequestAction;
  reason?: string;
  extend_days?: number;
}

export type ExportFormat = 'json' | 'csv' | 'zip';

export interface DataRequests {
  create(input: CreateRequestInput, context: AuditContext): Promise<DataRequestView>;
  list(filter: {
    status?: store.RequestStatus | 'open' | 'all';
    type?: store.RequestType;
    overdue?: boolean;
    subject_user_id?: string;
    cursor?: string;
    limit: number;
  }): Promise<Page<DataRequestView>>;
  get(id: string): Promise<DataRequestView>;
  process(id: string, input: ProcessInput, context: AuditContext): Promise<DataRequestView>;
  /** The subject's data of a completed access or portability request; the download is audited. */
  exportData(id: string, context: AuditContext): Promise<{ request: DataRequestView; data: SubjectExport }>;
}

const isCursor = (key: unknown[]) =>
  key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function subjectHash(ref: string, email: string | null | undefined): string {
  return createHash('sha256')
    .update(`${ref.trim().toLowerCase()}\n${(email ?? '').trim().toLowerCase()}`)
    .digest('hex');
}

const invalidTransition = (from: store.RequestStatus, action: string) =>
  new AppError(409, 'INVALID_TRANSITION', `A ${from} request cannot be given "${action}"`);

export function createDataRequests(deps: {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}): DataRequests {
  const { db, clock, ids, audit } = deps;

  async function view(row: store.RequestRow): Promise<DataRequestView> {
    const user = await db
      .selectFrom('users')
      .select('username')
      .where('id', '=', row.subject_user_id)
      .executeTakeFirst();
    return toView(row, user?.username ?? null, clock.now().toISOString());
  }

  async function load(id: string): Promise<store.RequestRow> {
    if (!UUID.test(id)) throw notFound('Data subject request');
    const row = await store.findRequest(db, id);
    if (!row) throw notFound('Data subject request');
    return row;
  }

  function requireCorrections(input: CreateRequestInput): Corrections | null {
    const corrections = input.corrections ?? null;
    if (input.request_type !== 'rectification') {
      if (corrections && Object.keys(corrections).length > 0)
        throw badRequest('corrections are for rectification requests only', [
          { field: 'corrections', message: 'only for request_type rectification' },
        ]);
      return null;
    }
    const clean: Corrections = {};
    if (corrections?.display_name !== undefined) clean.display_name = corrections.display_name.trim();
    if (corrections?.username !== undefined) clean.username = corrections.username.trim();
    if (Object.keys(clean).length === 0)
      throw badRequest('A rectification request needs corrections', [
        { field: 'corrections', message: 'give display_name and/or username' },
      ]);
    return clean;
  }

  /** Moves a request from one status to another, or 409 if someone else moved it first. */
  async function move(
    trx: Kysely<Database>,
    row: store.RequestRow,
    changes: Partial<store.RequestRow>,
    actorId: string | null,
  ): Promise<void> {
    const moved = await store.updateRequest(trx, row.id, row.status, {
      ...changes,
      updated_by: actorId,
      updated_at: clock.now().toISOString(),
    });
    if (!moved) throw conflict('The request changed meanwhile: reload it', 'REQUEST_CHANGED');
  }

  /** The work of the request's type, ending in `completed`, with its audit entry, atomically. */
  async function doWork(row: store.RequestRow, context: AuditContext): Promise<void> {
    const now = clock.now().toISOString();
    const actorId = context.actor.user_id;
    if (row.request_type === 'erasure') {
      if (row.subject_user_id === actorId)
        throw new AppError(409, 'SELF_ERASURE', 'You cannot erase your own account');
      const subject = await db
        .selectFrom('users')
        .select(['username', 'role', 'active'])
        .where('id', '=', row.subject_user_id)
        .executeTakeFirst();
      if (!subject) throw notFound('Subject');
      if (subject.role === 'admin' && subject.active === 1) {
        const others = await db
          .selectFrom('users')
          .select('id')
          .where('role', '=', 'admin')
          .where('active', '=', 1)
          .where('id', '!=', row.subject_user_id)
          .limit(1)
          .execute();
        if (others.length === 0)
          throw new AppError(409, 'LAST_ADMIN', 'At least one active admin must remain');
      }
      await audit.transaction(context, async (trx, record) => {
        const summary = await eraseSubject(trx, row.subject_user_id, now);
        const result = { erased: { ...summary } };
        await move(
          trx,
          { ...row, status: 'processing' },
          { status: 'completed', completed_at: now, result: JSON.stringify(result) },
          actorId,
        );
        record({
          type: 'DATA_DELETE',
          action: 'data_request.erase',
          resource: { type: 'data_subject_request', id: row.id },
          // Counts only: the erased data never enters the audit trail.
          details: {
            subject_user_id: row.subject_user_id,
            ...result,
            status: { old: 'processing', new: 'completed' },
          },
        });
      });
      // The trail's cache of the destroyed keys goes too (the stored keys are gone already).
      for (const subject2 of erasedAuditSubjects(row.subject_user_id, subject.username))
        await audit.eraseSubject(subject2);
      return;
    }
    if (row.request_type === 'rectification') {
      const corrections = (row.corrections ? JSON.parse(row.corrections) : {}) as Corrections;
      await audit.transaction(context, async (trx, record) => {
        const user = await trx
          .selectFrom('users')
          .select(['username', 'display_name'])
          .where('id', '=', row.subject_user_id)
          .executeTakeFirst();
        if (!user) throw notFound('Subject');
        if (user.display_name === ERASED_DISPLAY_NAME && user.username.startsWith('erased-'))
          throw new AppError(409, 'SUBJECT_ERASED', 'The subject was erased: there is nothing to correct');
        const changes: { display_name?: string; username?: string; username_key?: string } = {};
        if (corrections.display_name !== undefined) changes.display_name = corrections.display_name;
        if (corrections.username !== undefined) {
          changes.username = corrections.username;
          changes.username_key = usernameKey(corrections.username);
        }
        try {
          await trx
            .updateTable('users')
            .set({ ...changes, updated_at: now })
            .where('id', '=', row.subject_user_id)
            .execute();
        } catch (error) {
          if (isUniqueViolation(error))
            throw conflict('A user with this username already exists', 'USERNAME_TAKEN');
          throw error;
        }
        const result = { corrected: Object.keys(corrections).sort() };
        await move(
          trx,
          { ...row, status: 'processing' },
          { status: 'completed', completed_at: now, result: JSON.stringify(result) },
          actorId,
        );
        const personal: JsonObject = {};
        if (changes.display_name !== undefined)
          personal.display_name = { old: user.display_name, new: changes.display_name };
        if (changes.username !== undefined) personal.username = { old: user.username, new: changes.username };
        record({
          type: 'DATA_UPDATE',
          action: 'data_request.rectify',
          resource: { type: 'data_subject_request', id: row.id },
          details: {
            subject_user_id: row.subject_user_id,
            ...result,
            status: { old: 'processing', new: 'completed' },
          },
          // The old and new values, sealed under the subject's key (gone if they are erased later).
          personal: { [row.subject_user_id]: personal },
        });
      });
      return;
    }
    // access, portability: the data is gathered now (its summary kept), handed over on download.
    const data = await collectSubjectData(db, row.subject_user_id, now);
    const result = { export: exportSummary(data) };
    await audit.transaction(context, async (trx, record) => {
      await move(
        trx,
        { ...row, status: 'processing' },
        { status: 'completed', completed_at: now, result: JSON.stringify(result) },
        actorId,
      );
      record({
        type: 'DATA_READ',
        action: `data_request.${row.request_type}`,
        resource: { type: 'data_subject_request', id: row.id },
        details: {
          subject_user_id: row.subject_user_id,
          ...result,
          status: { old: 'processing', new: 'completed' },
        },
      });
    });
  }

  return {
    async create(input, context) {
      const corrections = requireCorrections(input);
      const ref = input.subject_id.trim();
      const subject = await db
        .selectFrom('users')
        .select(['id', 'username'])
        .where((eb) =>
          UUID.test(ref)
            ? eb.or([eb('id', '=', ref), eb('username_key', '=', usernameKey(ref))])
            : eb('username_key', '=', usernameKey(ref)),
        )
        .executeTakeFirst();
      if (!subject)
        throw new AppError(404, 'SUBJECT_NOT_FOUND', 'No user has this id or username', [
          { field: 'subject_id', message: 'is not a user id or username' },
        ]);
      const now = clock.now();
      const row: store.RequestRow = {
        id: ids.uuid(),
        request_type: input.request_type,
        status: 'received',
        subject_user_id: subject.id,
        subject_ref: ref,
        subject_email: input.subject_email?.trim() || null,
        subject_hash: subjectHash(ref, input.subject_email),
        details: input.details?.trim() || null,
        corrections: corrections ? JSON.stringify(corrections) : null,
        received_at: now.toISOString(),
        due_at: new Date(now.getTime() + DUE_DAYS * DAY_MS).toISOString(),
        extended_days: 0,
        extension_reason: null,
        verified_at: null,
        processing_at: null,
        completed_at: null,
        rejected_at: null,
        rejection_reason: null,
        result: null,
        created_by: context.actor.user_id,
        updated_by: context.actor.user_id,
        updated_at: now.toISOString(),
      };
      await audit.transaction(context, async (trx, record) => {
        await store.insertRequest(trx, row);
        const personal: JsonObject = { subject_ref: ref };
        if (row.subject_email) personal.subject_email = row.subject_email;
        if (row.details) personal.details = row.details;
        if (corrections) personal.corrections = { ...corrections };
        record({
          type: 'DATA_CREATE',
          action: 'data_request.create',
          resource: { type: 'data_subject_request', id: row.id },
          details: { request_type: row.request_type, subject_user_id: subject.id, due_at: row.due_at },
          personal: { [subject.id]: personal },
        });
      });
      return view(row);
    },

    async list(filter) {
      const status = filter.status ?? 'open';
      const rows = await store.listRequests(db, {
        statuses: status === 'all' ? null : status === 'open' ? store.OPEN_STATUSES : [status],
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.overdue ? { overdueAt: clock.now().toISOString() } : {}),
        ...(filter.subject_user_id ? { subjectUserId: filter.subject_user_id } : {}),
        ...(filter.cursor ? { before: decodeCursor<[string, string]>(filter.cursor, isCursor) } : {}),
        limit: filter.limit + 1,
      });
      const page = rows.slice(0, filter.limit);
      const usernames = new Map<string, string>();
      const subjectIds = [...new Set(page.map((row) => row.subject_user_id))];
      if (subjectIds.length > 0)
        for (const user of await db
          .selectFrom('users')
          .select(['id', 'username'])
          .where('id', 'in', subjectIds)
          .execute())
          usernames.set(user.id, user.username);
      const now = clock.now().toISOString();
      return toPage(
        rows,
        filter.limit,
        (row) => toView(row, usernames.get(row.subject_user_id) ?? null, now),
        (row) => [row.received_at, row.id],
      );
    },

    async get(id) {
      return view(await load(id));
    },

    async process(id, input, context) {
      const row = await load(id);
      const actorId = context.actor.user_id;
      const action: RequestAction = input.action ?? (row.status === 'received' ? 'verify' : 'process');
      const open = store.OPEN_STATUSES.includes(row.status);
      const now = clock.now().toISOString();
      const step = async (changes: Partial<store.RequestRow>, auditAction: string, details: JsonObject) =>
        audit.transaction(context, async (trx, record) => {
          await move(trx, row, changes, actorId);
          record({
            type: 'DATA_UPDATE',
            action: auditAction,
            resource: { type: 'data_subject_request', id: row.id },
            details: { subject_user_id: row.subject_user_id, ...details },
          });
        });

      switch (action) {
        case 'verify':
          if (row.status !== 'received') throw invalidTransition(row.status, action);
          await step({ status: 'verified', verified_at: now }, 'data_request.verify', {
            status: { old: 'received', new: 'verified' },
          });
          break;
        case 'reject': {
          if (!open) throw invalidTransition(row.status, action);
          const reason = input.reason?.trim();
          if (!reason)
            throw badRequest('A rejection needs a reason', [
              { field: 'reason', message: 'is required to reject' },
            ]);
          await step(
            { status: 'rejected', rejected_at: now, rejection_reason: reason },
            'data_request.reject',
            {
              status: { old: row.status, new: 'rejected' },
            },
          );
          break;
        }
        case 'extend': {
          if (!open) throw invalidTransition(row.status, action);
          const reason = input.reason?.trim();
          const days = input.extend_days;
          if (!reason || days === undefined)
            throw badRequest('An extension needs extend_days and a reason', [
              ...(days === undefined ? [{ field: 'extend_days', message: 'is required to extend' }] : []),
              ...(!reason ? [{ field: 'reason', message: 'is required to extend' }] : []),
            ]);
          if (row.extended_days + days > MAX_EXTENSION_DAYS)
            throw new AppError(
              409,
              'EXTENSION_LIMIT',
              `A request may be extended by ${MAX_EXTENSION_DAYS} days at most (${row.extended_days} used)`,
            );
          const due = new Date(new Date(row.due_at).getTime() + days * DAY_MS).toISOString();
          await step(
            { due_at: due, extended_days: row.extended_days + days, extension_reason: reason },
            'data_request.extend',
            { extend_days: days, due_at: { old: row.due_at, new: due } },
          );
          break;
        }
        case 'process': {
          if (row.status !== 'verified' && row.status !== 'processing')
            throw invalidTransition(row.status, action);
          let current = row;
          if (row.status === 'verified') {
            // Committed on its own: if the work fails, the request stays `processing` and can be retried.
            await step({ status: 'processing', processing_at: now }, 'data_request.process', {
              request_type: row.request_type,
              status: { old: 'verified', new: 'processing' },
            });
            current = { ...row, status: 'processing', processing_at: now };
          }
          await doWork(current, context);
          break;
        }
      }
      return view(await load(id));
    },

    async exportData(id, context) {
      const row = await load(id);
      if (row.request_type !== 'access' && row.request_type !== 'portability')
        throw new AppError(409, 'NO_EXPORT', 'Only access and portability requests have an export');
      if (row.status !== 'completed')
        throw new AppError(409, 'NOT_COMPLETED', 'The export is available once the request is completed');
      const now = clock.now().toISOString();
      const data = await collectSubjectData(db, row.subject_user_id, now);
      await audit.record(context, {
        type: 'DATA_EXPORT',
        action: 'data_request.export',
        resource: { type: 'data_subject_request', id: row.id },
        details: { subject_user_id: row.subject_user_id, tables: exportSummary(data) },
      });
      return { request: await view(row), data };
    },
  };
}

function toView(row: store.RequestRow, username: string | null, now: string): DataRequestView {
  const open = store.OPEN_STATUSES.includes(row.status);
  return {
    id: row.id,
    request_type: row.request_type,
    status: row.status,
    subject_user_id: row.subject_user_id,
    subject_username: username,
    subject_id: row.subject_ref,
    subject_email: row.subject_email,
    details: row.details,
    corrections: row.corrections ? (JSON.parse(row.corrections) as Corrections) : null,
    received_at: row.received_at,
    due_at: row.due_at,
    overdue: open && row.due_at < now,
    extended_days: Number(row.extended_days),
    extension_reason: row.extension_reason,
    verified_at: row.verified_at,
    processing_at: row.processing_at,
    completed_at: row.completed_at,
    rejected_at: row.rejected_at,
    rejection_reason: row.rejection_reason,
    result: row.result ? (JSON.parse(row.result) as JsonObject) : null,
    export_available:
      row.status === 'completed' && (row.request_type === 'access' || row.request_type === 'portability'),
    created_by: row.created_by,
    updated_at: row.updated_at,
  };
}
