/**
 * Participants' results in the database: each work of an exam scored from the facts the other rooms keep (its
 * assembly, its AS1 sheet's final `result.N` values, its variant, the experts' combined scores in
 * `work_results`, an appeal being re-checked) by the pure rules of domain/scoring.ts. Results are stored with
 * the digest of the scoring they were computed under; computing again (a key corrected, checks finished)
 * says per work what changed, old → new, and audits each change.
 */
import type { ExamKey, Scores } from '../domain/checking.ts';
import {
  type IncompleteReason,
  type ParticipantResult,
  participantResult,
  type ResultChange,
  type ResultFacts,
  resultChange,
  type SubjectScoring,
  scoringDigest,
  type TaskMark,
  VARIANT_PATTERN,
} from '../domain/scoring.ts';
import type { Database, Queryable } from '../platform/db.ts';
import { audit, auditMany } from '../platform/store/audit.ts';
import type { ScoringBasis } from './basis.ts';
import { ResultsError } from './errors.ts';

export interface WorkResult extends ParticipantResult {
  workId: string;
  /** The digest of the scoring (keys, rules, scale) it was computed under. */
  scoring: string;
}

export interface WorkChange extends ResultChange {
  workId: string;
  scoring: [string, string];
}

export interface Computation {
  examId: string;
  scoring: string;
  /** Other scorings the exam's results had been computed under, now replaced (a key or scale changed). */
  replaced: string[];
  complete: number;
  incomplete: number;
  /** Results that differ from the ones stored before, old → new; new results are not changes. */
  changes: WorkChange[];
}

/** Records which variant a work answered (its AS1 is scored by that variant's key). Audited. */
export async function setVariant(
  db: Database,
  workId: string,
  variant: string,
  actor: string,
): Promise<void> {
  if (!VARIANT_PATTERN.test(variant))
    throw new ResultsError('bad-value', 'a variant is 1-20 letters, digits or hyphens');
  await db.transaction(async (tx) => {
    const [work] = await tx.query('select 1 from works where id = $1', [workId]);
    if (!work) throw new ResultsError('no-such-work', `no work ${workId}`);
    const [old] = await tx.query<{ variant: string }>(
      'select variant from work_variants where work_id = $1 for update',
      [workId],
    );
    await tx.query(
      `insert into work_variants (work_id, variant, set_by) values ($1, $2, $3)
       on conflict (work_id) do update set variant = $2, set_by = $3, set_at = now()`,
      [workId, variant, actor],
    );
    await audit(tx, actor, 'results.variant', `work:${workId}`, { from: old?.variant ?? null, to: variant });
  });
}

async function examKey(tx: Queryable, examId: string): Promise<ExamKey> {
  const [exam] = await tx.query<{ year: number; kind: string; grade: number | null; subject_code: string }>(
    'select year, kind, grade, subject_code from exams where id = $1',
    [examId],
  );
  if (!exam) throw new ResultsError('no-such-exam', `no exam ${examId}`);
  return { year: exam.year, kind: exam.kind, grade: exam.grade, subjectCode: exam.subject_code };
}

interface FactsRow {
  id: string;
  status: string;
  variant: string | null;
  as1_page: string | null;
  as1_status: string | null;
  as2: Scores | null;
  appeal: boolean;
}

/** What the other rooms know of each work of the exam, for its result. */
async function factsOf(tx: Queryable, examId: string): Promise<Map<string, ResultFacts>> {
  const rows = await tx.query<FactsRow>(
    `select w.id, w.status, v.variant, s.page_id as as1_page, s.status as as1_status, r.scores as as2,
       exists (select 1 from appeals a where a.work_id = w.id and a.status in ('rechecking', 'rechecked')) as appeal
     from works w
       left join work_variants v on v.work_id = w.id
       left join work_sheets ws on ws.work_id = w.id and ws.role = 'as1'
       left join sheets s on s.sheet_number = ws.sheet_number
       left join work_results r on r.work_id = w.id
     where w.exam_id = $1 order by w.id`,
    [examId],
  );
  const finalPages = rows.filter((r) => r.as1_status === 'final').map((r) => r.as1_page!);
  const values = await tx.query<{ page_id: string; task: string; value: string }>(
    `select page_id, substr(name, 8) as task, coalesce(final_value, value) as value from fields
     where page_id = any($1::text[]) and name like 'result.%'`,
    [finalPages],
  );
  const byPage = new Map<string, Record<string, string>>();
  for (const v of values) byPage.set(v.page_id, { ...byPage.get(v.page_id), [v.task]: v.value });
  return new Map(
    rows.map((r) => [
      r.id,
      {
        workComplete: r.status === 'complete',
        variant: r.variant,
        as1:
          r.as1_status === 'final'
            ? { state: 'final', values: byPage.get(r.as1_page!) ?? {} }
            : { state: r.as1_page === null ? 'missing' : 'not-final' },
        as2: r.as2,
        appealPending: r.appeal,
      } satisfies ResultFacts,
    ]),
  );
}

