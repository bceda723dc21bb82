/**
 * What the database knows of retention: live objects with their exams and holds, the holds themselves, the
 * destruction acts and the policy sets they applied, the exams' rows each policy changes, training sets.
 */
import type {
  ExamKind,
  Grade,
  MaterialKind,
  RetentionAction,
  ROW_MATERIALS,
  RowMaterial,
} from '../domain/retention.ts';
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

// Retention of rows: per exam, what each row material's policy erases, anonymises or deletes. Each statement
// touches only rows not yet changed, so a run repeats harmlessly and one that finds nothing to do records
// nothing. Counts per table go into the destruction act; the rows' content never does.

/** Pages read from the exam's files: recognised values are kept with the files they were read from. */
const EXAM_PAGES = `select p.id from pages p join images i on i.sha256 = p.image_sha256
  join stored_objects o on o.object_key = i.object_key where o.exam_id = $1`;

/** Personal identifiers; a refused participant's code is all the row ever held (order L21), so it stays. */
const IDENTIFIED = `(surname is not null or name is not null or patronymic is not null or document is not null
  or birth_date is not null or registration_sheet is not null or (code is not null and not refused_processing))`;

interface RowChange {
  /** Whether the exam has rows this change would touch. */
  pending: string;
  /** Statements in order, each `table` with SQL counting the rows it changed as `n`. */
  steps: { table: string; sql: string }[];
}

const counted = (sql: string) =>
  `with changed as (${sql} returning 1) select count(*)::int as n from changed`;

/** Each row material's changes, one per action its policies may name (ROW_MATERIALS). */
const CHANGES: { [M in RowMaterial]: Record<(typeof ROW_MATERIALS)[M][number], RowChange> } = {
  // Values erased, rows kept: how many fields were doubtful and what each verifier did stay countable.
  'recognition-data': {
    anonymise: {
      pending: `exists (select 1 from fields where page_id in (${EXAM_PAGES}) and (value <> '' or final_value <> ''))
      or exists (select 1 from corrections where page_id in (${EXAM_PAGES}) and (old_value <> '' or new_value <> ''))
      or exists (select 1 from pages where id in (${EXAM_PAGES}) and recognition is not null)`,
      steps: [
        {
          table: 'fields',
          sql: `update fields set value = '', final_value = case when final_value is null then null else '' end,
          doubt = '{}' where page_id in (${EXAM_PAGES}) and (value <> '' or final_value <> '')`,
        },
        {
          table: 'corrections',
          sql: `update corrections set old_value = '', new_value = ''
          where page_id in (${EXAM_PAGES}) and (old_value <> '' or new_value <> '')`,
        },
        {
          table: 'pages',
          sql: `update pages set recognition = null where id in (${EXAM_PAGES}) and recognition is not null`,
        },
      ],
    },
  },
  // The person goes; the exam point, school and link to the work stay, so results count per school.
  'personal-data': {
    anonymise: {
      pending: `exists (select 1 from personal.participants where exam_id = $1 and ${IDENTIFIED})`,
      steps: [
        {
          table: 'personal.participants',
          sql: `update personal.participants set surname = null, name = null, patronymic = null, document = null,
          birth_date = null, registration_sheet = null,
          code = case when refused_processing then code else null end
          where exam_id = $1 and ${IDENTIFIED}`,
        },
      ],
    },
  },
  'participant-results': {
    destroy: {
      pending: 'exists (select 1 from participant_results where exam_id = $1)',
      steps: [{ table: 'participant_results', sql: 'delete from participant_results where exam_id = $1' }],
    },
  },
};

function change(material: RowMaterial, action: RetentionAction): RowChange {
  const c = (CHANGES[material] as Partial<Record<RetentionAction, RowChange>>)[action];
  // The policy schema allows only the actions ROW_MATERIALS lists; this is a guard against drift.
  if (!c) throw new Error(`${material} cannot be ${action}`);
  return c;
}

export interface ExamRows {
  examId: string;
  kind: ExamKind;
  grade: Grade | null;
  /** The exam's day, YYYY-MM-DD, and its region's zone. */
  date: string;
  timeZone: string;
  /** Holds on the exam, or on any of its files: rows read from a held file are held with it. */
  holds: { by: string; reason: string }[];
}

