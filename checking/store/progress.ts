/**
 * A chair's view of checking: checks by round and status, the first and second checks past their due day,
 * and each expert's load. Which exams are past due today is domain/checking.ts's rule, applied per exam in
 * its region's date to its processing deadline (its own, or the regulation's default, domain/deadlines.ts);
 * the queries only filter by its answer.
 */
import type { Progress } from '../../contract/checking.ts';
import { DUE_ROUNDS, dayIn, examDueDay, examPastDue } from '../../domain/checking.ts';
import { loadDeadlineRules, processingDeadline } from '../../domain/deadlines.ts';
import type { Queryable } from '../../platform/db.ts';

export interface ExamDeadline {
  examId: string;
  processingDeadline: string;
  /** No deadline was set: the regulation's default after the exam day stands. */
  defaulted: boolean;
  /** The day the first and second checks are due. */
  dueDay: string;
  pastDue: boolean;
}

/** Each exam's (one, or all) processing deadline at `now`, and whether its first and second checks are past due. */
export async function examDeadlines(
  db: Queryable,
  examId: string | null,
  now: Date,
): Promise<ExamDeadline[]> {
  const exams = await db.query<{
    id: string;
    year: number;
    date: string;
    deadline: string | null;
    time_zone: string;
  }>(
    `select id, year, to_char(exam_date, 'YYYY-MM-DD') as date,
       to_char(processing_deadline, 'YYYY-MM-DD') as deadline, time_zone
     from exams where $1::text is null or id = $1 order by id`,
    [examId],
  );
  return exams.map((e) => {
    const { day, defaulted } = processingDeadline(loadDeadlineRules(e.year), {
      date: e.date,
      processingDeadline: e.deadline,
    });
    return {
      examId: e.id,
      processingDeadline: day,
      defaulted,
      dueDay: examDueDay(day)!,
      pastDue: examPastDue(day, dayIn(e.time_zone, now)),
    };
  });
}

/** The exams (one, or all) whose first and second checks are past due at `now`, with their due days. */
async function pastDueExams(db: Queryable, examId: string | null, now: Date): Promise<Map<string, string>> {
  const exams = await examDeadlines(db, examId, now);
  return new Map(exams.filter((e) => e.pastDue).map((e) => [e.examId, e.dueDay]));
}

export async function checkingProgress(
  db: Queryable,
  examId: string | null,
  now = new Date(),
): Promise<Progress> {
  const rounds = await db.query<Progress['rounds'][number]>(
    `select c.exam_id as "examId", c.round, c.status, count(*)::int as checks
     from checks c where $1::text is null or c.exam_id = $1
     group by c.exam_id, c.round, c.status order by 1, 2, 3`,
    [examId],
  );
  const pastDue = await pastDueExams(db, examId, now);
  const due = [[...DUE_ROUNDS], [...pastDue.keys()]];
  const overdue = await db.query<Omit<Progress['overdue'][number], 'dueDay'> & { examId: string }>(
    `select c.id as "checkId", c.work_id as "workCode", c.round, c.expert_id as "expertId", c.exam_id as "examId"
     from checks c
     where c.status <> 'submitted' and c.round = any($1::text[]) and c.exam_id = any($2::text[])
     order by c.id limit 1000`,
    due,
  );
  const experts = await db.query<Progress['experts'][number]>(
    `select c.exam_id as "examId", c.expert_id as "expertId",
       count(*) filter (where c.status = 'assigned')::int as "inHand",
       count(*) filter (where c.status = 'submitted')::int as scored,
       count(*) filter (where c.status = 'assigned' and c.round = any($2::text[]) and c.exam_id = any($3::text[]))::int
         as overdue
     from checks c
     where c.expert_id is not null and ($1::text is null or c.exam_id = $1)
     group by c.exam_id, c.expert_id order by 1, 2`,
    [examId, ...due],
  );
  return {
    rounds,
    overdue: overdue.map(({ examId: exam, ...o }) => ({ ...o, dueDay: pastDue.get(exam)! })),
    experts,
  };
}
