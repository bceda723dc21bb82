/** Exams: what batches, retention days and deadlines hang on. */
import { assertTimeZone } from '../domain/retention.ts';
import type { Queryable } from './db.ts';

export interface Exam {
  id: string;
  kind: 'EGE' | 'OGE' | 'GVE';
  subjectCode: string;
  /** YYYY-MM-DD, the exam's day in its region. */
  date: string;
  region: string;
  /** IANA zone of the region: retention days and deadlines are local days there. */
  timeZone: string;
}

/** Registers an exam once; registering it again changes nothing. */
export async function registerExam(db: Queryable, exam: Exam): Promise<void> {
  assertTimeZone(exam.timeZone);
  await db.query(
    `insert into exams (id, year, kind, subject_code, exam_date, region, time_zone)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing`,
    [
      exam.id,
      Number(exam.date.slice(0, 4)),
      exam.kind,
      exam.subjectCode,
      exam.date,
      exam.region,
      exam.timeZone,
    ],
  );
}
