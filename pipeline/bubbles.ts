/**
 * Bubble marks with layered thresholds (after OMRChecker): each bubble's darkness is measured inside its
 * outline; a per-sheet threshold splits marks from empties; a marginal band around it, faint ink in an
 * otherwise empty bubble, ink spilling around a mark and several marks in a single-choice group each raise a
 * doubt instead of a guess.
 */
import type { BubblesInstance, Rect } from '../forms/definitions.ts';
import type { BubbleEmpty, FormDefinition } from '../forms/schema.ts';
import type { AlignedBlocks } from './bubble-align.ts';
import type { Matrix3 } from './geometry.ts';
import { type GreyImage, sampleBilinear } from './image.ts';
import { type BlockFit, DOUBTED_MAX_CONFIDENCE, type DoubtReason, type RecognisedField } from './result.ts';

export const BUBBLE_THRESHOLDS = {
  /** The sheet threshold is searched between these darkness levels. */
  minThreshold: 0.3,
  maxThreshold: 0.6,
  /** Used when a sheet has too few marks to find its own split. */
  defaultThreshold: 0.42,
  /** Half-width of the band around the threshold where a bubble is doubtful. */
  marginal: 0.12,
  /** Darker than the sheet's empty bubbles by this much, yet under the band: an erasure or a faint tick. */
  residue: 0.09,
  /** Ink around a marked bubble (a cross over it, a tick reaching out): the mark may be cancelled. */
  spill: 0.2,
} as const;

/** The same keys with any values: calibration sweeps them. */
export type BubbleThresholds = { readonly [K in keyof typeof BUBBLE_THRESHOLDS]: number };

/** A form's bubble thresholds: its definition's overrides over the defaults. */
export function bubbleThresholds(def: FormDefinition): BubbleThresholds {
  const own = Object.entries(def.thresholds.bubbles ?? {}).filter(([, v]) => v !== undefined);
  return { ...BUBBLE_THRESHOLDS, ...Object.fromEntries(own) };
}

export interface BubbleMeasure {
  /** Mean darkness inside the outline, 0 (paper) to 1 (ink). */
  fill: number;
  /** Darkness of the darkest sector of a ring just outside the outline. */
  ring: number;
}

const SECTORS = 12;

/**
 * An annulus's polar samples at ~0.2 mm spacing (the count constant whatever the scan's dpi), as offsets in
 * page mm from the bubble's centre, each with its sector. The same for every bubble of a size: computed once.
 */
interface AnnulusSamples {
  dx: Float64Array;
  dy: Float64Array;
  sector: Uint8Array;
}

const annulusCache = new Map<string, AnnulusSamples>();

function annulusSamples(rx: number, ry: number, inner: number, outer: number): AnnulusSamples {
  const key = `${rx} ${ry} ${inner} ${outer}`;
  const known = annulusCache.get(key);
  if (known) return known;
  const dx: number[] = [];
  const dy: number[] = [];
  const sector: number[] = [];
  const rings = Math.max(2, Math.round(((outer - inner) * Math.max(rx, ry)) / 0.2));
  for (let i = 0; i < rings; i++) {
    const s = inner + ((outer - inner) * (i + 0.5)) / rings;
    const count = Math.max(SECTORS, Math.round((2 * Math.PI * s * Math.max(rx, ry)) / 0.2));
    for (let j = 0; j < count; j++) {
      const a = (2 * Math.PI * j) / count;
      dx.push(Math.cos(a) * rx * s);
      dy.push(Math.sin(a) * ry * s);
      sector.push(Math.floor((j * SECTORS) / count));
    }
  }
  const samples = { dx: Float64Array.from(dx), dy: Float64Array.from(dy), sector: Uint8Array.from(sector) };
  // Forms have a handful of bubble sizes; the bound only keeps a long-running service from collecting them.
  if (annulusCache.size >= 256) annulusCache.clear();
  annulusCache.set(key, samples);
  return samples;
}

