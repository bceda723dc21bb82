/**
 * The digits printed under an EAN-13, in the symbol's own orientation: where they go, their shapes, and a
 * reader that matches them against those very shapes. The renderer draws them with drawPrintedDigits; the
 * pipeline reads them when the bars are too coarse to decode (a 78-dpi scan gives 0.5 mm modules 1.5 px).
 */
import type { Rect } from '../forms/definitions.ts';
import type { Matrix3 } from './geometry.ts';
import type { GreyImage } from './image.ts';
import { sampleRect, type TileRotation } from './sampling.ts';

/** Below the bars (symbol frame): a gap, then a row of 13 digits spread evenly over the symbol's length. */
const GAP_MM = 0.6;
export const PRINTED_DIGIT_HEIGHT_MM = 2.8;
const DIGIT_WIDTH_MM = 1.7;
const STROKE_MM = 0.4;
/** The reader samples at this resolution and looks this far around each digit's place for registration slack. */
const READ_PX_PER_MM = 6;
const SLACK_MM = 0.5;
/** A digit is read when its best match is this good and this far ahead of the next: a blurred 2 and 7 stay
 * within 0.1 of each other at 78 dpi, and the check digit catches any single wrong digit. */
const MIN_SCORE = 0.55;
const MIN_MARGIN = 0.05;

type Stroke = [number, number][];

/**
 * Digit shapes in a unit box (x right, y down), angular so that no two differ by one short stroke: a slashed
 * zero against the 8, a 7 with an upright stem against the 2 and 9, a flagged 1 with a foot.
 */
const SHAPES: Record<string, Stroke[]> = {
  '0': [
    [
      [0.3, 0],
      [0.7, 0],
      [1, 0.25],
      [1, 0.75],
      [0.7, 1],
      [0.3, 1],
      [0, 0.75],
      [0, 0.25],
      [0.3, 0],
    ],
    [
      [0.8, 0.2],
      [0.2, 0.8],
    ],
  ],
  '1': [
    [
      [0.15, 0.3],
      [0.55, 0],
      [0.55, 1],
    ],
    [
      [0.15, 1],
      [0.95, 1],
    ],
  ],
  '2': [
    [
      [0, 0.3],
      [0.15, 0.05],
      [0.5, 0],
      [0.85, 0.05],
      [1, 0.3],
      [0.9, 0.5],
      [0, 1],
      [1, 1],
    ],
  ],
  '3': [
    [
      [0, 0],
      [1, 0],
      [0.45, 0.42],
      [0.75, 0.42],
      [1, 0.62],
      [1, 0.82],
      [0.8, 1],
      [0, 1],
    ],
  ],
  '4': [
    [
      [0.75, 1],
      [0.75, 0],
      [0, 0.68],
      [1, 0.68],
    ],
  ],
  '5': [
    [
      [1, 0],
      [0.05, 0],
      [0, 0.45],
      [0.75, 0.42],
      [1, 0.62],
      [1, 0.82],
      [0.8, 1],
      [0, 1],
    ],
  ],
  '6': [
    [
      [0.9, 0],
      [0.35, 0],
      [0, 0.4],
      [0, 1],
      [1, 1],
      [1, 0.5],
      [0, 0.5],
    ],
  ],
  '7': [
    [
      [0, 0],
      [1, 0],
      [0.45, 0.55],
      [0.45, 1],
    ],
  ],
  '8': [
    [
      [0.1, 0],
      [0.9, 0],
      [0.9, 0.45],
      [0.1, 0.45],
      [0.1, 0],
    ],
    [
      [0, 0.45],
      [1, 0.45],
      [1, 1],
      [0, 1],
      [0, 0.45],
    ],
  ],
  '9': [
    [
      [0.1, 1],
      [0.65, 1],
      [1, 0.6],
      [1, 0],
      [0, 0],
      [0, 0.5],
      [1, 0.5],
    ],
  ],
};

export interface EanSymbol {
  x: number;
  y: number;
  w: number;
  h: number;
  rotation?: TileRotation;
}

