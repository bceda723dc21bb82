/**
 * What the database knows of retention: live objects with their exams and holds, the holds themselves, the
 * destruction acts and the policy sets they applied.
 */
import type { MaterialKind, RetentionAction, RowMaterial } from '../domain/retention.ts';
import type { Queryable } from '../platform/db.ts';

/** Whether a live object (`o`) is under an active hold, on itself or on its exam. */
const HELD = `exists (select 1 from legal_holds h
  where h.released_at is null and (h.object_key = o.object_key or h.exam_id = o.exam_id))`;

const iso = (t: Date | string) => new Date(t).toISOString();

/**
 * Live objects whose store hold differs from the database's (or named in `recheck`), with the hold they
 * should have.
 */
export async function storeHoldsToSync(
  db: Queryable,
  recheck: string[],
): Promise<{ objectKey: string; held: boolean }[]> {
  return db.query(
    `select o.object_key as "objectKey", ${HELD} as held from stored_objects o
     where o.destroyed_at is null and (o.store_hold <> ${HELD} or o.object_key = any($1::text[]))`,
    [recheck],
  );
}

export async function recordStoreHold(db: Queryable, objectKey: string, held: boolean): Promise<void> {
  await db.query('update stored_objects set store_hold = $2 where object_key = $1', [objectKey, held]);
}

/** Whether there is a live (not destroyed) object under this key. */
export async function liveObjectExists(db: Queryable, objectKey: string): Promise<boolean> {
  const rows = await db.query('select 1 from stored_objects where object_key = $1 and destroyed_at is null', [
    objectKey,
  ]);
  return rows.length > 0;
}

export async function insertHold(
  db: Queryable,
  target: { objectKey: string } | { examId: string },
  by: string,
  reason: string,
): Promise<number> {
  const [row] = await db.query<{ id: number }>(
    `insert into legal_holds (object_key, exam_id, placed_by, reason) values ($1, $2, $3, $4) returning id`,
    ['objectKey' in target ? target.objectKey : null, 'examId' in target ? target.examId : null, by, reason],
  );
  return row!.id;
}

/** Releases an active hold; false when there is no active hold by that id. */
export async function markHoldReleased(db: Queryable, id: number, by: string): Promise<boolean> {
  const rows = await db.query(
    `update legal_holds set released_by = $2, released_at = now() where id = $1 and released_at is null
     returning id`,
    [id, by],
  );
  return rows.length > 0;
}

export interface HoldRow {
  id: number;
  objectKey: string | null;
  examId: string | null;
  placedBy: string;
  reason: string;
  placedAt: string;
}

export async function activeHolds(db: Queryable): Promise<HoldRow[]> {
  const rows = await db.query<Omit<HoldRow, 'placedAt'> & { placedAt: Date }>(
    `select id, object_key as "objectKey", exam_id as "examId", placed_by as "placedBy", reason,
       placed_at as "placedAt"
     from legal_holds where released_at is null order by id`,
  );
  return rows.map((h) => ({ ...h, placedAt: iso(h.placedAt) }));
}

export interface ActRow {
  id: number;
  at: string;
  runBy: string;
  policyYear: number;
  objects: number;
  records: number;
}

/** The latest destruction acts, newest first, with how many objects and exams' row sets each changed. */
export async function recentActs(db: Queryable, limit = 100): Promise<ActRow[]> {
  const rows = await db.query<Omit<ActRow, 'at'> & { at: Date }>(
    `select a.id, a.at, a.run_by as "runBy", a.policy_year as "policyYear",
       (select count(*)::int from destruction_act_items i where i.act_id = a.id) as objects,
       (select count(*)::int from destruction_act_records r where r.act_id = a.id) as records
     from destruction_acts a order by a.id desc limit $1`,
    [limit],
  );
  return rows.map((a) => ({ ...a, at: iso(a.at) }));
}

export interface ActItem {
  objectKey: string;
  sha256: string;
  material: MaterialKind;
  dueDay: string;
  late: boolean;
}

/** An exam's rows of one material that an act changed, by count per table. */
export interface ActRecord {
  examId: string;
  material: RowMaterial;
  action: RetentionAction;
  dueDay: string;
  late: boolean;
  rows: Record<string, number>;
}

