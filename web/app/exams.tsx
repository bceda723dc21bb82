/** How the stations name an exam, and the exam picker of the chair's and administrator's stations. */
import type { ExamRow } from '../../contract/admin.ts';
import { EXAM_KINDS } from './texts.ts';

/** Its kind (GVE with its grade: ГВЭ-9) and subject (from the rules, when they name it), its day, its id. */
export function examLabel(x: ExamRow): string {
  const day = x.date.split('-').reverse().join('.');
  const kind = `${EXAM_KINDS[x.kind] ?? x.kind}${x.grade ? `-${x.grade}` : ''}`;
  return x.subjectName ? `${kind}, ${x.subjectName}, ${day} (${x.id})` : `${kind}, ${x.id}, ${day}`;
}

/** The exam a station works on, picked from the list; `withDeadline` adds its processing deadline. */
export function ExamPicker({
  exams,
  exam,
  onPick,
  withDeadline = false,
}: {
  exams: ExamRow[];
  exam: ExamRow | null;
  onPick: (exam: ExamRow | null) => void;
  withDeadline?: boolean;
}) {
  return (
    <label class="exam">
      Экзамен{' '}
      <select
        value={exam?.id ?? ''}
        onChange={(e) => onPick(exams.find((x) => x.id === e.currentTarget.value) ?? null)}
      >
        {exams.map((x) => (
          <option key={x.id} value={x.id}>
            {examLabel(x)}
            {withDeadline && x.processingDeadline ? `, обработать до ${x.processingDeadline}` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