interface ResultRow {
  work_id: string;
  status: ParticipantResult['status'];
  reasons: IncompleteReason[];
  variant: string | null;
  as1: number | null;
  as2: number | null;
  primary_score: number | null;
  score: number | null;
  scale: ParticipantResult['scale'];
  tasks: TaskMark[];
  scoring_sha256: string;
}

const fromRow = (r: ResultRow): WorkResult => ({
  workId: r.work_id,
  status: r.status,
  reasons: r.reasons,
  variant: r.variant,
  as1: r.as1,
  as2: r.as2,
  primary: r.primary_score,
  score: r.score,
  scale: r.scale,
  tasks: r.tasks,
  scoring: r.scoring_sha256,
});

const RESULT_COLUMNS = `work_id, status, reasons, variant, as1, as2, primary_score, score, scale, tasks,
  scoring_sha256`;

async function storedResults(tx: Queryable, examId: string): Promise<Map<string, WorkResult>> {
  const rows = await tx.query<ResultRow>(
    `select ${RESULT_COLUMNS} from participant_results where exam_id = $1 order by work_id`,
    [examId],
  );
  return new Map(rows.map((r) => [r.work_id, fromRow(r)]));
}

async function keepScoring(tx: Queryable, scoring: SubjectScoring, digest: string): Promise<void> {
  await tx.query(
    `insert into scoring_sets (sha256, year, exam, subject_code, body) values ($1, $2, $3, $4, $5)
     on conflict (sha256) do nothing`,
    [digest, scoring.year, scoring.exam, scoring.subjectCode, JSON.stringify(scoring)],
  );
}

/** Whether a stored result has what a new one has, besides what `resultChange` compares. */
const sameFigures = (a: ParticipantResult, b: ParticipantResult) =>
  a.reasons.join() === b.reasons.join() && a.variant === b.variant && a.as1 === b.as1 && a.as2 === b.as2;

/** Rows per statement when results are written: bounded parameters for a region's largest exam. */
const WRITE_CHUNK = 2000;

async function saveResults(
  tx: Queryable,
  examId: string,
  digest: string,
  writes: [string, ParticipantResult][],
): Promise<void> {
  for (let i = 0; i < writes.length; i += WRITE_CHUNK) {
    const chunk = writes.slice(i, i + WRITE_CHUNK);
    const column = <T>(f: (r: ParticipantResult) => T) => chunk.map(([, r]) => f(r));
    // Reason codes have no commas: each work's list travels as one text, split again in the statement.
    await tx.query(
      `insert into participant_results (${RESULT_COLUMNS}, exam_id)
       select w, st, string_to_array(rs, ','), v, a1, a2, p, sc, $9, t::jsonb, $10, $11
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::int[],
         $12::text[]) as u (w, st, rs, v, a1, a2, p, sc, t)
       on conflict (work_id) do update set status = excluded.status, reasons = excluded.reasons,
         variant = excluded.variant, as1 = excluded.as1, as2 = excluded.as2,
         primary_score = excluded.primary_score, score = excluded.score, scale = excluded.scale,
         tasks = excluded.tasks, scoring_sha256 = excluded.scoring_sha256, computed_at = now()`,
      [
        chunk.map(([workId]) => workId),
        column((r) => r.status),
        column((r) => r.reasons.join(',')),
        column((r) => r.variant),
        column((r) => r.as1),
        column((r) => r.as2),
        column((r) => r.primary),
        column((r) => r.score),
        chunk[0]![1].scale,
        digest,
        examId,
        column((r) => JSON.stringify(r.tasks)),
      ],
    );
  }
}

