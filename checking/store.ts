/**
 * Expert checking in the database: who may check, how checks are handed out, what an expert is shown, and
 * what follows a submitted score. Works reach experts by work code only; two experts check each work
 * independently; a significant discrepancy (domain/checking.ts) opens a third check for a leading or senior
 * expert who has done first or second checks this year and has not checked this work. Checks are taken with
 * `FOR UPDATE SKIP LOCKED`, and a unique index keeps one expert to one check of a work whatever races.
 */

import {
  checkScores,
  type ExpertStatus,
  loadSubjectRules,
  type RulesOf,
  resultScores,
  type Scores,
  type SubjectRules,
  thirdCheckDecision,
  total,
} from '../domain/checking.ts';
import type { Database, Queryable } from '../platform/db.ts';
import { ServiceError } from '../platform/errors.ts';
import { audit } from '../platform/store/audit.ts';
import { as2Pages } from '../works/store.ts';

export type Round = 'screening' | 'first' | 'second' | 'third' | 'appeal';

/** What an expert's or a chair's request can meet. */
export class CheckingError extends ServiceError<
  'no-such-check' | 'not-yours' | 'not-allowed' | 'bad-scores' | 'no-rules' | 'conflict' | 'not-printable'
> {}

export function shippedRules(load: (year: number) => SubjectRules[] = loadSubjectRules): RulesOf {
  const years = new Map<number, SubjectRules[]>();
  return (exam) => {
    let sets = years.get(exam.year);
    if (!sets) {
      sets = load(exam.year);
      years.set(exam.year, sets);
    }
    const rules = sets.find((r) => r.exam === exam.kind && r.subjectCode === exam.subjectCode);
    if (!rules)
      throw new CheckingError(
        'no-rules',
        `no checking rules for ${exam.kind} subject ${exam.subjectCode} in ${exam.year}`,
      );
    return rules;
  };
}

export interface ExpertRegistration {
  userId: string;
  year: number;
  subjectCode: string;
  status: ExpertStatus;
  trained: boolean;
  qualified: boolean;
  briefed: boolean;
  seminar: boolean;
  conflict?: 'none' | 'declared' | 'cleared' | 'barred';
  screening?: boolean;
}

export async function registerExpert(db: Queryable, e: ExpertRegistration): Promise<void> {
  await db.query(
    `insert into experts (user_id, year, subject_code, status, trained, qualified, briefed, seminar, conflict, screening)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     on conflict (user_id, year, subject_code) do update set status = $4, trained = $5, qualified = $6,
       briefed = $7, seminar = $8, conflict = $9, screening = $10`,
    [
      e.userId,
      e.year,
      e.subjectCode,
      e.status,
      e.trained,
      e.qualified,
      e.briefed,
      e.seminar,
      e.conflict ?? 'none',
      e.screening ?? false,
    ],
  );
}

async function examOfWork(tx: Queryable, workId: string) {
  const [exam] = await tx.query<{ id: string; year: number; kind: string; subject_code: string }>(
    `select e.id, e.year, e.kind, e.subject_code from works w join exams e on e.id = w.exam_id where w.id = $1`,
    [workId],
  );
  if (!exam) throw new CheckingError('no-such-check', `work ${workId} has no exam`);
  return { id: exam.id, key: { year: exam.year, kind: exam.kind, subjectCode: exam.subject_code } };
}

/** Opens the checks a routed work needs: screening for a blank AS2, else the first and second checks. */
export async function openChecks(
  tx: Queryable,
  rulesOf: RulesOf,
  workId: string,
  route: 'blank-screening' | 'checking',
): Promise<void> {
  const exam = await examOfWork(tx, workId);
  const tasks = rulesOf(exam.key).tasks.map((t) => t.task);
  const rounds: Round[] = route === 'blank-screening' ? ['screening'] : ['first', 'second'];
  for (const round of rounds) {
    await tx.query(
      `insert into checks (work_id, exam_id, round, tasks) values ($1, $2, $3, $4)
       on conflict (work_id, round) where round <> 'appeal' do nothing`,
      [workId, exam.id, round, tasks],
    );
  }
}

/**
 * What an expert may take in one exam: nothing without training, qualification, briefing and the seminar or
 * with an unresolved or barring conflict; first and second checks otherwise; screening if the chair
 * appointed them; third checks and appeals if they are leading or senior and have done first or second
 * checks this year. (Never a second check of a work they have one of: the pool query and a unique index.)
 */
