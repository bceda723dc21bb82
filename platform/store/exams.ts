/** Exams: what batches, retention days and deadlines hang on. */

import type { Exam } from '../../contract/admin.ts';
import { gradeProblem } from '../../domain/exams.ts';
import { assertTimeZone } from '../../domain/retention.ts';
import type { Queryable } from '../db.ts';

/** Registers an exam once; registering it again changes nothing (and answers false). A GVE exam names its grade. */
export async function registerExam(db: Queryable, exam: Exam): Promise<boolean> {
  assertTimeZone(exam.timeZone);
  const problem = gradeProblem(exam);
  if (problem) throw new Error(problem);
  const rows = await db.query(
    `insert into exams (id, year, kind, subject_code, exam_date, region, time_zone, processing_deadline, grade)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (id) do nothing returning id`,
    [
      exam.id,
      Number(exam.date.slice(0, 4)),
      exam.kind,
      exam.subjectCode,
      exam.date,
      exam.region,
      exam.timeZone,
      exam.processingDeadline ?? null,
      exam.grade ?? null,
    ],
  );
  return rows.length > 0;
}

export async function listExams(db: Queryable): Promise<Exam[]> {
  return db.query<Exam>(
    `select id, kind, grade, subject_code as "subjectCode", to_char(exam_date, 'YYYY-MM-DD') as date, region,
       time_zone as "timeZone", to_char(processing_deadline, 'YYYY-MM-DD') as "processingDeadline"
     from exams order by exam_date, id`,
  );
}

/** Sets (or clears, with null) an exam's processing deadline. */
export async function setProcessingDeadline(
  db: Queryable,
  examId: string,
  deadline: string | null,
): Promise<void> {
  await db.query('update exams set processing_deadline = $2 where id = $1', [examId, deadline]);
}

/** The exam's year and day (YYYY-MM-DD); null for no such exam. */
export async function examDay(db: Queryable, examId: string): Promise<{ year: number; date: string } | null> {
  const [exam] = await db.query<{ year: number; date: string }>(
    `select year, to_char(exam_date, 'YYYY-MM-DD') as date from exams where id = $1`,
    [examId],
  );
  return exam ?? null;
}