/** The sectors' sums, reused: `annulus` runs to its end without yielding, and a page measures thousands. */
const sums = new Float64Array(SECTORS);
const counts = new Uint32Array(SECTORS);

/**
 * Mean darkness over an elliptical annulus (inner..outer, in semi-axes), overall and in its darkest of 12
 * sectors: a stroke crossing the ring darkens one sector a lot and the whole ring only a little. Each sample
 * goes through the page's homography exactly, its terms at the centre computed once: numerator and
 * denominator are linear in the offset.
 */
function annulus(
  img: GreyImage,
  t: Matrix3,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  inner: number,
  outer: number,
  paper: number,
): { mean: number; darkestSector: number } {
  const { dx, dy, sector } = annulusSamples(rx, ry, inner, outer);
  sums.fill(0);
  counts.fill(0);
  const [a, b, c, d, e, f, g, h, k] = t;
  const x0 = a * cx + b * cy + c;
  const y0 = d * cx + e * cy + f;
  const w0 = g * cx + h * cy + k;
  for (let n = 0; n < dx.length; n++) {
    const u = dx[n]!;
    const v = dy[n]!;
    const r = 1 / (w0 + g * u + h * v);
    const value = sampleBilinear(img, (x0 + a * u + b * v) * r - 0.5, (y0 + d * u + e * v) * r - 0.5);
    const s = sector[n]!;
    sums[s]! += Math.max(0, Math.min(1, (paper - value) / paper));
    counts[s]!++;
  }
  let total = 0;
  let n = 0;
  let darkestSector = 0;
  for (let s = 0; s < SECTORS; s++) {
    total += sums[s]!;
    n += counts[s]!;
    if (counts[s]) darkestSector = Math.max(darkestSector, sums[s]! / counts[s]!);
  }
  return { mean: n ? total / n : 0, darkestSector };
}

/** The ring around a bubble where ink beside it is looked for, in its half-sizes. */
const RING = { inner: 1.25, outer: 1.55 } as const;

export function measureBubbles(
  img: GreyImage,
  t: Matrix3,
  field: BubblesInstance,
  paper: number,
): BubbleMeasure[] {
  return field.rects.map((r) => {
    const cx = r.x + r.w / 2;
    const cy = r.y + r.h / 2;
    return {
      fill: annulus(img, t, cx, cy, r.w / 2, r.h / 2, 0, 0.72, paper).mean,
      ring: annulus(img, t, cx, cy, r.w / 2, r.h / 2, RING.inner, RING.outer, paper).darkestSector,
    };
  });
}

/**
 * Whether bubble `b`'s box reaches into the ring of bubble `a` (a grid whose boxes nearly touch: its ring then
 * holds the neighbour's mark, which is no ink beside `a`).
 */
function reachesRing(a: Rect, b: Rect): boolean {
  const [cx, cy] = [a.x + a.w / 2, a.y + a.h / 2];
  const dx = Math.max(b.x - cx, 0, cx - (b.x + b.w));
  const dy = Math.max(b.y - cy, 0, cy - (b.y + b.h));
  return Math.hypot(dx / (a.w / 2), dy / (a.h / 2)) < RING.outer;
}

/** The most a calibrated sheet's bubbles may all sit above (or below) their calibrated empty levels. */
const MAX_SHEET_OFFSET = 0.1;

/**
 * Self-calibration, for a form with no blank scans (`bubbleEmpty: 'sheet'`): the bubbles of one print (the
 * same label at the same size) are equally dark when empty, and in a single-choice grid most of them are
 * empty, so a low quantile of their darkness on the sheet itself is their empty level (inside the bubble,
 * of its block when the block has enough of them). A label with fewer bubbles than this on the sheet borrows
 * the level of every bubble of its size. Where most of a group is marked (three of a block's four D's) its
 * quantile falls on a mark: a level more than `maxAbove` over the wider group's (the label's on the sheet, or
 * every bubble's of its size) is not taken. Printed letters differ by up to 0.18 (issue 14 B's sheets), light
 * across a photo by less; a pen mark is 0.4 and more.
 */
