/**
 * Score appeals: registered on a work with a result, re-checked by a leading or senior expert who has checked
 * this year and never checked this work (the appeal round of `mayTake`; its scores in scores.ts), decided by
 * the conflict commission apart from the re-check's scores, and followed step by step on the regulation's
 * clock (domain/deadlines.ts). The appeal kit's content is gathered here for print/ to lay out.
 */
import type { Appeal, AppealSteps } from '../../contract/checking.ts';
import { dayIn, type RulesOf } from '../../domain/checking.ts';
import {
  type AppealFacts,
  appealSteps,
  loadCalendars,
  loadDeadlineRules,
  stepDoneProblem,
} from '../../domain/deadlines.ts';
import { type ExamKind, examForm, type Grade } from '../../domain/retention.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import type { AppealKitContent } from '../../print/kits.ts';
import { CheckingError } from '../errors.ts';
import { examOfWork, submittedScores } from './checks.ts';
import { recordResult } from './scores.ts';

/** Why a day given for an appeal cannot stand: before `from`, or after today; null when it can. */
function dayProblem(what: string, day: string, from: string, today: string): string | null {
  if (day < from) return `${what} ${day} comes before ${from}`;
  return day > today ? `${what} ${day} is still to come` : null;
}

/**
 * Registers a score appeal on a work with a result, and opens its re-check (all tasks) for a leading or
 * senior expert who has checked this year and never checked this work. Audited.
 */
export async function registerAppeal(
  db: Database,
  rulesOf: RulesOf,
  workId: string,
  by: string,
  reason: string,
  filedOn?: string,
  now = new Date(),
): Promise<{ appealId: number; checkId: number }> {
  if (reason.trim() === '') throw new CheckingError('not-allowed', 'an appeal needs its reason');
  return db.transaction(async (tx) => {
    const [result] = await tx.query<{ total: number }>(
      'select total from work_results where work_id = $1 for update',
      [workId],
    );
    if (!result) throw new CheckingError('not-allowed', `work ${workId} has no result to appeal yet`);
    // Re-checked but not yet heard is still open: one appeal at a time until the commission decides.
    const [open] = await tx.query(`select 1 from appeals where work_id = $1 and status <> 'decided'`, [
      workId,
    ]);
    if (open) throw new CheckingError('not-allowed', `work ${workId} already has an appeal not yet decided`);
    const exam = await examOfWork(tx, workId);
    const today = dayIn(exam.timeZone, now);
    const filed = filedOn ?? today;
    const problem = dayProblem('filed on', filed, exam.date, today);
    if (problem) throw new CheckingError('bad-value', problem);
    const tasks = rulesOf(exam.key).tasks.map((t) => t.task);
    const [check] = await tx.query<{ id: number }>(
      `insert into checks (work_id, exam_id, round, tasks, reasons) values ($1, $2, 'appeal', $3, $4) returning id`,
      [workId, exam.id, tasks, [reason]],
    );
    const [appeal] = await tx.query<{ id: number }>(
      `insert into appeals (work_id, registered_by, reason, check_id, total_before, filed_on)
       values ($1, $2, $3, $4, $5, $6) returning id`,
      [workId, by, reason, check!.id, result.total, filed],
    );
    await audit(tx, by, 'appeal.register', `appeal:${appeal!.id}`, { work: workId });
    return { appealId: appeal!.id, checkId: check!.id };
  });
}

type AppealRow = Omit<Appeal, 'registeredAt' | 'decidedAt'> & { registeredAt: Date; decidedAt: Date | null };

const APPEALS = `select id, work_id as "workCode", registered_by as "registeredBy", registered_at as "registeredAt",
    to_char(filed_on, 'YYYY-MM-DD') as "filedOn", reason, status, outcome,
    to_char(heard_on, 'YYYY-MM-DD') as "heardOn", decided_by as "decidedBy", total_before as "totalBefore",
    recheck_total as "recheckTotal", total_after as "totalAfter", decided_at as "decidedAt"
  from appeals`;

const asAppeal = (a: AppealRow): Appeal => ({
  ...a,
  registeredAt: a.registeredAt.toISOString(),
  decidedAt: a.decidedAt?.toISOString() ?? null,
});

