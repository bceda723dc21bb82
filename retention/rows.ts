/**
 * Retention of rows: per exam, what each row material's policy erases, anonymises or deletes, as SQL. Each
 * statement touches only rows not yet changed, so a run repeats harmlessly and one that finds nothing to do
 * records nothing. Counts per table go into the destruction act; the rows' content never does.
 */
import type { ExamKind, RetentionAction, RowMaterial } from '../domain/retention.ts';
import type { Queryable } from '../platform/db.ts';

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

const CHANGES: Record<`${RowMaterial}:${RetentionAction}`, RowChange | null> = {
  // Values erased, rows kept: how many fields were doubtful and what each verifier did stay countable.
  'recognition-data:anonymise': {
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
  'recognition-data:destroy': null,
  // The person goes; the exam point, school and link to the work stay, so results count per school.
  'personal-data:anonymise': {
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
  'personal-data:destroy': {
    pending: 'exists (select 1 from personal.participants where exam_id = $1)',
    steps: [
      {
        table: 'personal.participant_works',
        sql: `delete from personal.participant_works
          where participant_id in (select id from personal.participants where exam_id = $1)`,
      },
      { table: 'personal.participants', sql: 'delete from personal.participants where exam_id = $1' },
    ],
  },
  'participant-results:anonymise': null,
  'participant-results:destroy': {
    pending: 'exists (select 1 from participant_results where exam_id = $1)',
    steps: [{ table: 'participant_results', sql: 'delete from participant_results where exam_id = $1' }],
  },
};

function change(material: RowMaterial, action: RetentionAction): RowChange {
  const c = CHANGES[`${material}:${action}`];
  // The policy schema allows only the actions ROW_MATERIALS lists; this is a guard against drift.
  if (!c) throw new Error(`${material} cannot be ${action}`);
  return c;
}

export interface ExamRows {
  examId: string;
  kind: ExamKind;
  /** The exam's day, YYYY-MM-DD, and its region's zone. */
  date: string;
  timeZone: string;
  /** Holds on the exam, or on any of its files: rows read from a held file are held with it. */
  holds: { by: string; reason: string }[];
}

/** Every exam with its day, kind and the holds that bind its rows. */
export async function examsWithHolds(db: Queryable): Promise<ExamRows[]> {
  const rows = await db.query<Omit<ExamRows, 'holds'> & { holds: ExamRows['holds'] | null }>(
    `select e.id as "examId", e.kind, to_char(e.exam_date, 'YYYY-MM-DD') as date, e.time_zone as "timeZone",
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