const SHEET_LEVEL = { quantile: 0.25, minBubbles: 4, maxAbove: 0.2 } as const;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * q)] ?? 0;
}

/** Each bubble's empty level measured on the sheet it is on (see SHEET_LEVEL). */
export function sheetEmptyLevels(fields: BubblesInstance[], measures: BubbleMeasure[][]): BubbleMeasure[][] {
  const size = (f: BubblesInstance, i: number) => `${f.rects[i]?.w}x${f.rects[i]?.h}`;
  const groups = new Map<string, BubbleMeasure[]>();
  const add = (key: string, m: BubbleMeasure) => {
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  };
  fields.forEach((f, j) => {
    f.labels.forEach((label, i) => {
      const m = measures[j]?.[i];
      if (!m) return;
      if (f.block !== undefined) add(`${label}@${size(f, i)} in ${f.block}`, m);
      add(`${label}@${size(f, i)}`, m);
      add(size(f, i), m);
      add('', m);
    });
  });
  const levels = new Map<string, BubbleMeasure>();
  const level = (key: string): BubbleMeasure | undefined => {
    const g = groups.get(key);
    if (!g || g.length < SHEET_LEVEL.minBubbles) return undefined;
    let l = levels.get(key);
    if (!l) {
      l = {
        fill: quantile(
          g.map((m) => m.fill),
          SHEET_LEVEL.quantile,
        ),
        ring: quantile(
          g.map((m) => m.ring),
          SHEET_LEVEL.quantile,
        ),
      };
      levels.set(key, l);
    }
    return l;
  };
  const none = { fill: 0, ring: 0 };
  return fields.map((f, j) =>
    f.labels.map((label, i) => {
      if (measures[j]?.[i] === undefined) return none;
      const below = (l: BubbleMeasure | undefined, wider: BubbleMeasure) =>
        l && l.fill <= wider.fill + SHEET_LEVEL.maxAbove ? l : wider;
      const onSheet = below(level(`${label}@${size(f, i)}`), level(size(f, i)) ?? level('') ?? none);
      // Inside its bubble, a block's own level where it has enough bubbles: light falls unevenly across a
      // photo. The ring stays the sheet's: it holds the neighbours' print, the same in every block.
      const inBlock = f.block === undefined ? undefined : level(`${label}@${size(f, i)} in ${f.block}`);
      return { fill: below(inBlock, onSheet).fill, ring: onSheet.ring };
    }),
  );
}

/**
 * On a calibrated form, each bubble's darkness above its own empty level (a printed letter, its outline), as a
 * share of the paper the letter leaves: a mark of darkness p over any letter reads about p. Then the sheet's
 * own offset comes off, the level most of its bubbles share above their calibration (paper tone, exposure, a
 * dithered scan's dots on the paper), so an empty bubble reads about 0. Bubbles the calibration does not name
 * keep their raw darkness. `'sheet'`: the levels are measured on this sheet (`sheetEmptyLevels`).
 */
export function aboveEmpty(
  fields: BubblesInstance[],
  measures: BubbleMeasure[][],
  empty: BubbleEmpty | 'sheet' | undefined,
): BubbleMeasure[][] {
  if (!empty) return measures;
  const levels =
    empty === 'sheet'
      ? sheetEmptyLevels(fields, measures)
      : fields.map((f) => f.labels.map((label) => empty[f.template]?.[label]));
  const raised = measures.map((ms, j) =>
    ms.map((m, i) => {
      const e = levels[j]?.[i];
      return e ? { fill: (m.fill - e.fill) / (1 - e.fill), ring: (m.ring - e.ring) / (1 - e.ring) } : m;
    }),
  );
  const calibrated = raised.flatMap((ms, j) => ms.filter((_, i) => levels[j]?.[i] !== undefined));
  // Bounded: paper and dots shift a sheet by a few hundredths; a sheet marked nearly everywhere must not
  // lift its marks' own level off them.
  const offset = (values: number[]) =>
    Math.max(-MAX_SHEET_OFFSET, Math.min(MAX_SHEET_OFFSET, quantile(values, 0.25)));
  const fill = offset(calibrated.map((m) => m.fill));
  const ring = offset(calibrated.map((m) => m.ring));
  return raised.map((ms, j) =>
    ms.map((m, i) => (levels[j]?.[i] ? { fill: m.fill - fill, ring: m.ring - ring } : m)),
  );
}