interface MayTake {
  firstOrSecond: boolean;
  screening: boolean;
  thirdOrAppeal: boolean;
}

async function mayTake(tx: Queryable, expertId: string, examId: string): Promise<MayTake> {
  const [x] = await tx.query<{
    status: ExpertStatus;
    screening: boolean;
    eligible: boolean;
    checked: boolean;
  }>(
    `select x.status, x.screening,
       x.trained and x.qualified and x.briefed and x.seminar and x.conflict in ('none', 'cleared') as eligible,
       exists (select 1 from checks d join exams de on de.id = d.exam_id
               where d.expert_id = $1 and d.status = 'submitted' and d.round in ('first', 'second')
                 and de.year = e.year) as checked
     from exams e join experts x on x.year = e.year and x.subject_code = e.subject_code
     where e.id = $2 and x.user_id = $1`,
    [expertId, examId],
  );
  const eligible = x?.eligible ?? false;
  return {
    firstOrSecond: eligible,
    screening: eligible && x!.screening,
    thirdOrAppeal: eligible && x!.status !== 'main' && x!.checked,
  };
}

/** Rounds an expert may take, as a condition on `c` with the flags as $3..$5. */
const ROUND_ALLOWED = `(
  (c.round in ('first', 'second') and $3::boolean)
  or (c.round = 'screening' and $4::boolean)
  or (c.round in ('third', 'appeal') and $5::boolean))`;

const flags = (m: MayTake) => [m.firstOrSecond, m.screening, m.thirdOrAppeal];

interface ExamEligibility {
  examId: string;
  may: MayTake;
}

/** The exams of the expert's subject they may check at all, in exam order, with what they may take in each. */
async function eligibleExams(tx: Queryable, expertId: string): Promise<ExamEligibility[]> {
  const exams = await tx.query<{ id: string }>(
    `select e.id from exams e join experts x on x.year = e.year and x.subject_code = e.subject_code
     where x.user_id = $1 order by e.exam_date, e.id`,
    [expertId],
  );
  const eligible: ExamEligibility[] = [];
  for (const exam of exams) {
    const may = await mayTake(tx, expertId, exam.id);
    if (may.firstOrSecond) eligible.push({ examId: exam.id, may });
  }
  return eligible;
}

/**
 * The next check of the pool an expert may take, locked: exam by exam (an expert's subject has one or a few
 * exam days), open checks in hand-out order along the pool index, then checks whose lease ran out. The query
 * reads only `checks`, so it walks the index and stops at the first check the expert may take instead of
 * sorting the pool.
 */
async function poolCheck(
  tx: Queryable,
  expertId: string,
  exams: ExamEligibility[],
  now: Date,
): Promise<number | undefined> {
  for (const { examId, may } of exams) {
    for (const [pool, params] of [
      [`c.status = 'open' order by c.priority, c.id`, []],
      [
        `c.status = 'assigned' and c.assigned_by is null and c.leased_until < $6 order by c.leased_until`,
        [now],
      ],
    ] as const) {
      const [next] = await tx.query<{ id: number }>(
        `select c.id from checks c
         where c.exam_id = $2 and ${ROUND_ALLOWED}
           and not exists (select 1 from checks o where o.work_id = c.work_id and o.expert_id = $1)
           and ${pool}
         limit 1
         for update of c skip locked`,
        [expertId, examId, ...flags(may), ...params],
      );
      if (next) return next.id;
    }
  }
  return undefined;
}

/** The check in hand (a chair's assignment, or an unexpired lease), else the next one of the pool. */
export async function takeNextCheck(
  db: Database,
  expertId: string,
  leaseMs = 3_600_000,
  now = new Date(),
): Promise<number | null> {
  const until = new Date(now.getTime() + leaseMs);
  return db.transaction(async (tx) => {
    const [held] = await tx.query<{ id: number }>(
      `update checks set leased_until = case when assigned_by is null then $3 else leased_until end
       where id = (select id from checks where expert_id = $1 and status = 'assigned'
                   and (assigned_by is not null or leased_until >= $2) order by id limit 1)
       returning id`,
      [expertId, now, until],
    );
    if (held) return held.id;
    const next = await poolCheck(tx, expertId, await eligibleExams(tx, expertId), now);
    if (next === undefined) return null;
    await tx.query(`update checks set status = 'assigned', expert_id = $2, leased_until = $3 where id = $1`, [
      next,
      expertId,
      until,
    ]);
    await audit(tx, expertId, 'checking.take', `check:${next}`, {});
    return next;
  });
}

