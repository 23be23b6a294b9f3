import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';

export const REQUEST_TYPES = ['access', 'erasure', 'rectification', 'portability'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const REQUEST_STATUSES = ['received', 'verified', 'processing', 'completed', 'rejected'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
export const OPEN_STATUSES: readonly RequestStatus[] = ['received', 'verified', 'processing'];

export interface DataSubjectRequestsTable {
  id: string;
  request_type: RequestType;
  status: RequestStatus;
  subject_user_id: string;
  subject_ref: string | null;
  subject_email: string | null;
  subject_hash: string;
  details: string | null;
  corrections: string | null;
  received_at: string;
  due_at: string;
  extended_days: number;
  extension_reason: string | null;
  verified_at: string | null;
  processing_at: string | null;
  completed_at: string | null;
  rejected_at: string | null;
  rejection_reason: string | null;
  result: string | null;
  created_by: string | null;
  updated_by: string | null;
  updated_at: string;
}

export type RequestRow = Selectable<DataSubjectRequestsTable>;
type Db = Kysely<Database>;

export async function insertRequest(db: Db, row: RequestRow): Promise<void> {
  await db.insertInto('data_subject_requests').values(row).execute();
}

export async function findRequest(db: Db, id: string): Promise<RequestRow | undefined> {
  return db.selectFrom('data_subject_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateRequest(
  db: Db,
  id: string,
  expectedStatus: RequestStatus,
  changes: Partial<Omit<RequestRow, 'id'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('data_subject_requests')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', expectedStatus)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface RequestListFilter {
  statuses: readonly RequestStatus[] | null;
  type?: RequestType;
  /** Only open requests due before this time. */
  overdueAt?: string;
  subjectUserId?: string;
  /** Keyset on (received_at desc, id desc). */
  before?: readonly [string, string];
  limit: number;
}

export async function listRequests(db: Db, filter: RequestListFilter): Promise<RequestRow[]> {
  let query = db
    .selectFrom('data_subject_requests')
    .selectAll()
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.statuses) query = query.where('status', 'in', [...filter.statuses]);
  if (filter.type) query = query.where('request_type', '=', filter.type);
  if (filter.subjectUserId) query = query.where('subject_user_id', '=', filter.subjectUserId);
  if (filter.overdueAt)
    query = query.where('due_at', '<', filter.overdueAt).where('status', 'in', [...OPEN_STATUSES]);
  if (filter.before) {
    const [at, id] = filter.before;
    query = query.where((eb) =>
      eb.or([eb('received_at', '<', at), eb.and([eb('received_at', '=', at), eb('id', '<', id)])]),
    );
  }
  return query.execute();
}

/** Every request about a subject: erasure scrubs their personal fields. */
export async function scrubSubjectRequests(db: Db, subjectUserId: string, now: string): Promise<number> {
  const result = await db
    .updateTable('data_subject_requests')
    .set({ subject_ref: null, subject_email: null, details: null, corrections: null, updated_at: now })
    .where('subject_user_id', '=', subjectUserId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countOpenBySubject(db: Db, subjectUserId: string): Promise<number> {
  const row = await db
    .selectFrom('data_subject_requests')
    .select(sql<number>`count(*)`.as('n'))
    .where('subject_user_id', '=', subjectUserId)
    .where('status', 'in', [...OPEN_STATUSES])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