/** A page's bubble fields as recognition reads them (pipeline/recognise.ts) and its calibration replays them. */
export interface SheetBubbles {
  /** The fields, each moved to where its block was found (when the form asks for alignment). */
  fields: BubblesInstance[];
  /** Per field, as the form's decisions take them: above each bubble's empty level, if calibrated. */
  measures: BubbleMeasure[][];
  /** Every bubble's fill, in field order: what the sheet's threshold is found from. */
  fills: number[];
  /** On a self-calibrated form (`bubbleEmpty: 'sheet'`) the rings in the order of `fills`: its marks' own. */
  rings?: number[];
  fits: BlockFit[];
  /** Fields whose block was not found near its place: doubted whatever they read. */
  poor: Set<string>;
}

/** Every bubble field of a page, found near its place when the form asks (`alignBubbleBlocks`), measured. */
export function measureSheetBubbles(
  img: GreyImage,
  t: Matrix3,
  def: FormDefinition,
  aligned: AlignedBlocks,
  paper: number,
): SheetBubbles {
  const measures = aboveEmpty(
    aligned.fields,
    aligned.fields.map((f) => measureBubbles(img, t, f, paper)),
    def.bubbleEmpty,
  );
  const all = measures.flat();
  return {
    ...aligned,
    measures,
    fills: all.map((m) => m.fill),
    ...(def.bubbleEmpty === 'sheet' && { rings: all.map((m) => m.ring) }),
  };
}

export interface SheetBubbleStats {
  threshold: number;
  /** Typical darkness of an empty bubble on this sheet (print inside it, paper tone, noise). */
  emptyLevel: number;
  /**
   * The ring a mark of this sheet leaves around its bubble by itself (a pen filling a printed circle wider than
   * the layout's box); spill is counted above it. The empty level unless the sheet measures its own.
   */
  markRing: number;
  /**
   * Above this an unmarked bubble holds a faint mark or an erasure: the residue over the empty level, or on a
   * sheet that measures its own levels, beyond the scatter of its unmarked bubbles' fills (Tukey's fence)
   * where that is wider: a blurred 62-dpi scan's bubble is seven pixels across, its print and paper mixed.
   */
  faint: number;
  /** Above this an empty bubble's ring holds ink beside it: the spill over the empty level, or the same fence. */
  emptyRing: number;
}

/** Tukey's upper fence: above it a value stands out of the scatter of the others (none: no fence). */
function fence(values: number[]): number {
  if (values.length === 0) return Number.NEGATIVE_INFINITY;
  const [low, high] = [quantile(values, 0.25), quantile(values, 0.75)];
  return high + 1.5 * (high - low);
}

/**
 * The sheet's own split between empty and marked bubbles: the widest gap in the sorted fills (Otsu-like); on a
 * self-calibrated sheet (its rings given) the first gap as wide as the marginal band.
 */
