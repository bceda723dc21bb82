/**
 * What makes an exam hold together: real days, a known zone, a deadline not before the exam; a grade for GVE
 * (9 or 11) and none for EGE or OGE.
 */
import { assertTimeZone, type ExamKind } from './retention.ts';

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

/** Why an exam's grade cannot stand: GVE is sat in grade 9 or 11 and must say which; EGE and OGE need none. */
export function gradeProblem(exam: { kind: ExamKind; grade?: number | null }): string | null {
  const grade = exam.grade ?? null;
  if (exam.kind === 'GVE')
    return grade === 9 || grade === 11 ? null : 'a GVE exam needs its grade: 9 (GVE-9) or 11 (GVE-11)';
  return grade === null ? null : `an ${exam.kind} exam has no grade to name`;
}

/** Why an exam's days cannot be registered as given; null when they can. */
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
