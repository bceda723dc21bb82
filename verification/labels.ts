/**
 * Field names as a verifier reads them, in Russian: the definitions name fields technically (`answer.24`,
 * `work.3.k2`, `@sheet-number`), and one rule per name pattern turns them into the printed sheet's words
 * ("Ответ 24", "Работа 3, критерий 2", "Номер бланка"). Numbered patterns carry their numbers over.
 */
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';

/** Exact names, across the shipped definitions. */
const NAMES: Record<string, string> = {
  [SHEET_NUMBER_TASK]: 'Номер бланка',
  region: 'Код региона',
  subject_code: 'Код предмета',
  subject_name: 'Название предмета',
  replacement_count: 'Число замен',
  answer: 'Ответ (запись на бланке)',
  additional_sheet: 'Номер дополнительного бланка',
  next_sheet: 'Номер следующего дополнительного бланка',
  sheet_no: 'Номер листа',
  expert_code: 'Код эксперта',
  class: 'Класс',
  school_code: 'Код образовательной организации',
  ppe_code: 'Код ППЭ',
  room: 'Номер аудитории',
  surname: 'Фамилия',
  name: 'Имя',
  patronymic: 'Отчество',
  document_series: 'Серия документа',
  document_number: 'Номер документа',
  sex: 'Пол',
  removed: 'Удалён',
  not_finished: 'Не закончил',
};

/** Numbered names: the pattern and its label from the numbers it holds. */
const PATTERNS: [RegExp, (n: string[]) => string][] = [
  [/^answer\.(\d+)$/, ([n]) => `Ответ ${n}`],
  [/^result\.(\d+)$/, ([n]) => `Ответ ${n} с учётом замен`],
  [/^replacement\.(\d+)\.task$/, ([n]) => `Замена ${n}: номер задания`],
  [/^replacement\.(\d+)\.answer$/, ([n]) => `Замена ${n}: ответ`],
  [/^work\.(\d+)\.k(\d+)$/, ([w, k]) => `Работа ${w}, критерий ${k}`],
  [/^id\.(\d+)$/, ([n]) => `Идентификатор, цифра ${n}`],
  [/^q\.(\d+)$/, ([n]) => `Вопрос ${n}`],
];

/** The field's name in Russian; a name no rule knows is shown as it is (a new definition's field). */
export function fieldLabel(field: string): string {
  const exact = NAMES[field];
  if (exact) return exact;
  for (const [pattern, label] of PATTERNS) {
    const m = pattern.exec(field);
    if (m) return label(m.slice(1));
  }
  return field;
}
