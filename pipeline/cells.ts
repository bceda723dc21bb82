/**
 * Character-cell fields: one hand-printed symbol per cell, read by the cell classifier within the field's
 * allowed symbols, and the answer decoded as a whole under its task's type when that is known (answers.ts).
 * Doubts, naming the cells: a character below the accept threshold, a homoglyph whose script the answer does
 * not settle, an answer not of its type; and for the field, a gap inside the answer and writing that ignores
 * the cells (allowed on EGE AS1 for long answers, but then cell-by-cell reading is meaningless).
 */

import type { AnswerType } from '../forms/answer-types.ts';
import type { CellsInstance, FormDefinition, LinkInstance, Rect } from '../forms/definitions.ts';
import { type DecodedAnswer, decodeAnswer } from './answers.ts';
import { round3 } from './bubbles.ts';
import { loadCharacterModel } from './character-model.ts';
import { MIN_CONTRAST } from './character-tile.ts';
import { BLANK_READ, type CharacterRead, readCharacter, resolveScripts } from './characters.ts';
import type { Matrix3 } from './geometry.ts';
import { type GreyImage, sampleBilinear } from './image.ts';
import { type CellDoubt, DOUBTED_MAX_CONFIDENCE, type DoubtReason, type RecognisedField } from './result.ts';
import { sampleRect } from './sampling.ts';

/** Cells are sampled at this resolution whatever the scan's dpi (≈ 254 dpi). */
export const CELL_PX_PER_MM = 10;

export const CELL_THRESHOLDS = {
  /** Ink share in the gap between two cells above which the gap counts as written over. */
  gapInk: 0.06,
  /** This many written-over gaps mean the answer ignores the cells. */
  gapsForOverflow: 2,
} as const;

/** How far the glyph crop reaches beyond the cell above and at the sides, mm: the outline is this far in. */
const CROP_MARGIN_MM = 0.2;

/** The crop a glyph may occupy: the cell, a little wider, and lower for commas that descend. */
function glyphRect(r: Rect): Rect {
  const m = CROP_MARGIN_MM;
  return { x: r.x - m, y: r.y - m, w: r.w + 2 * m, h: r.h + m + 0.6 };
}

function darkShare(tile: GreyImage, threshold: number): number {
  let n = 0;
  for (const v of tile.data) if (v < threshold) n++;
  return n / tile.data.length;
}

/** How many gaps between neighbouring cells carry ink: strokes that cross from one cell to the next. */
function writtenGaps(img: GreyImage, t: Matrix3, rects: Rect[], inkThreshold: number): number {
  let count = 0;
  for (let i = 1; i < rects.length; i++) {
    const a = rects[i - 1]!;
    const b = rects[i]!;
    const gap = b.x - (a.x + a.w);
    if (gap < 0.5) continue;
    const tile = sampleRect(
      img,
      t,
      { x: a.x + a.w + 0.2, y: a.y + a.h * 0.2, w: gap - 0.4, h: a.h * 0.6 },
      CELL_PX_PER_MM,
    );
    if (darkShare(tile, inkThreshold) > CELL_THRESHOLDS.gapInk) count++;
  }
  return count;
}

/**
 * A cheap look before the full read: samples the cell's inside every 0.3 mm (finer than any pen stroke) and
 * reports whether anything is darker than ink must be. Most cells on a sheet are empty, and this spares them
 * the full-resolution crop and the classifier.
 */
function mayHoldInk(img: GreyImage, t: Matrix3, r: Rect, inkBelow: number): boolean {
  const step = 0.3;
  const inset = 0.4;
  const [a, b, c, d, e, f, g, h, k] = t;
  // Below the cell too: a comma may sit on or under its bottom edge.
  for (let y = r.y + inset; y <= r.y + r.h + 0.6; y += step) {
    for (let x = r.x + inset; x <= r.x + r.w - inset; x += step) {
      const w = g * x + h * y + k;
      if (sampleBilinear(img, (a * x + b * y + c) / w - 0.5, (d * x + e * y + f) / w - 0.5) < inkBelow)
        return true;
    }
  }
  return false;
}