/**
 * A chair pulls up to `count` checks from the pool for one expert (a batch to mark, on screen or on paper):
 * the checks a pull by that expert would get, in the same order, held by the chair's assignment (no lease).
 */
export async function pullChecks(
  db: Database,
  chairId: string,
  expertId: string,
  count: number,
  now = new Date(),
): Promise<number[]> {
  return db.transaction(async (tx) => {
    const pulled: number[] = [];
    // Eligibility is the expert's for the whole pull; the checks are picked one at a time, so each assignment
    // is visible to the next pick and no work is handed to the expert twice.
    const exams = await eligibleExams(tx, expertId);
    while (pulled.length < count) {
      const next = await poolCheck(tx, expertId, exams, now);
      if (next === undefined) break;
      await tx.query(
        `update checks set status = 'assigned', expert_id = $2, assigned_by = $3, leased_until = null where id = $1`,
        [next, expertId, chairId],
      );
      pulled.push(next);
    }
    if (pulled.length > 0)
      await audit(tx, chairId, 'checking.pull', `expert:${expertId}`, { checks: pulled });
    return pulled;
  });
}

/** A chair hands checks to an expert (or back to the pool with `expertId` null); each one audited. */
export async function assignChecks(
  db: Database,
  chairId: string,
  checkIds: number[],
  expertId: string | null,
): Promise<{ assigned: number[]; refused: { id: number; reason: string }[] }> {
  const assigned: number[] = [];
  const refused: { id: number; reason: string }[] = [];
  for (const id of checkIds) {
    await db.transaction(async (tx) => {
      const [c] = await tx.query<{ status: string; expert_id: string | null; exam_id: string }>(
        'select status, expert_id, exam_id from checks where id = $1 for update',
        [id],
      );
      if (!c) return void refused.push({ id, reason: 'no such check' });
      if (c.status === 'submitted') return void refused.push({ id, reason: 'already scored' });
      if (expertId === null) {
        await tx.query(
          `update checks set status = 'open', expert_id = null, assigned_by = null, leased_until = null where id = $1`,
          [id],
        );
      } else {
        // The same rules as a pull, for this one check and this expert (their own earlier hold aside).
        const [ok] = await tx.query(
          `select 1 from checks c where c.id = $2 and ${ROUND_ALLOWED}
             and not exists (select 1 from checks o where o.work_id = c.work_id and o.expert_id = $1 and o.id <> c.id)`,
          [expertId, id, ...flags(await mayTake(tx, expertId, c.exam_id))],
        );
        if (!ok) return void refused.push({ id, reason: `${expertId} may not take this check` });
        await tx.query(
          `update checks set status = 'assigned', expert_id = $2, assigned_by = $3, leased_until = null where id = $1`,
          [id, expertId, chairId],
        );
      }
      await audit(tx, chairId, 'checking.assign', `check:${id}`, { expert: expertId, before: c.expert_id });
      assigned.push(id);
    });
  }
  return { assigned, refused };
}

interface CheckRow {
  id: number;
  work_id: string;
  exam_id: string;
  round: Round;
  tasks: string[];
  status: string;
  expert_id: string | null;
  assigned_by: string | null;
  leased_until: Date | null;
}

async function ownCheck(tx: Queryable, checkId: number, expertId: string, now: Date): Promise<CheckRow> {
  const [c] = await tx.query<CheckRow>(
    `select id, work_id, exam_id, round, tasks, status, expert_id, assigned_by, leased_until
     from checks where id = $1 for update`,
    [checkId],
  );
  if (!c) throw new CheckingError('no-such-check', `no check ${checkId}`);
  const held = c.assigned_by !== null || (c.leased_until !== null && c.leased_until >= now);
  if (c.expert_id !== expertId || c.status !== 'assigned' || !held)
    throw new CheckingError('not-yours', `check ${checkId} is not assigned to you`);
  return c;
}

