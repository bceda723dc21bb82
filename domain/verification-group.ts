/**
 * Group verification's rule: which doubtful fields belong on one screen. A field whose every doubt lies in
 * characters that all read as one symbol joins that character's group (every crop on the screen is then
 * checked for one shape); any other field joins the group of its field on its form (one answer, one task,
 * the sheet number), which is also how a verifier may ask to group everything.
 */

export type GroupBy = 'character' | 'field';

export interface GroupKey {
  kind: GroupBy;
  /** The character the doubts share, or `form/field`. */
  key: string;
}

export interface Groupable {
  form: string | null;
  field: string;
  /** The recognised value: one symbol per written cell. */
  value: string;
  doubt: string[];
  cells: { cell: number; reason: string }[];
}

/** The group a doubtful field belongs to when verified by `by`. */
export function groupKey(task: Groupable, by: GroupBy): GroupKey {
  const field: GroupKey = { kind: 'field', key: `${task.form ?? ''}/${task.field}` };
  if (by === 'field' || task.cells.length === 0) return field;
  // Cell n holds the value's n-th symbol only when no blank cell comes before it (a gap is a doubt itself).
  const reasons = new Set(task.cells.map((c) => c.reason));
  if (!task.doubt.every((d) => reasons.has(d))) return field;
  const symbols = [...task.value];
  const shared = new Set(task.cells.map((c) => symbols[c.cell - 1]));
  const [symbol] = shared;
  return shared.size === 1 && symbol !== undefined ? { kind: 'character', key: symbol } : field;
}