/** The latest appeals first (a thousand at most). */
export async function listAppeals(db: Queryable): Promise<Appeal[]> {
  return (await db.query<AppealRow>(`${APPEALS} order by id desc limit 1000`)).map(asAppeal);
}

async function appeal(db: Queryable, appealId: number): Promise<Appeal> {
  const [row] = await db.query<AppealRow>(`${APPEALS} where id = $1`, [appealId]);
  if (!row) throw new CheckingError('no-such-appeal', `no appeal ${appealId}`);
  return asAppeal(row);
}

/**
 * The conflict commission's decision on a re-checked appeal, heard on `heardOn` (default today in the exam's
 * region): upheld makes the re-check's scores the work's result, rejected leaves the result as it was. The
 * re-check's own total stays recorded beside it. Audited.
 */
export async function decideAppeal(
  db: Database,
  rulesOf: RulesOf,
  appealId: number,
  by: string,
  outcome: 'upheld' | 'rejected',
  heardOn?: string,
  now = new Date(),
): Promise<Appeal> {
  return db.transaction(async (tx) => {
    const [a] = await tx.query<{ work_id: string; check_id: number; status: string; filed_on: string }>(
      `select work_id, check_id, status, to_char(filed_on, 'YYYY-MM-DD') as filed_on from appeals
       where id = $1 for update`,
      [appealId],
    );
    if (!a) throw new CheckingError('no-such-appeal', `no appeal ${appealId}`);
    if (a.status !== 'rechecked')
      throw new CheckingError(
        'not-allowed',
        a.status === 'decided'
          ? `appeal ${appealId} is decided`
          : `appeal ${appealId} is still being re-checked`,
      );
    const exam = await examOfWork(tx, a.work_id);
    const today = dayIn(exam.timeZone, now);
    const heard = heardOn ?? today;
    const problem = dayProblem('heard on', heard, a.filed_on, today);
    if (problem) throw new CheckingError('bad-value', problem);
    let after: number | null = null;
    if (outcome === 'upheld') {
      const recheck = (await submittedScores(tx, a.work_id)).find((c) => c.id === a.check_id)!;
      after = (await recordResult(tx, rulesOf(exam.key), a.work_id, recheck.scores, 'appeal')).total;
    }
    await tx.query(
      `update appeals set status = 'decided', outcome = $2, heard_on = $3, decided_by = $4, decided_at = $5,
         total_after = coalesce($6, total_before)
       where id = $1`,
      [appealId, outcome, heard, by, now, after],
    );
    await audit(tx, by, 'appeal.decide', `appeal:${appealId}`, { work: a.work_id, outcome });
    return appeal(tx, appealId);
  });
}

interface ClockRow {
  id: number;
  workCode: string;
  examId: string;
  year: number;
  kind: ExamKind;
  grade: Grade | null;
  timeZone: string;
  filedOn: string;
  heardOn: string | null;
  outcome: 'upheld' | 'rejected' | null;
}

const CLOCK = `select a.id, a.work_id as "workCode", e.id as "examId", e.year, e.kind, e.grade, e.time_zone as "timeZone",
    to_char(a.filed_on, 'YYYY-MM-DD') as "filedOn", to_char(a.heard_on, 'YYYY-MM-DD') as "heardOn", a.outcome
  from appeals a join works w on w.id = a.work_id join exams e on e.id = w.exam_id`;

