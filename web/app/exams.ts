/** How the stations name an exam: its subject (from the rules, when they name it), its day, its id. */
import type { ExamRow } from '../../contract/admin.ts';

export function examLabel(x: ExamRow): string {
  const day = x.date.split('-').reverse().join('.');
  return x.subjectName ? `${x.subjectName}, ${day} (${x.id})` : `${x.id}, ${day}`;
}