/** What an expert sees of a check: the work code, the tasks and criteria, and for a third check the earlier scores. */
export interface CheckView {
  id: number;
  workCode: string;
  round: Round;
  tasks: { task: string; criteria: { id: string; max: number; title?: string }[] }[];
  /** Answer-sheet-2 pages, in order: fetched one by one by number (1..pages). */
  pages: number;
  /** First and second checks are due a day before the exam's processing deadline. */
  dueDay: string | null;
  leasedUntil: string | null;
  /** Earlier experts' scores for a third check or an appeal re-check, by round, without their names. */
  earlier: { round: Round; scores: Scores }[];
}

export async function checkView(
  db: Database,
  rulesOf: RulesOf,
  checkId: number,
  expertId: string,
  now = new Date(),
): Promise<CheckView> {
  return db.transaction(async (tx) => {
    const c = await ownCheck(tx, checkId, expertId, now);
    const exam = await examOfWork(tx, c.work_id);
    const rules = rulesOf(exam.key);
    const [deadline] = await tx.query<{ due: string | null }>(
      `select to_char(processing_deadline - 1, 'YYYY-MM-DD') as due from exams where id = $1`,
      [c.exam_id],
    );
    const earlier =
      c.round === 'third' || c.round === 'appeal'
        ? await submittedScores(tx, c.work_id, c.round === 'third' ? ['first', 'second'] : undefined)
        : [];
    return {
      id: c.id,
      workCode: c.work_id,
      round: c.round,
      tasks: rules.tasks.filter((t) => c.tasks.includes(t.task)),
      pages: (await as2Pages(tx, c.work_id)).length,
      dueDay: c.round === 'first' || c.round === 'second' ? (deadline?.due ?? null) : null,
      leasedUntil: c.assigned_by === null ? (c.leased_until?.toISOString() ?? null) : null,
      earlier: earlier.map(({ round, scores }) => ({ round, scores })),
    };
  });
}

async function submittedScores(tx: Queryable, workId: string, rounds?: Round[]) {
  const rows = await tx.query<{
    id: number;
    round: Round;
    tasks: string[];
    expert_id: string;
    scores: Scores | null;
  }>(
    `select c.id, c.round, c.tasks, c.expert_id,
       (select json_object_agg(s.criterion, s.points) from scores s where s.check_id = c.id) as scores
     from checks c where c.work_id = $1 and c.status = 'submitted' order by c.submitted_at, c.id`,
    [workId],
  );
  return rows
    .filter((r) => !rounds || rounds.includes(r.round))
    .map((r) => ({ ...r, scores: r.scores ?? {} }));
}

export type AfterScore =
  | { next: 'waiting' }
  | { next: 'third-check'; reasons: string[]; tasks: string[] }
  | { next: 'result'; total: number };

/** Records an expert's scores for their check: final once given. Then the work moves on by the rules. */
export function submitScores(
  db: Database,
  rulesOf: RulesOf,
  expertId: string,
  checkId: number,
  scores: Scores,
  now = new Date(),
): Promise<AfterScore> {
  return db.transaction((tx) => scoreCheck(tx, rulesOf, expertId, checkId, scores, now));
}

/** `submitScores` inside the caller's transaction (a paper protocol's checks are scored together). */
export async function scoreCheck(
  tx: Queryable,
  rulesOf: RulesOf,
  expertId: string,
  checkId: number,
  scores: Scores,
  now = new Date(),
): Promise<AfterScore> {
  const c = await ownCheck(tx, checkId, expertId, now);
  if (c.round === 'screening')
    throw new CheckingError('not-allowed', 'a screening check is answered blank or not blank, not scored');
  const rules = rulesOf((await examOfWork(tx, c.work_id)).key);
  try {
    checkScores(rules, scores, c.tasks);
  } catch (err) {
    throw new CheckingError('bad-scores', (err as Error).message);
  }
  const criteria = Object.keys(scores);
  await tx.query(
    `insert into scores (check_id, criterion, points) select $1, * from unnest($2::text[], $3::int[])`,
    [checkId, criteria, criteria.map((k) => scores[k])],
  );
  await tx.query(`update checks set status = 'submitted', submitted_at = $2 where id = $1`, [checkId, now]);
  await audit(tx, expertId, 'checking.score', `check:${checkId}`, { work: c.work_id, round: c.round });
  if (c.round === 'appeal') return decideAppeal(tx, rules, checkId, c.work_id, scores);
  return settle(tx, rules, c.work_id, c.exam_id);
}

/**
 * The appeal re-check's scores become the work's result; the appeal is upheld when they change its total.
 * (The conflict commission hears the appeal on the re-checking expert's opinion; the recalculated result is
 * what it confirms.)
 */