/** The symbol's bars plus its digit row, on the page: the digits lie beyond the symbol's own bottom edge. */
export function printedDigitsArea(b: EanSymbol): Rect {
  const d = GAP_MM + PRINTED_DIGIT_HEIGHT_MM;
  switch (b.rotation ?? 0) {
    case 0:
      return { x: b.x, y: b.y, w: b.w, h: b.h + d };
    case 90:
      return { x: b.x, y: b.y, w: b.w + d, h: b.h };
    case 180:
      return { x: b.x, y: b.y - d, w: b.w, h: b.h + d };
    case 270:
      return { x: b.x - d, y: b.y, w: b.w + d, h: b.h };
  }
}

/** Length and bar height of the symbol in its own frame. */
function symbolFrame(b: EanSymbol): { length: number; bars: number } {
  const turned = b.rotation === 90 || b.rotation === 270;
  return { length: turned ? b.h : b.w, bars: turned ? b.w : b.h };
}

/** Centre (symbol frame, mm from the area's top-left) of digit i of 13. */
function digitCentre(b: EanSymbol, i: number): [number, number] {
  const { length, bars } = symbolFrame(b);
  return [((i + 0.5) * length) / 13, bars + GAP_MM + PRINTED_DIGIT_HEIGHT_MM / 2];
}

/** Ink coverage (0..1) of digit `ch` centred at (cx, cy) px, `pxPerMm` px per mm, max-combined into `out`. */
function inkDigit(
  out: Float32Array,
  width: number,
  height: number,
  ch: string,
  cx: number,
  cy: number,
  pxPerMm: number,
): void {
  const shape = SHAPES[ch];
  if (!shape) throw new RangeError(`no printed shape for '${ch}'`);
  const w = DIGIT_WIDTH_MM * pxPerMm;
  const h = PRINTED_DIGIT_HEIGHT_MM * pxPerMm;
  const r = Math.max(0.5, (STROKE_MM * pxPerMm) / 2);
  // Flat segment ends, indexed: this runs cold at start-up (the templates), where destructuring is slow.
  const segments: number[] = [];
  for (const s of shape)
    for (let k = 1; k < s.length; k++) {
      const [u0, v0] = s[k - 1] as [number, number];
      const [u1, v1] = s[k] as [number, number];
      segments.push(cx + (u0 - 0.5) * w, cy + (v0 - 0.5) * h, cx + (u1 - 0.5) * w, cy + (v1 - 0.5) * h);
    }
  const x0 = Math.max(0, Math.floor(cx - w / 2 - r - 1));
  const x1 = Math.min(width - 1, Math.ceil(cx + w / 2 + r + 1));
  const y0 = Math.max(0, Math.floor(cy - h / 2 - r - 1));
  const y1 = Math.min(height - 1, Math.ceil(cy + h / 2 + r + 1));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      let d = Number.POSITIVE_INFINITY;
      for (let k = 0; k < segments.length; k += 4) {
        const ax = segments[k] as number;
        const ay = segments[k + 1] as number;
        const ex = (segments[k + 2] as number) - ax;
        const ey = (segments[k + 3] as number) - ay;
        const len2 = ex * ex + ey * ey;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / len2)) : 0;
        d = Math.min(d, Math.hypot(px - ax - t * ex, py - ay - t * ey));
      }
      const a = Math.max(0, Math.min(1, r + 0.5 - d));
      const i = y * width + x;
      if (a > (out[i] as number)) out[i] = a;
    }
  }
}

/**
 * Ink of the 13 digits of `text` in the symbol frame of `printedDigitsArea(b)` (upright: the area turned by
 * the symbol's rotation), at `pxPerMm`; the renderer turns it onto the page.
 */
export function printedDigitsInk(
  b: EanSymbol,
  text: string,
  pxPerMm: number,
): { width: number; height: number; ink: Float32Array } {
  const { length, bars } = symbolFrame(b);
  const width = Math.round(length * pxPerMm);
  const height = Math.round((bars + GAP_MM + PRINTED_DIGIT_HEIGHT_MM) * pxPerMm);
  const ink = new Float32Array(width * height);
  [...text].forEach((ch, i) => {
    const [cx, cy] = digitCentre(b, i);
    inkDigit(ink, width, height, ch, cx * pxPerMm, cy * pxPerMm, pxPerMm);
  });
  return { width, height, ink };
}

