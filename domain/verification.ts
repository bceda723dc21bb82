/**
 * Verification's rules as pure functions: what value a verifier may give a field, how a page's derived
 * fields settle once their sources are verified, and when a page is final.
 */

/** What a task's field accepts: a sheet number, a writing area ('written' or empty), or these symbols. */
export type Accepts = { sheetNumber: true } | { writing: true } | { symbols: string };

/**
 * Why a verifier's value may not stand in the field; null when it may. `sheetNumberValid` says whether a
 * value is 13 digits with a valid EAN-13 check digit (the barcode reader's check, pipeline/barcodes.ts).
 */
export function valueProblem(
  accepts: Accepts,
  value: string,
  sheetNumberValid: (value: string) => boolean,
): string | null {
  if ('sheetNumber' in accepts)
    return sheetNumberValid(value) ? null : 'a sheet number is 13 digits with a valid check digit';
  if ('writing' in accepts)
    return value === '' || value === 'written' ? null : 'a writing area is "written" or empty';
  const bad = [...value].filter((ch) => !accepts.symbols.includes(ch));
  return bad.length > 0 ? `not allowed in this field: ${[...new Set(bad)].join(' ')}` : null;
}

export interface FieldState {
  name: string;
  value: string;
  /** The value that stands: null until the field is accepted or verified. */
  finalValue: string | null;
  status: string;
}

/** A field's value as its page derives from it: the verified value where there is one, else the read one. */
export const standingValue = (f: FieldState): string => f.finalValue ?? f.value;

export type DerivedUpdate =
  /** The derivation itself doubts the field (two replacement rows disagree): it opens a task of its own. */
  | { name: string; doubt: string[]; value: string }
  /** The field takes the derived value as final; a doubtful one is thereby confirmed. */
  | { name: string; finalValue: string; status: string };

/**
 * How a page's derived fields change once their sources are verified: each derived again either raises a
 * doubt or settles; a field whose final value is already the derived one is left alone.
 */
export function derivedUpdates(
  derived: Record<string, { value: string; doubt: string[] }>,
  fields: readonly FieldState[],
): DerivedUpdate[] {
  const byName = new Map(fields.map((f) => [f.name, f]));
  return Object.entries(derived).flatMap(([name, d]): DerivedUpdate[] => {
    if (d.doubt.length > 0) return [{ name, doubt: d.doubt, value: d.value }];
    const field = byName.get(name);
    if (!field || field.finalValue === d.value) return [];
    return [{ name, finalValue: d.value, status: field.status === 'doubtful' ? 'confirmed' : field.status }];
  });
}

/** Every task of the page is decided (none open, leased, escalated or held). */
export const tasksSettled = (taskStatuses: readonly string[]): boolean =>
  taskStatuses.every((s) => s === 'done');

/** A page is final when every task of it is decided and every field has the value that stands. */
export const pageIsFinal = (taskStatuses: readonly string[], fields: readonly FieldState[]): boolean =>
  tasksSettled(taskStatuses) && fields.every((f) => f.finalValue !== null);

/**
 * A key's uniform draw in [0, 1): FNV-1a, then murmur3's finaliser (FNV alone leaves the high bits of short,
 * alike keys correlated).
 */
function controlHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/**
 * Whether the field a key names (its page's image, page and field) falls in a blind control sample of
 * `share`: a hash of the key, so the draw is the same however often the page is recognised, and owes nothing
 * to what the recogniser saw in it.
 */
export function inControlSample(key: string, share: number): boolean {
  return share > 0 && controlHash(key) < share;
}

/**
 * Where in the range of the doubts' priorities a drawn answer waits, 0 (first) to 1 (last): spread evenly by
 * the same hash. Its own confidence would put every control after every doubt, and hold its page longest.
 */
export function controlPlace(key: string, share: number): number {
  return controlHash(key) / share;
}

/** What a control sample says: the share of answers accepted without doubt that were wrong. */
export interface ControlEstimate {
  /** Corrected among decided; null before any decision. */
  rate: number | null;
  /** The Wilson score interval's upper end at 95%: with none corrected yet, what the sample still allows. */
  upper95: number | null;
}

export function controlEstimate(decided: number, corrected: number): ControlEstimate {
  if (decided === 0) return { rate: null, upper95: null };
  const z = 1.959964;
  const p = corrected / decided;
  const z2n = (z * z) / decided;
  const centre = p + z2n / 2;
  const spread = z * Math.sqrt((p * (1 - p)) / decided + z2n / (4 * decided));
  return { rate: p, upper95: Math.min(1, (centre + spread) / (1 + z2n)) };
}