/**
 * Computes (again) the result of every work of an exam under the subject's current scoring, in one
 * transaction under the exam's lock: two computations at once do not interleave their diffs. Each stored
 * result that changes is audited with its old and new figures and the scorings from and to; the run itself
 * is audited with its counts.
 */
export async function computeResults(
  db: Database,
  basis: ScoringBasis,
  examId: string,
  actor: string,
): Promise<Computation> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`results:${examId}`]);
    const exam = await examKey(tx, examId);
    if (await valuesErased(tx, examId))
      throw new ResultsError(
        'not-allowed',
        `exam ${examId}: its recognised values were erased by retention; its results stand as computed`,
        { exam: examId },
      );
    const scoring = basis.scoring(exam);
    const rules = basis.rules(exam);
    const types = basis.answers(exam);
    const digest = scoringDigest(scoring);
    await keepScoring(tx, scoring, digest);
    const before = await storedResults(tx, examId);
    const changes: WorkChange[] = [];
    let complete = 0;
    const facts = await factsOf(tx, examId);
    const writes: [string, ParticipantResult][] = [];
    for (const [workId, workFacts] of facts) {
      const result = participantResult(scoring, types, rules, workFacts);
      if (result.status === 'complete') complete++;
      const old = before.get(workId);
      const change = old && resultChange(old, result);
      if (old && !change && old.scoring === digest && sameFigures(old, result)) continue;
      writes.push([workId, result]);
      if (change) changes.push({ workId, scoring: [old.scoring, digest], ...change });
    }
    await saveResults(tx, examId, digest, writes);
    await auditMany(
      tx,
      actor,
      'results.changed',
      changes.map(({ workId, ...change }) => ({
        subject: `work:${workId}`,
        detail: { exam: examId, ...change },
      })),
    );
    const total = facts.size;
    const replaced = [...new Set([...before.values()].map((r) => r.scoring))].filter((s) => s !== digest);
    const computation = {
      examId,
      scoring: digest,
      replaced,
      complete,
      incomplete: total - complete,
      changes,
    };
    await audit(tx, actor, 'results.computed', `exam:${examId}`, {
      scoring: digest,
      replaced,
      complete,
      incomplete: computation.incomplete,
      changed: changes.length,
    });
    return computation;
  });
}

/**
 * Exams whose stored results were computed under a scoring other than their subject's current one (a key or
 * scale changed since): what `recomputeStale` computes again.
 */
export async function staleExams(db: Queryable, basis: ScoringBasis): Promise<string[]> {
  const rows = await db.query<{
    id: string;
    year: number;
    kind: string;
    grade: number | null;
    subject_code: string;
    sha: string;
  }>(
    `select distinct e.id, e.year, e.kind, e.grade, e.subject_code, r.scoring_sha256 as sha
     from participant_results r join exams e on e.id = r.exam_id
     where not exists (${ERASED}) order by e.id`,
  );
  const stale = rows.filter(
    (r) =>
      scoringDigest(
        basis.scoring({ year: r.year, kind: r.kind, grade: r.grade, subjectCode: r.subject_code }),
      ) !== r.sha,
  );
  return [...new Set(stale.map((r) => r.id))];
}

/**
 * An exam whose recognised values retention has erased (a destruction act's record of them): its answers are
 * gone, so scoring again would turn every stored result into nothing; the results kept stand as computed.
 */
const ERASED = `select 1 from destruction_act_records d
  where d.exam_id = e.id and d.material = 'recognition-data'`;

async function valuesErased(db: Queryable, examId: string): Promise<boolean> {
  const rows = await db.query(`select 1 from exams e where e.id = $1 and exists (${ERASED})`, [examId]);
  return rows.length > 0;
}

/** Recomputes every exam whose results a changed key or scale has made stale; each computation as above. */
export async function recomputeStale(
  db: Database,
  basis: ScoringBasis,
  actor: string,
): Promise<Computation[]> {
  const out: Computation[] = [];
  for (const examId of await staleExams(db, basis)) out.push(await computeResults(db, basis, examId, actor));
  return out;
}

/** The stored results of an exam's works, by work code. */
export async function listResults(db: Queryable, examId: string): Promise<WorkResult[]> {
  await examKey(db, examId);
  return [...(await storedResults(db, examId)).values()];
}