export function sheetBubbleStats(
  fills: number[],
  thresholds: BubbleThresholds = BUBBLE_THRESHOLDS,
  ownRings?: number[],
): SheetBubbleStats {
  const sorted = [...fills].sort((a, b) => a - b);
  const emptyLevel = sorted[Math.floor(sorted.length * 0.25)] ?? 0;
  let threshold: number = thresholds.defaultThreshold;
  let bestGap = 0;
  const { minThreshold: min, maxThreshold: max } = thresholds;
  for (let i = 1; i < sorted.length; i++) {
    const lo = sorted[i - 1]!;
    const hi = sorted[i]!;
    // Self-calibrated, empty bubbles read about 0 and marks spread widely above (pencil, pen, ticks): the
    // split is the first clear gap above the empty ones, not the widest one among the marks, and a gap that
    // reaches into the allowed range splits there even if its middle lies below it.
    const mid = ownRings ? Math.max(min, Math.min(max, (lo + hi) / 2)) : (lo + hi) / 2;
    if (mid < min || mid > max || (ownRings && (hi <= min || lo >= max))) continue;
    if (hi - lo > bestGap) {
      bestGap = hi - lo;
      threshold = mid;
    }
    if (ownRings && bestGap >= thresholds.marginal) break;
  }
  // A gap narrower than the marginal band says nothing about this sheet; keep the default.
  if (bestGap < thresholds.marginal) threshold = thresholds.defaultThreshold;
  // A self-calibrated sheet (ownRings given, in the order of fills): the median ring of its marks.
  const marked = ownRings?.filter((_, i) => (fills[i] ?? 0) >= threshold) ?? [];
  const markRing = Math.max(emptyLevel, quantile(marked, 0.5));
  // A sheet measuring its own levels takes its unmarked bubbles' scatter as well (SheetBubbleStats).
  const unmarked = ownRings ? fills.flatMap((f, i) => (f < threshold ? [i] : [])) : [];
  const faint = Math.max(emptyLevel + thresholds.residue, fence(unmarked.map((i) => fills[i]!)));
  const emptyRing = Math.max(emptyLevel + thresholds.spill, fence(unmarked.map((i) => ownRings![i]!)));
  return { threshold, emptyLevel, markRing, faint, emptyRing };
}

/** The page's marked bubbles (read at the sheet's threshold), every field's: what a ring may take in. */
export function markedRects(
  fields: readonly BubblesInstance[],
  measures: readonly BubbleMeasure[][],
  stats: SheetBubbleStats,
): Rect[] {
  return fields.flatMap((f, i) => f.rects.filter((_, j) => (measures[i]?.[j]?.fill ?? 0) >= stats.threshold));
}

export function decideBubbles(
  field: BubblesInstance,
  measures: BubbleMeasure[],
  stats: SheetBubbleStats,
  thresholds: BubbleThresholds = BUBBLE_THRESHOLDS,
  /** The page's marked bubbles (`markedRects`); without them, this field's own. */
  marked?: readonly Rect[],
): RecognisedField {
  const { threshold } = stats;
  const doubt = new Set<DoubtReason>();
  const selected: string[] = [];
  let confidence = 1;
  // A ring that takes in a marked neighbour's box sees that mark, not ink beside its own bubble: a neighbour
  // in its row, or in the next row where a dense grid's rows are closer than a ring's reach.
  const near = marked ?? field.rects.filter((_, j) => (measures[j]?.fill ?? 0) >= threshold);
  const besideMark = (i: number) => {
    const a = field.rects[i];
    return a !== undefined && near.some((b) => b !== a && reachesRing(a, b));
  };
  measures.forEach((m, i) => {
    const distance = Math.abs(m.fill - threshold);
    if (distance < thresholds.marginal) doubt.add('marginal-mark');
    if (m.fill >= threshold) {
      selected.push(field.labels[i] ?? '');
      if (m.ring > stats.markRing + thresholds.spill && !besideMark(i)) doubt.add('ink-around-mark');
    } else if (m.fill > stats.faint) {
      doubt.add('erasure-or-faint-mark');
    } else if (m.ring > stats.emptyRing && !besideMark(i)) {
      // A mark beside an empty bubble: a tick off its centre, or the layout a little off where it is.
      doubt.add('ink-around-mark');
    }
    confidence = Math.min(confidence, Math.min(1, distance / (2 * thresholds.marginal)));
  });
  if (!field.multiple && selected.length > 1) doubt.add('multiple-marks');
  if (doubt.size > 0) confidence = Math.min(confidence, DOUBTED_MAX_CONFIDENCE);
  return { value: selected.join(''), confidence: round3(confidence), doubt: [...doubt] };
}

export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
