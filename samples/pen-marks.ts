/**
 * Small pen marks as participants write them in an answer cell: the decimal comma and the minus sign. The
 * stroke font (glyphs.ts) scales every symbol to a digit's height and centres it; real commas are not small
 * digits. A comma is a short tick, a dot with a tail, or a tick with a hook, 1-2.5 mm tall, at or below the
 * baseline of the digits beside it and often below the cell; a minus is a short bar near mid-height. The pen
 * is 0.3-0.7 mm and its pressure changes along the stroke (a heavy start, a thin tail).
 */
import { type Point, rasterizeStrokes } from './glyphs.ts';
import type { Rng } from './rng.ts';

/** A pen mark's symbols. */
export const PEN_MARK_SYMBOLS = ',-';

/** One round-capped piece of a stroke, in mm from the cell's top-left corner; pressure varies piece by piece. */
export interface PenDab {
  from: Point;
  to: Point;
  widthMm: number;
}

/** Lowest a comma reaches below the cell, mm: the reader's crop ends 0.8 mm below it (pipeline/cells.ts). */
const MAX_DESCENT_MM = 0.7;

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/**
 * A stroke along `points` whose width goes from `w0` to `w1` (mm), as capsules: the caps overlap at the joints
 * the way ink pools where a pen slows.
 */
function taper(points: Point[], w0: number, w1: number): PenDab[] {
  const dabs: PenDab[] = [];
  for (let i = 1; i < points.length; i++) {
    const t = (i - 0.5) / (points.length - 1);
    dabs.push({ from: points[i - 1] as Point, to: points[i] as Point, widthMm: w0 + (w1 - w0) * t });
  }
  return dabs;
}

/** A quadratic curve from a to b bowing `bow` mm to the right of the direction of travel, in n pieces. */
function curve(a: Point, b: Point, bow: number, n = 6): Point[] {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy) || 1;
  // Right of travel on screen (y down) is (-dy, dx).
  const c: Point = [(a[0] + b[0]) / 2 - (dy / len) * bow * 2, (a[1] + b[1]) / 2 + (dx / len) * bow * 2];
  const pts: Point[] = [];
  for (let k = 0; k <= n; k++) {
    const t = k / n;
    const u = 1 - t;
    pts.push([
      u * u * a[0] + 2 * u * t * c[0] + t * t * b[0],
      u * u * a[1] + 2 * u * t * c[1] + t * t * b[1],
    ]);
  }
  return pts;
}

/** A pen comma in a cell of `cellW` x `cellH` mm. `penMm` is the writer's pen (default: a random one). */
export function penComma(cellW: number, cellH: number, rng: Rng, penMm = rng.range(0.3, 0.7)): PenDab[] {
  const height = rng.range(1.0, 2.5);
  // The digits' baseline sits about 1.1 mm above the cell's bottom: a comma ends near it or below the cell.
  const bottom = Math.min(cellH + MAX_DESCENT_MM, cellH + rng.range(-1.4, 0.7));
  const top = Math.max(cellH * 0.45, bottom - height);
  const x = clamp(cellW / 2 + rng.normal(-0.15, 0.5), 0.9, cellW - 0.9);
  // The tail runs down and to the left, at 5-50 degrees from the vertical.
  const lean = (rng.range(5, 50) * Math.PI) / 180;
  const end: Point = [x - Math.tan(lean) * (bottom - top), bottom];
  // Pressure: a heavier start (never past the widest pen's line) and a thin lift-off.
  const heavy = Math.min(0.75, penMm * rng.range(0.9, 1.3));
  const thin = penMm * rng.range(0.35, 0.9);
  const kind = rng.next();
  if (kind < 0.35) {
    // A plain tick, straight or slightly bowed.
    return taper(curve([x, top], end, rng.range(-0.1, 0.35)), heavy, thin);
  }
  if (kind < 0.7) {
    // A dot with a tail: the pen presses a blob, then flicks down-left out of it.
    const r = rng.range(0.25, 0.6);
    const centre: Point = [x, top + r];
    const blob: PenDab[] = [];
    for (let a = 0; a < 360; a += 60) {
      const rad = (a * Math.PI) / 180;
      const p: Point = [centre[0] + 0.4 * r * Math.cos(rad), centre[1] + 0.4 * r * Math.sin(rad)];
      blob.push({ from: centre, to: p, widthMm: Math.max(penMm, 1.2 * r) });
    }
    const start: Point = [centre[0] + 0.3 * r, centre[1] + 0.6 * r];
    const tailEnd: Point = [end[0], Math.max(end[1], start[1] + 0.4)];
    return [...blob, ...taper(curve(start, tailEnd, rng.range(0, 0.3)), penMm, thin)];
  }
  if (kind < 0.85) {
    // A hooked tick: a short lead-in from the left before the pen turns down.
    const lead: Point = [x - rng.range(0.2, 0.45), top + rng.range(0, 0.35)];
    return [
      ...taper([lead, [x, top]], thin, heavy),
      ...taper(curve([x, top], end, rng.range(0, 0.3)), heavy, thin),
    ];
  }
  // A curled tail: down first, then sweeping left.
  const mid: Point = [x + rng.range(0, 0.15), top + (bottom - top) * rng.range(0.45, 0.7)];
  const curl: Point = [mid[0] - rng.range(0.4, 0.9), bottom];
  return [
    ...taper(curve([x, top], mid, 0.05, 3), heavy, penMm),
    ...taper(curve(mid, curl, -0.15, 4), penMm, thin),
  ];
}