export async function destructionAct(
  db: Queryable,
  id: number,
): Promise<
  | (Omit<ActRow, 'objects' | 'records'> & { policySha256: string; items: ActItem[]; records: ActRecord[] })
  | null
> {
  const [act] = await db.query<
    Omit<ActRow, 'objects' | 'records' | 'at'> & { at: Date; policySha256: string }
  >(
    `select id, at, run_by as "runBy", policy_year as "policyYear", policy_sha256 as "policySha256"
     from destruction_acts where id = $1`,
    [id],
  );
  if (!act) return null;
  const items = await db.query<ActItem>(
    `select object_key as "objectKey", sha256, material, to_char(due_day, 'YYYY-MM-DD') as "dueDay", late
     from destruction_act_items where act_id = $1 order by object_key`,
    [id],
  );
  const records = await db.query<ActRecord>(
    `select exam_id as "examId", material, action, to_char(due_day, 'YYYY-MM-DD') as "dueDay", late, rows
     from destruction_act_records where act_id = $1 order by exam_id, material`,
    [id],
  );
  return { ...act, at: iso(act.at), items, records };
}

export interface LiveObjectRow {
  objectKey: string;
  material: MaterialKind;
  sha256: string;
  examId: string;
  /** The exam's day, YYYY-MM-DD, and its region's zone. */
  date: string;
  timeZone: string;
  holds: { by: string; reason: string }[];
}

/** Every object not yet destroyed, with its exam's day and the active holds on it. */
export async function liveObjects(db: Queryable): Promise<LiveObjectRow[]> {
  const rows = await db.query<Omit<LiveObjectRow, 'holds'> & { holds: LiveObjectRow['holds'] | null }>(
    `select o.object_key as "objectKey", o.material, o.sha256, o.exam_id as "examId",
       to_char(e.exam_date, 'YYYY-MM-DD') as date, e.time_zone as "timeZone",
       (select json_agg(json_build_object('by', h.placed_by, 'reason', h.reason) order by h.id)
        from legal_holds h
        where h.released_at is null and (h.object_key = o.object_key or h.exam_id = o.exam_id)) as holds
     from stored_objects o join exams e on e.id = o.exam_id
     where o.destroyed_at is null
     order by o.object_key`,
  );
  return rows.map((r) => ({ ...r, holds: r.holds ?? [] }));
}

export interface DestructionRecord {
  at: Date;
  runBy: string;
  /** The policy sets applied, each recorded once by the SHA-256 of its body. */
  policySets: { year: number; sha256: string; body: string }[];
  items: { objectKey: string; sha256: string; material: MaterialKind; dueDay: string; late: boolean }[];
  /** Rows the act changed; the changes themselves are made by the caller in the same transaction. */
  records: ActRecord[];
}

/** Records one destruction act: its policy sets, its items, and the objects as destroyed. Its id. */
export async function recordDestruction(tx: Queryable, act: DestructionRecord): Promise<number> {
  for (const s of act.policySets) {
    await tx.query(
      `insert into retention_policy_sets (year, sha256, body) values ($1, $2, $3) on conflict do nothing`,
      [s.year, s.sha256, s.body],
    );
  }
  const [row] = await tx.query<{ id: number }>(
    `insert into destruction_acts (at, run_by, policy_year, policy_sha256) values ($1, $2, $3, $4) returning id`,
    [act.at, act.runBy, act.policySets[0]!.year, act.policySets.map((s) => s.sha256).join(',')],
  );
  for (const d of act.items) {
    await tx.query(
      `insert into destruction_act_items (act_id, object_key, sha256, material, due_day, late)
       values ($1, $2, $3, $4, $5, $6)`,
      [row!.id, d.objectKey, d.sha256, d.material, d.dueDay, d.late],
    );
    await tx.query('update stored_objects set destroyed_at = $2 where object_key = $1', [
      d.objectKey,
      act.at,
    ]);
  }
  for (const r of act.records)
    await tx.query(
      `insert into destruction_act_records (act_id, exam_id, material, action, due_day, late, rows)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [row!.id, r.examId, r.material, r.action, r.dueDay, r.late, JSON.stringify(r.rows)],
    );
  return row!.id;
}
