/** How the stations name an exam: its kind and subject (from the rules, when they name it), its day, its id. */
import type { ExamRow } from '../../contract/admin.ts';
import { EXAM_KINDS } from './texts.ts';

export function examLabel(x: ExamRow): string {
  const day = x.date.split('-').reverse().join('.');
  const kind = EXAM_KINDS[x.kind] ?? x.kind;
  return x.subjectName ? `${kind}, ${x.subjectName}, ${day} (${x.id})` : `${kind}, ${x.id}, ${day}`;
}
