/**
 * Derived fields. EGE AS1: result.N is answer.N unless a "replacement of wrong answers" row names task N, in
 * which case the replacement's answer wins. A replacement that cannot be read, or two that disagree about one
 * task, make that result doubtful rather than picked.
 */
import type { ExpandedForm, FieldInstance } from '../forms/definitions.ts';
import { doubtful, type RecognisedField } from './result.ts';

export function egeReplacements(
  form: ExpandedForm,
  fields: Record<string, RecognisedField>,
): Record<string, RecognisedField> {
  const out = { ...fields };
  const answers = form.fields.filter((f) => f.template === 'answer.{n}').map((f) => f.name);
  const results = new Map<string, RecognisedField>(
    answers.map((a) => [a.replace('answer.', ''), { ...fields[a]! }]),
  );
  const replaced = new Map<string, string>();
  let filledRows = 0;
  for (const f of form.fields) {
    if (f.template !== 'replacement.{n}.task') continue;
    const n = f.name.split('.')[1];
    const task = fields[f.name];
    const answerName = `replacement.${n}.answer`;
    const answer = fields[answerName];
    if (!task || !answer || (task.value === '' && answer.value === '' && task.doubt.length === 0)) continue;
    filledRows++;
    const taskNo = String(Number(task.value));
    const target = results.get(taskNo);
    if (!/^\d{1,2}$/.test(task.value) || !target) {
      // The row cannot be tied to a task: the replacement itself goes to a verifier.
      out[f.name] = doubtful(task, 'replacement-unreadable');
      continue;
    }
    const previous = replaced.get(taskNo);
    let result: RecognisedField = {
      value: answer.value,
      confidence: Math.min(task.confidence, answer.confidence),
      doubt: [],
    };
    if (task.doubt.length > 0 || answer.doubt.length > 0 || answer.value === '') {
      result = doubtful(result, 'replacement-unreadable');
    }
    if (previous !== undefined && previous !== answer.value)
      result = doubtful(result, 'replacement-conflict');
    replaced.set(taskNo, answer.value);
    results.set(taskNo, result);
  }
  for (const [n, r] of results) out[`result.${n}`] = r;
  const count = fields.replacement_count;
  if (count && count.doubt.length === 0 && count.value !== '' && Number(count.value) !== filledRows) {
    out.replacement_count = doubtful(count, 'replacement-count-mismatch');
  }
  return out;
}

export function applyDerivations(
  form: ExpandedForm,
  fields: Record<string, RecognisedField>,
): Record<string, RecognisedField> {
  let out = fields;
  for (const rule of form.definition.derive) {
    if (rule === 'ege-replacements') out = egeReplacements(form, out);
  }
  return out;
}

/** The read field a value comes from: the field itself, or for a derived EGE result.N its answer.N. */
export function sourceField(form: ExpandedForm, name: string): FieldInstance | undefined {
  return form.byName.get(name) ?? form.byName.get(name.replace(/^result\./, 'answer.'));
}

/** The symbols a verifier may enter for a field: its cells' alphabet, its bubbles' labels; '' for writing. */
export function allowedSymbols(form: ExpandedForm, name: string): string {
  const f = sourceField(form, name);
  if (!f || f.kind === 'writing') return '';
  return f.kind === 'bubbles' ? f.labels.join('') : f.allowed;
}
