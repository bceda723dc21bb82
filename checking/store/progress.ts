/**
 * A chair's view of checking: checks by round and status, the first and second checks past their due day,
 * and each expert's load. Which exams are past due today is domain/checking.ts's rule, applied per exam in
 * its region's date; the queries only filter by its answer.
 */
import type { Progress } from '../../contract/checking.ts';
import { DUE_ROUNDS, dayIn, examDueDay, examPastDue } from '../../domain/checking.ts';
import type { Queryable } from '../../platform/db.ts';

/** The exams (one, or all) whose first and second checks are past due at `now`, with their due days. */
async function pastDueExams(db: Queryable, examId: string | null, now: Date): Promise<Map<string, string>> {
  const exams = await db.query<{ id: string; deadline: string | null; time_zone: string }>(
    `select id, to_char(processing_deadline, 'YYYY-MM-DD') as deadline, time_zone from exams
     where $1::text is null or id = $1`,
    [examId],
  );
  return new Map(
    exams
      .filter((e) => examPastDue(e.deadline, dayIn(e.time_zone, now)))
      .map((e) => [e.id, examDueDay(e.deadline)!]),
  );
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