/** A pen minus in a cell of `cellW` x `cellH` mm: a short bar near mid-height, a little tilted or sagging. */
export function penMinus(cellW: number, cellH: number, rng: Rng, penMm = rng.range(0.3, 0.7)): PenDab[] {
  const length = rng.range(1.2, 3.6);
  const cx = clamp(cellW / 2 + rng.normal(-0.1, 0.35), length / 2 + 0.3, cellW - length / 2 - 0.3);
  const cy = cellH / 2 + clamp(rng.normal(0.1, 0.45), -1.3, 1.3);
  const tilt = (clamp(rng.normal(0, 4), -10, 10) * Math.PI) / 180;
  const dx = (Math.cos(tilt) * length) / 2;
  const dy = (Math.sin(tilt) * length) / 2;
  const bar = curve([cx - dx, cy - dy], [cx + dx, cy + dy], rng.range(-0.12, 0.12));
  const dabs = taper(bar, penMm * rng.range(0.8, 1.3), penMm * rng.range(0.5, 1.1));
  // Sometimes the pen drags a little as it lifts.
  if (rng.chance(0.2)) {
    const last = bar[bar.length - 1] as Point;
    dabs.push({
      from: last,
      to: [last[0] + rng.range(-0.15, 0.1), last[1] + rng.range(0.15, 0.35)],
      widthMm: penMm * 0.5,
    });
  }
  return dabs;
}

/** A pen mark for `symbol` (',' or '-'). */
export function penMark(symbol: string, cellW: number, cellH: number, rng: Rng, penMm?: number): PenDab[] {
  if (symbol === ',') return penComma(cellW, cellH, rng, penMm);
  if (symbol === '-' || symbol === '–') return penMinus(cellW, cellH, rng, penMm);
  throw new Error(`no pen mark for '${symbol}'`);
}

/**
 * Rasterises dabs into a greyscale tile (255 paper, darker of old and new): the cell's top-left corner at
 * pixel (ox, oy), `pxPerMm` pixels per mm.
 */
export function rasterizePenMark(
  dabs: PenDab[],
  pxPerMm: number,
  ox: number,
  oy: number,
  width: number,
  height: number,
  out?: Uint8Array,
): Uint8Array {
  let tile = out ?? new Uint8Array(width * height).fill(255);
  for (const d of dabs) {
    const stroke: Point[] = [
      [d.from[0] * pxPerMm, d.from[1] * pxPerMm],
      [d.to[0] * pxPerMm, d.to[1] * pxPerMm],
    ];
    tile = rasterizeStrokes([stroke], Math.max(1, d.widthMm * pxPerMm), width, height, ox, oy, tile);
  }
  return tile;
}