/** Appeals (one, or all) with the facts their steps are counted from, and their steps at `now`. */
async function appealClocks(db: Queryable, appealId: number | null, now: Date) {
  const rows = await db.query<ClockRow>(`${CLOCK} where $1::bigint is null or a.id = $1 order by a.id`, [
    appealId,
  ]);
  const done = await db.query<{ appealId: number; step: string; doneOn: string }>(
    `select appeal_id as "appealId", step, to_char(done_on, 'YYYY-MM-DD') as "doneOn" from appeal_steps
     where $1::bigint is null or appeal_id = $1`,
    [appealId],
  );
  const doneBy = new Map<number, Record<string, string>>();
  for (const d of done) doneBy.set(d.appealId, { ...doneBy.get(d.appealId), [d.step]: d.doneOn });
  const calendars = loadCalendars();
  // A date formatter per appeal would cost more than its steps: one "today" per region's zone.
  const todays = new Map<string, string>();
  return rows.map((r) => {
    const facts: AppealFacts = {
      form: examForm(r.kind, r.grade),
      filedOn: r.filedOn,
      heardOn: r.heardOn,
      outcome: r.outcome,
      done: doneBy.get(r.id) ?? {},
    };
    const rules = loadDeadlineRules(r.year);
    const today = todays.get(r.timeZone) ?? dayIn(r.timeZone, now);
    todays.set(r.timeZone, today);
    return { row: r, facts, rules, today, steps: appealSteps(rules, calendars, facts, today) };
  });
}

/** An appeal's steps with their deadlines, and where each stands at `now`. */
export async function appealStepsOf(db: Queryable, appealId: number, now = new Date()): Promise<AppealSteps> {
  const [clock] = await appealClocks(db, appealId, now);
  if (!clock) throw new CheckingError('no-such-appeal', `no appeal ${appealId}`);
  return { appealId, workCode: clock.row.workCode, examId: clock.row.examId, steps: clock.steps };
}

/** Records an appeal step done on `doneOn` (default today in the exam's region), once. Audited. */
export async function recordAppealStep(
  db: Database,
  appealId: number,
  step: string,
  by: string,
  doneOn?: string,
  now = new Date(),
): Promise<AppealSteps> {
  return db.transaction(async (tx) => {
    await tx.query('select 1 from appeals where id = $1 for update', [appealId]);
    const [clock] = await appealClocks(tx, appealId, now);
    if (!clock) throw new CheckingError('no-such-appeal', `no appeal ${appealId}`);
    const day = doneOn ?? clock.today;
    const problem = stepDoneProblem(clock.rules, loadCalendars(), clock.facts, step, day, clock.today);
    if (problem) throw new CheckingError('not-allowed', problem);
    await tx.query(
      'insert into appeal_steps (appeal_id, step, done_on, recorded_by) values ($1, $2, $3, $4)',
      [appealId, step, day, by],
    );
    await audit(tx, by, 'appeal.step', `appeal:${appealId}`, { step, doneOn: day });
    return appealStepsOf(tx, appealId, now);
  });
}

/** Every appeal's steps at `now`, each with its appeal: what /api/checking/overdue and /metrics count. */
export async function allAppealSteps(db: Queryable, now = new Date()) {
  return (await appealClocks(db, null, now)).flatMap((c) =>
    c.steps.map((s) => ({ ...s, appealId: c.row.id, workCode: c.row.workCode, examId: c.row.examId })),
  );
}

/** Everything an appeal kit shows: the appeal, the work's forms and their readings, its checks, its result. */
export async function appealKitContent(db: Queryable, appealId: number): Promise<AppealKitContent> {
  const row = await appeal(db, appealId);
  const sheets = await db.query<{ role: string; sheetNumber: string; pageId: string }>(
    `select w.role, w.sheet_number as "sheetNumber", s.page_id as "pageId"
     from work_sheets w join sheets s on s.sheet_number = w.sheet_number
     where w.work_id = $1
     order by case w.role when 'registration' then 0 when 'as1' then 1 when 'as2-1' then 2 when 'as2-2' then 3
       else 4 end, w.chain_position`,
    [row.workCode],
  );
  const forms: AppealKitContent['sheets'] = [];
  for (const sheet of sheets) {
    const fields = await db.query<AppealKitContent['sheets'][number]['fields'][number]>(
      `select name, value, final_value as "finalValue", status from fields where page_id = $1 order by name`,
      [sheet.pageId],
    );
    forms.push({ ...sheet, fields });
  }
  const [result] = await db.query<NonNullable<AppealKitContent['result']>>(
    'select total, basis, scores from work_results where work_id = $1',
    [row.workCode],
  );
  return {
    appeal: row,
    sheets: forms,
    checks: (await submittedScores(db, row.workCode)).map(({ round, scores }) => ({ round, scores })),
    result: result ?? null,
  };
}