async function decideAppeal(
  tx: Queryable,
  rules: SubjectRules,
  checkId: number,
  workId: string,
  scores: Scores,
): Promise<AfterScore> {
  const after = await recordResult(tx, rules, workId, scores, 'appeal');
  await tx.query(
    `update appeals set status = 'decided', decided_at = now(), total_after = $2,
       outcome = case when total_before = $2 then 'rejected' else 'upheld' end
     where check_id = $1`,
    [checkId, after.next === 'result' ? after.total : null],
  );
  return after;
}

/** After a score: a third check when the first two diverge, otherwise (or after the third) the result. */
async function settle(
  tx: Queryable,
  rules: SubjectRules,
  workId: string,
  examId: string,
): Promise<AfterScore> {
  const done = await submittedScores(tx, workId);
  const by = (round: Round) => done.find((d) => d.round === round);
  const first = by('first');
  const second = by('second');
  if (!first || !second) return { next: 'waiting' };
  const third = by('third');
  if (!third) {
    const decision = thirdCheckDecision(rules, first.scores, second.scores);
    if (decision.due) {
      await tx.query(
        `insert into checks (work_id, exam_id, round, tasks, reasons) values ($1, $2, 'third', $3, $4)
         on conflict (work_id, round) where round <> 'appeal' do nothing`,
        [workId, examId, decision.tasks, decision.reasons],
      );
      return { next: 'third-check', reasons: decision.reasons, tasks: decision.tasks };
    }
  }
  const result = resultScores(
    rules,
    first.scores,
    second.scores,
    third && { scores: third.scores, tasks: third.tasks },
  );
  return recordResult(tx, rules, workId, result, third ? 'third-check' : 'two-experts');
}

async function recordResult(
  tx: Queryable,
  rules: SubjectRules,
  workId: string,
  scores: Scores,
  basis: 'two-experts' | 'third-check' | 'screening' | 'appeal',
): Promise<{ next: 'result'; total: number }> {
  const sum = total(rules, scores);
  await tx.query(
    `insert into work_results (work_id, scores, total, basis) values ($1, $2, $3, $4)
     on conflict (work_id) do update set scores = $2, total = $3, basis = $4, decided_at = now()`,
    [workId, JSON.stringify(scores), sum, basis],
  );
  return { next: 'result', total: sum };
}

/** A screening expert's answer: blank (the work scores 0) or not blank (it goes to two experts). */
export async function submitScreening(
  db: Database,
  rulesOf: RulesOf,
  expertId: string,
  checkId: number,
  blank: boolean,
  now = new Date(),
): Promise<AfterScore | { next: 'checking' }> {
  return db.transaction(async (tx) => {
    const c = await ownCheck(tx, checkId, expertId, now);
    if (c.round !== 'screening')
      throw new CheckingError('not-allowed', `check ${checkId} is not a screening`);
    await tx.query(`update checks set status = 'submitted', submitted_at = $2 where id = $1`, [checkId, now]);
    await audit(tx, expertId, 'checking.screening', `check:${checkId}`, { work: c.work_id, blank });
    if (!blank) {
      await openChecks(tx, rulesOf, c.work_id, 'checking');
      return { next: 'checking' as const };
    }
    const rules = rulesOf((await examOfWork(tx, c.work_id)).key);
    const zeros = Object.fromEntries(rules.tasks.flatMap((t) => t.criteria.map((k) => [k.id, 0])));
    return recordResult(tx, rules, c.work_id, zeros, 'screening');
  });
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
): Promise<{ appealId: number; checkId: number }> {
  if (reason.trim() === '') throw new CheckingError('not-allowed', 'an appeal needs its reason');
  return db.transaction(async (tx) => {
    const [result] = await tx.query<{ total: number }>(
      'select total from work_results where work_id = $1 for update',
      [workId],
    );
    if (!result) throw new CheckingError('not-allowed', `work ${workId} has no result to appeal yet`);
    const [open] = await tx.query(`select 1 from appeals where work_id = $1 and status = 'rechecking'`, [
      workId,
    ]);
    if (open) throw new CheckingError('not-allowed', `work ${workId} already has an appeal being re-checked`);
    const exam = await examOfWork(tx, workId);
    const tasks = rulesOf(exam.key).tasks.map((t) => t.task);
    const [check] = await tx.query<{ id: number }>(
      `insert into checks (work_id, exam_id, round, tasks, reasons) values ($1, $2, 'appeal', $3, $4) returning id`,
      [workId, exam.id, tasks, [reason]],
    );
    const [appeal] = await tx.query<{ id: number }>(
      `insert into appeals (work_id, registered_by, reason, check_id, total_before) values ($1, $2, $3, $4, $5)
       returning id`,
      [workId, by, reason, check!.id, result.total],
    );
    await audit(tx, by, 'appeal.register', `appeal:${appeal!.id}`, { work: workId });
    return { appealId: appeal!.id, checkId: check!.id };
  });
}