let templates: { size: [number, number]; ink: Float32Array[] } | undefined;

/**
 * Templates at the reader's resolution: each digit alone in a window with the slack around it. Made on the
 * first read: most pages of most forms decode their bars and never need them.
 */
function digitTemplates(): { size: [number, number]; ink: Float32Array[] } {
  if (templates) return templates;
  const w = Math.round((DIGIT_WIDTH_MM + 0.6) * READ_PX_PER_MM);
  const h = Math.round((PRINTED_DIGIT_HEIGHT_MM + 0.6) * READ_PX_PER_MM);
  const ink = [...'0123456789'].map((ch) => {
    const out = new Float32Array(w * h);
    inkDigit(out, w, h, ch, w / 2, h / 2, READ_PX_PER_MM);
    // Zero mean and unit norm: its dot product with a window, over the window's spread, is their correlation.
    let mean = 0;
    for (const x of out) mean += x;
    mean /= out.length;
    let norm = 0;
    for (let i = 0; i < out.length; i++) {
      out[i] = (out[i] as number) - mean;
      norm += (out[i] as number) ** 2;
    }
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / Math.sqrt(norm);
    return out;
  });
  templates = { size: [w, h], ink };
  return templates;
}

export interface PrintedDigitsRead {
  /** The best digit at each of the 13 places. */
  text: string;
  /** Every digit matched well and clearly ahead of the next best shape. */
  confident: boolean;
}

/**
 * Reads the 13 printed digits of an EAN-13 by matching each place against the printed shapes (normalised
 * correlation, so scan tone and contrast do not matter), within a little registration slack.
 */
export function readPrintedDigits(img: GreyImage, t: Matrix3, b: EanSymbol): PrintedDigitsRead {
  const tile = sampleRect(img, t, printedDigitsArea(b), READ_PX_PER_MM, b.rotation ?? 0);
  const digits = digitTemplates();
  const [tw, th] = digits.size;
  const n = tw * th;
  const slack = Math.round(SLACK_MM * READ_PX_PER_MM);
  const window = new Float32Array(n);
  const best = new Float32Array(10);
  let text = '';
  let confident = true;
  for (let i = 0; i < 13; i++) {
    const [cx, cy] = digitCentre(b, i);
    const left = Math.round(cx * READ_PX_PER_MM - tw / 2);
    const top = Math.round(cy * READ_PX_PER_MM - th / 2);
    best.fill(-1);
    for (let dy = -slack; dy <= slack; dy++) {
      for (let dx = -slack; dx <= slack; dx++) {
        let sum = 0;
        let sq = 0;
        for (let y = 0; y < th; y++) {
          const row = Math.min(tile.height - 1, Math.max(0, top + dy + y)) * tile.width;
          for (let x = 0; x < tw; x++) {
            const v = 255 - (tile.data[row + Math.min(tile.width - 1, Math.max(0, left + dx + x))] as number);
            window[y * tw + x] = v;
            sum += v;
            sq += v * v;
          }
        }
        // The templates have zero mean, so the window's mean drops out of the dot product.
        const spread = Math.sqrt(Math.max(0, sq - (sum * sum) / n));
        if (spread === 0) continue;
        for (let d = 0; d < 10; d++) {
          const tpl = digits.ink[d] as Float32Array;
          let s = 0;
          for (let k = 0; k < n; k++) s += (tpl[k] as number) * (window[k] as number);
          if (s / spread > (best[d] as number)) best[d] = s / spread;
        }
      }
    }
    let first = 0;
    for (let d = 1; d < 10; d++) if ((best[d] as number) > (best[first] as number)) first = d;
    let second = first === 0 ? 1 : 0;
    for (let d = 0; d < 10; d++)
      if (d !== first && (best[d] as number) > (best[second] as number)) second = d;
    text += String(first);
    if (
      (best[first] as number) < MIN_SCORE ||
      (best[first] as number) - (best[second] as number) < MIN_MARGIN
    )
      confident = false;
  }
  return { text, confident };
}
