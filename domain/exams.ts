/** What makes an exam's dates hold together: real days, a known zone, a deadline not before the exam. */
import { assertTimeZone } from './retention.ts';

/** A YYYY-MM-DD string that names a real day (the pattern alone lets 2026-02-30 through). */
export function realDay(d: string): boolean {
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
}

/** Why a processing deadline cannot stand for an exam held on `examDate`; null when it can. */
export function deadlineProblem(examDate: string, deadline: string | null): string | null {
  if (deadline === null) return null;
  if (!realDay(deadline)) return `${deadline} is not a day`;
  return deadline < examDate ? 'the processing deadline cannot come before the exam' : null;
}

/** Why an exam cannot be registered as given; null when it can. */
export function examProblem(exam: {
  date: string;
  timeZone: string;
  processingDeadline?: string | null;
}): string | null {
  if (!realDay(exam.date)) return `${exam.date} is not a day`;
  try {
    assertTimeZone(exam.timeZone);
  } catch (err) {
    return (err as Error).message;
  }
  return deadlineProblem(exam.date, exam.processingDeadline ?? null);
}
