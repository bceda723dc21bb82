/**
 * Checks themselves: opened for a routed work, held by their expert, shown to them. Works reach experts by
 * work code only; the view carries nothing of the participant.
 */
import type { CheckView } from '../../contract/checking.ts';
import { dueDay, type ExamKey, type Round, type RulesOf, type Scores } from '../../domain/checking.ts';
import { loadDeadlineRules, processingDeadline } from '../../domain/deadlines.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { as2Pages } from '../../works/store.ts';
import { CheckingError } from '../errors.ts';
import { draftOf } from './drafts.ts';

export interface WorkExam {
  id: string;
  key: ExamKey;
  /** The exam's day (YYYY-MM-DD) and the IANA zone of its region: its days are local days there. */
  date: string;
  timeZone: string;
  /** YYYY-MM-DD: the exam's own, or the regulation's default after the exam day (road map L415, L444). */
  processingDeadline: string;
}

export async function examOfWork(tx: Queryable, workId: string): Promise<WorkExam> {
  const [exam] = await tx.query<{
    id: string;
    year: number;
    kind: string;
    grade: number | null;
    subject_code: string;
    time_zone: string;
    date: string;
    deadline: string | null;
  }>(
    `select e.id, e.year, e.kind, e.grade, e.subject_code, e.time_zone, to_char(e.exam_date, 'YYYY-MM-DD') as date,
       to_char(e.processing_deadline, 'YYYY-MM-DD') as deadline
     from works w join exams e on e.id = w.exam_id where w.id = $1`,
    [workId],
  );
  if (!exam) throw new CheckingError('no-such-check', `work ${workId} has no exam`);
  return {
    id: exam.id,
    key: { year: exam.year, kind: exam.kind, grade: exam.grade, subjectCode: exam.subject_code },
    date: exam.date,
    timeZone: exam.time_zone,
    processingDeadline: processingDeadline(loadDeadlineRules(exam.year), {
      date: exam.date,
      processingDeadline: exam.deadline,
    }).day,
  };
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

export interface CheckRow {
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

/** The check, locked for the caller's transaction. */
export async function lockedCheck(tx: Queryable, checkId: number): Promise<CheckRow | undefined> {
  const [c] = await tx.query<CheckRow>(
    `select id, work_id, exam_id, round, tasks, status, expert_id, assigned_by, leased_until
     from checks where id = $1 for update`,
    [checkId],
  );
  return c;
}

/** The check, locked, if the expert holds it: a chair's assignment, or their lease still running. */
export async function ownCheck(
  tx: Queryable,
  checkId: number,
  expertId: string,
  now: Date,
): Promise<CheckRow> {
  const c = await lockedCheck(tx, checkId);
  if (!c) throw new CheckingError('no-such-check', `no check ${checkId}`);
  const held = c.assigned_by !== null || (c.leased_until !== null && c.leased_until >= now);
  if (c.expert_id !== expertId || c.status !== 'assigned' || !held)
    throw new CheckingError('not-yours', `check ${checkId} is not assigned to you`);
  return c;
}

export interface SubmittedCheck {
  id: number;
  round: Round;
  tasks: string[];
  expert_id: string;
  scores: Scores;
}

/** The work's submitted checks with their scores, in the order they were submitted. */
export async function submittedScores(
  tx: Queryable,
  workId: string,
  rounds?: Round[],
): Promise<SubmittedCheck[]> {
  const rows = await tx.query<Omit<SubmittedCheck, 'scores'> & { scores: Scores | null }>(
    `select c.id, c.round, c.tasks, c.expert_id,
       (select json_object_agg(s.criterion, s.points) from scores s where s.check_id = c.id) as scores
     from checks c where c.work_id = $1 and c.status = 'submitted' order by c.submitted_at, c.id`,
    [workId],
  );
  return rows
    .filter((r) => !rounds || rounds.includes(r.round))
    .map((r) => ({ ...r, scores: r.scores ?? {} }));
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
      dueDay: dueDay(c.round, exam.processingDeadline),
      leasedUntil: c.assigned_by === null ? (c.leased_until?.toISOString() ?? null) : null,
      earlier: earlier.map(({ round, scores }) => ({ round, scores })),
      draft: await draftOf(tx, c.id, expertId),
    };
  });
}

/** The answer-sheet-2 page `n` (from 1) of the check's work, for the expert holding the check. */
export async function checkPage(
  db: Database,
  checkId: number,
  expertId: string,
  n: number,
  now = new Date(),
): Promise<{ workCode: string; pageId: string }> {
  return db.transaction(async (tx) => {
    const c = await ownCheck(tx, checkId, expertId, now);
    const pages = await as2Pages(tx, c.work_id);
    const pageId = pages[n - 1];
    if (!pageId) throw new CheckingError('no-such-page', `the work has ${pages.length} pages`);
    return { workCode: c.work_id, pageId };
  });
}