/**
 * An answer of no known type: each homoglyph settled by the script of the whole answer (resolveScripts), each
 * character doubtful below `accept`; the answer's probability is the product of its characters'.
 */
function freeAnswer(raw: CharacterRead[], accept: number): Omit<DecodedAnswer, 'value'> {
  const reads = resolveScripts(raw);
  const cells: CellDoubt[] = [];
  let probability = 1;
  reads.forEach((r, i) => {
    if (r.blank) return;
    probability *= r.confidence;
    if (r.confidence >= accept) return;
    const cell = i + 1;
    if (raw[i]!.homoglyphs && r.confidence === 0)
      cells.push({ cell, reason: 'ambiguous-script', detail: `${raw[i]!.homoglyphs}?` });
    else
      cells.push({
        cell,
        reason: 'low-confidence-character',
        detail: `${r.symbol} at ${Math.round(r.confidence * 100)}%`,
      });
  });
  return { reads, probability, cells };
}

/**
 * What a field's characters are accepted at: the form's threshold, tuned on handwriting; but a pre-printed
 * field (an AS1's subject) is print, read at the model's own, so that a threshold strict enough for real hands
 * does not leave the subject, and with it every answer's type, in doubt.
 */
export function fieldAccept(def: FormDefinition, field: CellsInstance | LinkInstance): number {
  const own = loadCharacterModel().header.acceptThreshold;
  return field.kind === 'cells' && field.preprinted ? own : (def.thresholds.characterAccept ?? own);
}

export interface CellsReading {
  field: RecognisedField;
  reads: CharacterRead[];
}

export function readCells(
  img: GreyImage,
  t: Matrix3,
  field: CellsInstance | LinkInstance,
  paper: number,
  /** Least confidence accepted; default: the character model's. */
  accept = loadCharacterModel().header.acceptThreshold,
  /** The answer's type when its task's is known: the answer is decoded as a whole under it. */
  type?: AnswerType,
): CellsReading {
  const inkBelow = paper - MIN_CONTRAST;
  const raw = field.rects.map((r) =>
    mayHoldInk(img, t, r, inkBelow)
      ? readCharacter(sampleRect(img, t, glyphRect(r), CELL_PX_PER_MM), field.allowed, {
          pxPerMm: CELL_PX_PER_MM,
          outlineMm: CROP_MARGIN_MM,
        })
      : BLANK_READ,
  );
  const { reads, probability, cells } =
    type && type !== 'free' ? decodeAnswer(raw, type, accept) : freeAnswer(raw, accept);
  const doubt = new Set<DoubtReason>(cells.map((c) => c.reason));
  const filled = reads.map((r) => !r.blank);
  const last = filled.lastIndexOf(true);
  const first = filled.indexOf(true);
  if (first > 0 || filled.slice(0, last + 1).includes(false)) doubt.add('gap-in-answer');
  let confidence = probability;
  if (field.kind === 'cells' && field.mayOverflow && last >= 0) {
    if (writtenGaps(img, t, field.rects, paper * 0.6) >= CELL_THRESHOLDS.gapsForOverflow)
      doubt.add('written-across-cells');
  }
  const value = reads
    .slice(0, last + 1)
    .map((r) => r.symbol)
    .join('');
  // The comma and minus classes are small marks, as are specks: an answer made of nothing else is not read.
  if (value !== '' && !/[\p{L}\p{N}]/u.test(value)) doubt.add('marks-only');
  if (doubt.size > 0) confidence = Math.min(confidence, DOUBTED_MAX_CONFIDENCE);
  return {
    field: { value, confidence: round3(confidence), doubt: [...doubt], ...(cells.length > 0 && { cells }) },
    reads,
  };
}