/** Every exam with its day, kind and the holds that bind its rows. */
export async function examsWithHolds(db: Queryable): Promise<ExamRows[]> {
  const rows = await db.query<Omit<ExamRows, 'holds'> & { holds: ExamRows['holds'] | null }>(
    `select e.id as "examId", e.kind, e.grade, to_char(e.exam_date, 'YYYY-MM-DD') as date, e.time_zone as "timeZone",
       (select json_agg(json_build_object('by', h.placed_by, 'reason', h.reason) order by h.id)
        from legal_holds h
        where h.released_at is null and (h.exam_id = e.id or h.object_key in (
          select object_key from stored_objects where exam_id = e.id and destroyed_at is null))) as holds
     from exams e order by e.id`,
  );
  return rows.map((r) => ({ ...r, holds: r.holds ?? [] }));
}

/** Whether the exam has rows of the material that its policy's action would still change. */
export async function rowsPending(
  db: Queryable,
  examId: string,
  material: RowMaterial,
  action: RetentionAction,
): Promise<boolean> {
  const [row] = await db.query<{ pending: boolean }>(
    `select ${change(material, action).pending} as pending`,
    [examId],
  );
  return row!.pending;
}

/** Applies the action to the exam's rows of the material: the rows changed per table (only those > 0). */
export async function changeRows(
  tx: Queryable,
  examId: string,
  material: RowMaterial,
  action: RetentionAction,
): Promise<Record<string, number>> {
  const changed: Record<string, number> = {};
  for (const step of change(material, action).steps) {
    const [row] = await tx.query<{ n: number }>(counted(step.sql), [examId]);
    if (row!.n > 0) changed[step.table] = row!.n;
  }
  return changed;
}

/** The exam's kind, grade, day and zone, or null. */
export async function retainedExam(
  db: Queryable,
  examId: string,
): Promise<{ kind: ExamKind; grade: Grade | null; date: string; timeZone: string; year: number } | null> {
  const [exam] = await db.query<{
    kind: ExamKind;
    grade: Grade | null;
    date: string;
    timeZone: string;
    year: number;
  }>(
    `select kind, grade, to_char(exam_date, 'YYYY-MM-DD') as date, time_zone as "timeZone", year
     from exams where id = $1`,
    [examId],
  );
  return exam ?? null;
}

/** How many of these pages were read from a live (not destroyed) file of the exam. */
export async function livePagesOfExam(db: Queryable, examId: string, pageIds: string[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `select count(*)::int as n from pages p join images i on i.sha256 = p.image_sha256
     join stored_objects o on o.object_key = i.object_key
     where p.id = any($1::text[]) and o.exam_id = $2 and o.destroyed_at is null`,
    [pageIds, examId],
  );
  return row!.n;
}

/**
 * Draws `count` of the exam's works whose checks are complete (a combined result stands), in the order the
 * seed gives them (md5 of seed and work id: the same seed, the same works), and their AS2 pages; with how
 * many works were eligible.
 */
export async function drawCheckedWorks(
  db: Queryable,
  examId: string,
  count: number,
  seed: string,
): Promise<{ eligible: number; pageIds: string[] }> {
  const [row] = await db.query<{ eligible: number; pageIds: string[] }>(
    `with eligible as (
       select w.id from works w join work_results r on r.work_id = w.id where w.exam_id = $1),
     drawn as (select id from eligible order by md5($3 || id), id limit $2)
     select (select count(*)::int from eligible) as eligible,
       coalesce((select array_agg(s.page_id order by ws.work_id, ws.role, ws.chain_position)
         from drawn d join work_sheets ws on ws.work_id = d.id
         join sheets s on s.sheet_number = ws.sheet_number
         where ws.role in ('as2-1', 'as2-2', 'additional-as2')), '{}') as "pageIds"`,
    [examId, count, seed],
  );
  return row!;
}

/**
 * Records a training set: its copies as stored objects of the exam ('training-copy') and the set naming
 * them, never the pages they came from. Its id.
 */
export async function recordTrainingSet(
  tx: Queryable,
  set: {
    examId: string;
    by: string;
    at: Date;
    purpose: string;
    copies: { objectKey: string; sha256: string; bytes: number }[];
  },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into training_sets (exam_id, chosen_by, chosen_at, purpose) values ($1, $2, $3, $4) returning id`,
    [set.examId, set.by, set.at, set.purpose],
  );
  for (const c of set.copies) {
    await tx.query(
      `insert into stored_objects (object_key, material, exam_id, sha256, bytes)
       values ($1, 'training-copy', $2, $3, $4) on conflict (object_key) do nothing`,
      [c.objectKey, set.examId, c.sha256, c.bytes],
    );
    await tx.query('insert into training_set_items (set_id, object_key) values ($1, $2)', [
      row!.id,
      c.objectKey,
    ]);
  }
  return row!.id;
}