/**
 * A chair's correction of a submitted first or second score (a keying slip, say): a new entry with the
 * reason, the expert's request and the chair's approval, audited; the work is then settled again. After a
 * third check or a result the scores stand, and a change is an appeal's business.
 */
export async function correctScore(
  db: Database,
  rulesOf: RulesOf,
  c: { checkId: number; criterion: string; points: number; reason: string; approvedBy: string },
): Promise<AfterScore> {
  if (c.reason.trim() === '') throw new CheckingError('not-allowed', 'a correction needs its reason');
  return db.transaction(async (tx) => {
    const [check] = await tx.query<CheckRow>(
      `select id, work_id, exam_id, round, tasks, status, expert_id, assigned_by, leased_until
       from checks where id = $1 for update`,
      [c.checkId],
    );
    if (check?.status !== 'submitted')
      throw new CheckingError('no-such-check', `no submitted check ${c.checkId}`);
    if (check.round !== 'first' && check.round !== 'second')
      throw new CheckingError(
        'not-allowed',
        'only first and second checks are corrected; the rest is appealed',
      );
    const [settled] = await tx.query(
      `select 1 from work_results where work_id = $1 union all select 1 from checks where work_id = $1 and round = 'third'`,
      [check.work_id],
    );
    if (settled) throw new CheckingError('not-allowed', `work ${check.work_id} is past its first two checks`);
    const rules = rulesOf((await examOfWork(tx, check.work_id)).key);
    const [old] = await tx.query<{ points: number }>(
      'select points from scores where check_id = $1 and criterion = $2 for update',
      [c.checkId, c.criterion],
    );
    if (!old) throw new CheckingError('bad-scores', `${c.criterion}: not scored in check ${c.checkId}`);
    const current = Object.fromEntries(
      (
        await tx.query<{ criterion: string; points: number }>(
          'select criterion, points from scores where check_id = $1',
          [c.checkId],
        )
      ).map((r) => [r.criterion, r.points]),
    );
    try {
      checkScores(rules, { ...current, [c.criterion]: c.points }, check.tasks);
    } catch (err) {
      throw new CheckingError('bad-scores', (err as Error).message);
    }
    await tx.query('update scores set points = $3 where check_id = $1 and criterion = $2', [
      c.checkId,
      c.criterion,
      c.points,
    ]);
    await tx.query(
      `insert into score_corrections (check_id, criterion, old_points, new_points, reason, requested_by, approved_by)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [c.checkId, c.criterion, old.points, c.points, c.reason, check.expert_id, c.approvedBy],
    );
    await audit(tx, c.approvedBy, 'checking.correct', `check:${c.checkId}`, {
      criterion: c.criterion,
      old: old.points,
      new: c.points,
    });
    return settle(tx, rules, check.work_id, check.exam_id);
  });
}

/**
 * Marks a work as a reference work with its known scores: it goes through the pool like any other, and each
 * expert's scores on it are compared with these (expert statistics). Audited.
 */
export async function setReferenceScores(
  db: Database,
  rulesOf: RulesOf,
  workId: string,
  scores: Scores,
  by: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const rules = rulesOf((await examOfWork(tx, workId)).key);
    try {
      checkScores(rules, scores);
    } catch (err) {
      throw new CheckingError('bad-scores', (err as Error).message);
    }
    const criteria = Object.keys(scores);
    await tx.query('delete from reference_scores where work_id = $1', [workId]);
    await tx.query(
      `insert into reference_scores (work_id, criterion, points) select $1, * from unnest($2::text[], $3::int[])`,
      [workId, criteria, criteria.map((k) => scores[k])],
    );
    await audit(tx, by, 'checking.reference', `work:${workId}`, {});
  });
}
