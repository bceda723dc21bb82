/**
 * What is past the regulation's deadlines, for chairs and /metrics: appeal steps not done by their due day
 * (domain/deadlines.ts), and first and second checks not scored by the day before their exam's processing
 * deadline, its own or the regulation's default (progress.ts).
 */
import type { Overdue } from '../../contract/checking.ts';
import { DUE_ROUNDS } from '../../domain/checking.ts';
import type { Queryable } from '../../platform/db.ts';
import { allAppealSteps } from './appeals.ts';
import { examDeadlines } from './progress.ts';

/** Past-due exams with their first and second checks not yet scored (exams with none are left out). */
export async function overdueChecks(db: Queryable, now: Date): Promise<Overdue['exams']> {
  const pastDue = (await examDeadlines(db, null, now)).filter((e) => e.pastDue);
  const open = await db.query<{ examId: string; n: number }>(
    `select exam_id as "examId", count(*)::int as n from checks
     where status <> 'submitted' and round = any($1::text[]) and exam_id = any($2::text[])
     group by exam_id`,
    [[...DUE_ROUNDS], pastDue.map((e) => e.examId)],
  );
  return pastDue.flatMap(({ examId, processingDeadline, defaulted, dueDay }) => {
    const n = open.find((o) => o.examId === examId)?.n ?? 0;
    return n > 0 ? [{ examId, processingDeadline, defaulted, dueDay, overdueChecks: n }] : [];
  });
}

export async function overdue(db: Queryable, now = new Date()): Promise<Overdue> {
  const steps = (await allAppealSteps(db, now))
    .filter((s) => s.state === 'overdue')
    .sort((a, b) => a.dueDay!.localeCompare(b.dueDay!) || a.appealId - b.appealId)
    .map(({ appealId, workCode, examId, step, what, rule, by, dueDay }) => ({
      appealId,
      workCode,
      examId,
      step,
      what,
      rule,
      by,
      dueDay,
    }));
  return { appealSteps: steps, exams: await overdueChecks(db, now) };
}
