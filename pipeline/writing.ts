/**
 * Free-writing areas (AS2): written or blank. A blank answer sheet is often struck through with a "Z" by the
 * organiser, so ink alone does not mean an answer: writing is many separate strokes along lines, a strike is
 * one to three long strokes spanning the area.
 */
import type { WritingInstance } from '../forms/definitions.ts';
import { round3 } from './bubbles.ts';
import { darkComponents } from './components.ts';
import type { Matrix3 } from './geometry.ts';
import type { GreyImage } from './image.ts';
import type { RecognisedField } from './result.ts';
import { sampleRect } from './sampling.ts';

export const WRITING_PX_PER_MM = 3;

export const WRITING_THRESHOLDS = {
  /** Components smaller than this (mm, longest side) are dust. */
  minStrokeMm: 2,
  /** At least this many strokes make writing. */
  writtenStrokes: 6,
  /** A strike: at most this many strokes, together spanning most of the area. */
  strikeStrokes: 3,
  strikeSpan: 0.5,
  /** Widest a scanner streak is taken to be, mm. */
  streakMm: 1.5,
  /** Inset from the frame, mm, so the printed frame is not counted. */
  insetMm: 1.5,
} as const;

export function readWriting(
  img: GreyImage,
  t: Matrix3,
  field: WritingInstance,
  paper: number,
): RecognisedField {
  const inset = WRITING_THRESHOLDS.insetMm;
  const a = field.area;
  const tile = sampleRect(
    img,
    t,
    { x: a.x + inset, y: a.y + inset, w: a.w - 2 * inset, h: a.h - 2 * inset },
    WRITING_PX_PER_MM,
  );
  const minPx = WRITING_THRESHOLDS.minStrokeMm * WRITING_PX_PER_MM;
  // Scanner streaks run the whole height of the area, thin: they are no one's writing.
  const streakPx = WRITING_THRESHOLDS.streakMm * WRITING_PX_PER_MM;
  const strokes = darkComponents(tile, paper * 0.6).filter(
    (c) =>
      Math.max(c.x1 - c.x0, c.y1 - c.y0) + 1 >= minPx &&
      !(c.y1 - c.y0 + 1 >= 0.9 * tile.height && c.x1 - c.x0 + 1 <= streakPx),
  );
  if (strokes.length === 0) return { value: '', confidence: 1, doubt: [] };
  if (strokes.length >= WRITING_THRESHOLDS.writtenStrokes) {
    return {
      value: 'written',
      confidence: round3(Math.min(1, strokes.length / (2 * WRITING_THRESHOLDS.writtenStrokes))),
      doubt: [],
    };
  }
  const spanX = (Math.max(...strokes.map((c) => c.x1)) - Math.min(...strokes.map((c) => c.x0))) / tile.width;
  const spanY = (Math.max(...strokes.map((c) => c.y1)) - Math.min(...strokes.map((c) => c.y0))) / tile.height;
  if (
    strokes.length <= WRITING_THRESHOLDS.strikeStrokes &&
    Math.min(spanX, spanY) >= WRITING_THRESHOLDS.strikeSpan
  ) {
    return { value: '', confidence: 0.9, doubt: [] };
  }
  return { value: 'written', confidence: 0.3, doubt: ['uncertain-writing'] };
}
