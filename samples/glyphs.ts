/**
 * Synthetic hand-printed capitals and digits: a monoline (round-cap) stroke font modelled on the sample strip
 * of EGE answer sheet 1 (spec §4.3, §10), plus per-glyph style variation, placement and a fast rasteriser.
 *
 * Font coordinates: x 0 = left and 1 = right of the glyph box, y 0 = cap top and 1 = baseline (y grows down).
 * The box bounds the stroke skeleton; ink reaches half a stroke width beyond it. Descenders (comma, Д, Ц, Щ, Q)
 * go below 1.
 */
import type { Rng } from './rng.ts';

/** [x, y], y grows downwards. */
export type Point = [number, number];
type Stroke = Point[];
type Strokes = Stroke[];

interface Glyph {
  /** Natural box width relative to its height. */
  aspect: number;
  variants: Strokes[];
}

/** Polyline from flat x, y pairs (flat so the font table stays compact). */
function line(...xy: number[]): Stroke {
  const pts: Stroke = [];
  for (let i = 0; i + 1 < xy.length; i += 2) pts.push([xy[i] ?? 0, xy[i + 1] ?? 0]);
  return pts;
}

/** Angular step of arcs: 18 segments per full turn keeps a 48 px O visibly round (chord sag < 0.4 px). */
const ARC_STEP_DEG = 20;

/** Elliptical arc; angles in degrees measured clockwise on screen from +x, so 270 is the top and 90 the bottom. */
function arc(cx: number, cy: number, rx: number, ry: number, fromDeg: number, toDeg: number): Stroke {
  const n = Math.max(2, Math.ceil(Math.abs(toDeg - fromDeg) / ARC_STEP_DEG));
  const pts: Stroke = [];
  for (let i = 0; i <= n; i++) {
    const a = ((fromDeg + ((toDeg - fromDeg) * i) / n) * Math.PI) / 180;
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return pts;
}

/** Joins pieces into one stroke, dropping the duplicate point where pieces meet. */
function path(...parts: Stroke[]): Stroke {
  const out: Stroke = [];
  for (const part of parts) {
    for (const p of part) {
      const last = out[out.length - 1];
      if (!last || Math.abs(last[0] - p[0]) > 1e-9 || Math.abs(last[1] - p[1]) > 1e-9) out.push(p);
    }
  }
  return out;
}

const mapStrokes = (strokes: Strokes, f: (p: Point) => Point): Strokes => strokes.map((s) => s.map(f));

/** Squeezes a whole glyph into the sub-box [x0, x1] × [y0, y1] (e.g. Й's body under its breve). */
const inBox = (strokes: Strokes, x0: number, y0: number, x1: number, y1: number): Strokes =>
  mapStrokes(strokes, ([x, y]) => [x0 + x * (x1 - x0), y0 + y * (y1 - y0)]);
const mirrorX = (strokes: Strokes): Strokes => mapStrokes(strokes, ([x, y]) => [1 - x, y]);
const rotate180 = (strokes: Strokes): Strokes =>
  mapStrokes(strokes, ([x, y]) => [1 - x, 1 - y]).map((s) => s.reverse());

/** A dot is a very short stroke: the round caps turn it into a disc. */
const dot = (x: number, y: number): Stroke => line(x - 0.01, y, x + 0.01, y);

const glyph = (aspect: number, ...variants: Strokes[]): Glyph => ({ aspect, variants });

// Shapes shared between digits and the two alphabets. Ovals run counter-clockwise from the top, as most
// people write them.
const OVAL = [arc(0.5, 0.5, 0.5, 0.5, -90, -450)];
const C_ARC = [arc(0.54, 0.5, 0.48, 0.5, -40, -320)];
// The small step back between the bowls is the cusp a hand-drawn 3 has at its middle.
const ROUND_THREE = [path(arc(0.5, 0.25, 0.43, 0.25, 200, 460), arc(0.5, 0.745, 0.5, 0.255, 255, 510))];
const FLAT_THREE = [path(line(0.08, 0, 0.92, 0), arc(0.5, 0.71, 0.5, 0.29, 262, 510))];
const SIX = [path(arc(0.78, 0.68, 0.74, 0.68, 262, 180), arc(0.5, 0.69, 0.46, 0.31, 180, -170))];
const A = [line(0, 1, 0.5, 0, 1, 1), line(0.18, 0.64, 0.82, 0.64)];
const B = [
  line(0.12, 0, 0.12, 1),
  path(line(0.12, 0), arc(0.5, 0.235, 0.36, 0.235, -90, 90), line(0.12, 0.47)),
  path(line(0.12, 0.47), arc(0.55, 0.735, 0.4, 0.265, -90, 90), line(0.12, 1)),
];
const E = [line(0.9, 0, 0.12, 0, 0.12, 1, 0.9, 1), line(0.12, 0.5, 0.75, 0.5)];
const H = [line(0.1, 0, 0.1, 1), line(0.9, 0, 0.9, 1), line(0.1, 0.5, 0.9, 0.5)];
const CYR_I = [line(0.1, 0, 0.1, 1, 0.9, 0, 0.9, 1)];
const K = [line(0.12, 0, 0.12, 1), line(0.9, 0, 0.14, 0.56), line(0.38, 0.38, 0.94, 1)];
const K_ANGLE = [line(0.12, 0, 0.12, 1), line(0.9, 0, 0.14, 0.52, 0.92, 1)];
const M = [line(0.04, 1, 0.1, 0, 0.5, 0.7, 0.9, 0, 0.96, 1)];
const P_BOWL = path(line(0.12, 1, 0.12, 0, 0.5, 0), arc(0.5, 0.27, 0.38, 0.27, -90, 90), line(0.12, 0.54));
const T = [line(0, 0, 1, 0), line(0.5, 0, 0.5, 1)];
const X = [line(0.02, 0, 0.98, 1), line(0.98, 0, 0.02, 1)];
const SOFT_SIGN = [
  line(0.14, 0, 0.14, 1),
  path(line(0.14, 0.46), arc(0.5, 0.73, 0.44, 0.27, -90, 90), line(0.14, 1)),
];
const Z = [line(0.04, 0, 0.96, 0, 0.04, 1, 0.96, 1)];

// Aspects follow §10: digits about 0.6 of their height, 1 about 0.3, the wide letters 0.85-0.95.
const GLYPHS: Record<string, Glyph> = {
  '0': glyph(0.52, OVAL),
  '1': glyph(0.32, [line(0.5, 0, 0.5, 1)], [line(0.05, 0.3, 0.7, 0, 0.7, 1)]),
  '2': glyph(0.6, [path(arc(0.5, 0.28, 0.47, 0.28, 195, 400), line(0.02, 1, 1, 1))]),
  '3': glyph(0.58, ROUND_THREE, FLAT_THREE),
  // Open at the top as on the sample strip, and the closed form many people write.
  '4': glyph(
    0.62,
    [line(0.3, 0, 0.02, 0.66, 1, 0.66), line(0.75, 0.05, 0.75, 1)],
    [line(0.75, 1, 0.75, 0, 0, 0.68, 1, 0.68)],
  ),
  '5': glyph(0.58, [path(line(0.88, 0, 0.18, 0, 0.12, 0.46), arc(0.47, 0.69, 0.46, 0.31, 225, 510))]),
  '6': glyph(0.58, SIX),
  '7': glyph(
    0.6,
    [line(0.02, 0, 0.98, 0, 0.4, 1), line(0.42, 0.52, 0.92, 0.52)],
    [line(0.02, 0, 0.98, 0, 0.4, 1)],
  ),
  '8': glyph(0.58, [arc(0.5, 0.245, 0.4, 0.245, -90, -450), arc(0.5, 0.735, 0.48, 0.265, -90, -450)]),
  '9': glyph(0.58, rotate180(SIX), [path(arc(0.5, 0.31, 0.46, 0.31, 0, -360), line(0.9, 1))]),

  А: glyph(0.72, A),
  Б: glyph(0.62, [
    line(0.9, 0, 0.12, 0, 0.12, 1),
    path(line(0.12, 0.44), arc(0.52, 0.72, 0.42, 0.28, -90, 90), line(0.12, 1)),
  ]),
  В: glyph(0.6, B),
  Г: glyph(0.52, [line(0.12, 1, 0.12, 0, 0.95, 0)]),
  Д: glyph(0.72, [
    line(0.08, 0.88, 0.2, 0.55, 0.26, 0.2, 0.28, 0, 0.84, 0, 0.84, 0.88),
    line(0, 1.1, 0, 0.88, 1, 0.88, 1, 1.1),
  ]),
  Е: glyph(0.55, E),
  Ё: glyph(0.55, [...inBox(E, 0, 0.22, 1, 1), dot(0.3, 0.04), dot(0.7, 0.04)]),
  Ж: glyph(0.9, [line(0.5, 0, 0.5, 1), ...X]),
  З: glyph(0.58, ROUND_THREE),
  И: glyph(0.66, CYR_I),
  Й: glyph(0.66, [...inBox(CYR_I, 0, 0.2, 1, 1), arc(0.5, 0, 0.2, 0.09, 180, 0)]),
  К: glyph(0.62, K, K_ANGLE),
  // Λ as on the sample strip, and the roofed form of the printed letter.
  Л: glyph(0.66, [line(0, 1, 0.5, 0, 1, 1)], [line(0.02, 1, 0.15, 0.85, 0.24, 0.4, 0.28, 0, 0.9, 0, 0.9, 1)]),
  М: glyph(0.85, M),
  Н: glyph(0.66, H),
  О: glyph(0.76, OVAL),
  П: glyph(0.66, [line(0.1, 1, 0.1, 0, 0.9, 0, 0.9, 1)]),
  Р: glyph(0.56, [P_BOWL]),
  С: glyph(0.62, C_ARC),
  Т: glyph(0.66, T),
  У: glyph(0.66, [line(0, 0, 0.69, 0.56), line(1, 0, 0.62, 0.72, 0.5, 0.88, 0.38, 0.97, 0.22, 1, 0.1, 0.98)]),
  Ф: glyph(0.85, [line(0.5, 0, 0.5, 1), arc(0.5, 0.45, 0.5, 0.27, -90, -450)]),
  Х: glyph(0.66, X),
  Ц: glyph(0.7, [line(0.1, 0, 0.1, 0.9, 0.84, 0.9, 0.84, 0), line(0.84, 0.9, 0.98, 0.9, 0.98, 1.12)]),
  Ч: glyph(0.62, [
    path(line(0.1, 0), arc(0.4, 0.28, 0.3, 0.24, 180, 90), line(0.88, 0.52)),
    line(0.88, 0, 0.88, 1),
  ]),
  Ш: glyph(0.9, [line(0.06, 0, 0.06, 1, 0.94, 1, 0.94, 0), line(0.5, 0, 0.5, 1)]),
  Щ: glyph(0.95, [
    line(0.06, 0, 0.06, 0.9, 0.86, 0.9, 0.86, 0),
    line(0.46, 0, 0.46, 0.9),
    line(0.86, 0.9, 0.98, 0.9, 0.98, 1.12),
  ]),
  Ъ: glyph(0.6, [
    line(0, 0, 0.32, 0, 0.32, 1),
    path(line(0.32, 0.46), arc(0.62, 0.73, 0.36, 0.27, -90, 90), line(0.32, 1)),
  ]),
  Ы: glyph(0.72, [...inBox(SOFT_SIGN, 0, 0, 0.66, 1), line(0.95, 0, 0.95, 1)]),
  Ь: glyph(0.5, SOFT_SIGN),
  Э: glyph(0.62, [...mirrorX(C_ARC), line(0.38, 0.5, 0.94, 0.5)]),
  Ю: glyph(0.92, [line(0.08, 0, 0.08, 1), line(0.08, 0.5, 0.34, 0.5), arc(0.66, 0.5, 0.32, 0.5, -90, -450)]),
  Я: glyph(0.58, [
    path(line(0.88, 1, 0.88, 0, 0.5, 0), arc(0.5, 0.27, 0.38, 0.27, -90, -270), line(0.88, 0.54)),
    line(0.52, 0.54, 0.08, 1),
  ]),

  A: glyph(0.72, A),
  B: glyph(0.6, B),
  C: glyph(0.62, C_ARC),
  D: glyph(0.64, [path(line(0.12, 1, 0.12, 0, 0.42, 0), arc(0.42, 0.5, 0.52, 0.5, -90, 90), line(0.12, 1))]),
  E: glyph(0.55, E),
  F: glyph(0.52, [line(0.9, 0, 0.12, 0, 0.12, 1), line(0.12, 0.48, 0.72, 0.48)]),
  G: glyph(0.66, [path(arc(0.53, 0.5, 0.47, 0.5, -40, -335), line(0.97, 0.54, 0.6, 0.54))]),
  H: glyph(0.66, H),
  I: glyph(0.34, [line(0.5, 0, 0.5, 1)], [line(0.1, 0, 0.9, 0), line(0.5, 0, 0.5, 1), line(0.1, 1, 0.9, 1)]),
  J: glyph(0.52, [path(line(0.92, 0, 0.92, 0.68), arc(0.5, 0.68, 0.42, 0.32, 0, 160))]),
  K: glyph(0.62, K, K_ANGLE),
  L: glyph(0.52, [line(0.12, 0, 0.12, 1, 0.88, 1)]),
  M: glyph(0.85, M),
  N: glyph(0.68, [line(0.1, 1, 0.1, 0, 0.9, 1, 0.9, 0)]),
  O: glyph(0.76, OVAL),
  P: glyph(0.56, [P_BOWL]),
  Q: glyph(0.76, [...OVAL, line(0.58, 0.7, 1, 1.08)]),
  R: glyph(0.6, [P_BOWL, line(0.42, 0.54, 0.92, 1)]),
  S: glyph(0.6, [path(arc(0.5, 0.25, 0.44, 0.25, -25, -270), arc(0.5, 0.75, 0.47, 0.25, -90, 155))]),
  T: glyph(0.66, T),
  U: glyph(0.64, [path(line(0.1, 0, 0.1, 0.62), arc(0.5, 0.62, 0.4, 0.38, 180, 0), line(0.9, 0))]),
  V: glyph(0.66, [line(0, 0, 0.5, 1, 1, 0)]),
  W: glyph(0.95, [line(0, 0, 0.24, 1, 0.5, 0.3, 0.76, 1, 1, 0)]),
  X: glyph(0.66, X),
  Y: glyph(0.66, [line(0, 0, 0.5, 0.52), line(1, 0, 0.5, 0.52, 0.5, 1)]),
  // Ƶ as on the sample strip, and the plain form.
  Z: glyph(0.62, [...Z, line(0.22, 0.5, 0.78, 0.5)], Z),
  // §10: the comma is a short tick at the bottom of its cell that often descends below it; the minus a bar at
  // mid-height about half as wide as a digit is tall.
  ',': glyph(0.25, [line(0.8, 0.7, 0.78, 0.85, 0.62, 1.02, 0.3, 1.2)]),
  '-': glyph(0.5, [line(0, 0.5, 1, 0.5)]),
};

/** Every supported character; '–' (en dash) is also accepted as an alias of '-'. */
export const GLYPH_CHARS = Object.keys(GLYPHS).join('');

function lookup(ch: string): Glyph {
  const g = GLYPHS[ch === '–' ? '-' : ch];
  if (!g) {
    const code = ch.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0') ?? '';
    throw new Error(`no glyph for character '${ch}' (U+${code})`);
  }
  return g;
}

export function glyphVariantCount(ch: string): number {
  return lookup(ch).variants.length;
}

export function glyphAspect(ch: string): number {
  return lookup(ch).aspect;
}

/** A fresh copy of one variant's strokes in font units (see the module comment). */
export function glyphStrokes(ch: string, variant = 0): Point[][] {
  const g = lookup(ch);
  const strokes = g.variants[variant];
  if (!strokes) throw new RangeError(`glyph '${ch}' has no variant ${variant} (has ${g.variants.length})`);
  return strokes.map((s) => s.map(([x, y]): Point => [x, y]));
}

export interface GlyphStyle {
  /** Box height in pixels (cap top to baseline). */
  heightPx: number;
  /** Multiplies the glyph's natural aspect. */
  widthScale: number;
  /** Positive leans the top to the right. */
  slantDeg: number;
  strokePx: number;
  /** Standard deviation of the smooth per-glyph distortion, in pixels. */
  jitterPx: number;
}

export function randomGlyphStyle(rng: Rng, opts: { heightPx: number; strokePx: number }): GlyphStyle {
  const heightPx = opts.heightPx * rng.range(0.9, 1.1);
  return {
    heightPx,
    widthScale: rng.range(0.88, 1.12),
    slantDeg: Math.max(-8, Math.min(8, rng.normal(0, 3))),
    strokePx: opts.strokePx,
    jitterPx: heightPx * rng.range(0.02, 0.04),
  };
}

/** Longest segment, as a fraction of the glyph height, left after resampling so the distortion can bend it. */
const MAX_SEGMENT = 0.08;
// Control grid of the distortion field, spanning the font box plus its descender zone.
const GRID_COLS = 3;
const GRID_ROWS = 4;
const GRID_X0 = -0.1;
const GRID_X1 = 1.1;
const GRID_Y0 = -0.1;
const GRID_Y1 = 1.35;

/** Catmull-Rom spline between p1 (t = 0) and p2 (t = 1): passes through the nodes with no kinks at them. */
function catmullRom(p0: number, p1: number, p2: number, p3: number, t: number): number {
  return p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)));
}

/** Cell index and fraction of t on a grid of n nodes spanning [lo, hi]. */
function gridCoord(t: number, lo: number, hi: number, n: number): [number, number] {
  const f = Math.max(0, Math.min(n - 1 - 1e-9, ((t - lo) / (hi - lo)) * (n - 1)));
  const i = Math.floor(f);
  return [i, f - i];
}

/**
 * Strokes in pixels relative to the glyph box centre, slanted and smoothly distorted. The distortion is one
 * random offset field shared by all strokes, so junctions (А's crossbar, Б's bowl) stay joined while lines wobble.
 */
export function placeGlyph(ch: string, style: GlyphStyle, rng: Rng, variant?: number): Point[][] {
  const g = lookup(ch);
  const strokes = glyphStrokes(ch, variant ?? rng.int(0, g.variants.length - 1));
  const h = style.heightPx;
  const w = h * g.aspect * style.widthScale;
  const shear = Math.tan((style.slantDeg * Math.PI) / 180);

  const offsets = new Float64Array(GRID_COLS * GRID_ROWS * 2);
  for (let i = 0; i < offsets.length; i++) offsets[i] = rng.normal(0, style.jitterPx);
  // Nodes beyond the grid repeat the edge ones.
  const at = (col: number, row: number, axis: number): number => {
    const c = Math.max(0, Math.min(GRID_COLS - 1, col));
    const r = Math.max(0, Math.min(GRID_ROWS - 1, row));
    return offsets[(r * GRID_COLS + c) * 2 + axis] ?? 0;
  };
  const offset = (u: number, v: number, axis: number): number => {
    const [c, fx] = gridCoord(u, GRID_X0, GRID_X1, GRID_COLS);
    const [r, fy] = gridCoord(v, GRID_Y0, GRID_Y1, GRID_ROWS);
    const row = (k: number) =>
      catmullRom(at(c - 1, k, axis), at(c, k, axis), at(c + 1, k, axis), at(c + 2, k, axis), fx);
    return catmullRom(row(r - 1), row(r), row(r + 1), row(r + 2), fy);
  };

  const place = ([u, v]: Point): Point => {
    const y = (v - 0.5) * h;
    return [(u - 0.5) * w - y * shear + offset(u, v, 0), y + offset(u, v, 1)];
  };

  return strokes.map((s) => {
    const out: Point[] = [];
    s.forEach((p, i) => {
      const prev = s[i - 1];
      if (prev) {
        const n = Math.ceil(Math.hypot((p[0] - prev[0]) * g.aspect, p[1] - prev[1]) / MAX_SEGMENT);
        for (let k = 1; k < n; k++) {
          const t = k / n;
          out.push(place([prev[0] + (p[0] - prev[0]) * t, prev[1] + (p[1] - prev[1]) * t]));
        }
      }
      out.push(place(p));
    });
    return out;
  });
}

/**
 * Draws strokes (pixel coordinates around (cx, cy)) into a greyscale tile, 255 = paper, 0 = ink. Coverage falls
 * linearly over 1 px centred on the stroke edge, so the ink area matches strokePx. With `out`, each pixel keeps
 * the darker of its old and new value.
 */
export function rasterizeStrokes(
  strokes: Point[][],
  strokePx: number,
  width: number,
  height: number,
  cx: number,
  cy: number,
  out?: Uint8Array,
): Uint8Array {
  const tile = out ?? new Uint8Array(width * height).fill(255);
  if (tile.length < width * height)
    throw new RangeError(`tile has ${tile.length} bytes, needs ${width * height}`);
  const r = strokePx / 2;
  const reach = r + 0.5;
  const reach2 = reach * reach;
  const solid2 = r > 0.5 ? (r - 0.5) * (r - 0.5) : -1;
  // Shifting by half a pixel puts pixel (i, j)'s centre at integer coordinates (i, j).
  const ox = cx - 0.5;
  const oy = cy - 0.5;

  for (const s of strokes) {
    for (let i = s.length === 1 ? 0 : 1; i < s.length; i++) {
      const a = s[i === 0 ? 0 : i - 1];
      const b = s[i];
      if (!a || !b) continue;
      const ax = a[0] + ox;
      const ay = a[1] + oy;
      const ex = b[0] + ox - ax;
      const ey = b[1] + oy - ay;
      const len2 = ex * ex + ey * ey;
      const inv = len2 > 0 ? 1 / len2 : 0;
      const x0 = Math.max(0, Math.ceil(Math.min(ax, ax + ex) - reach));
      const x1 = Math.min(width - 1, Math.floor(Math.max(ax, ax + ex) + reach));
      const y0 = Math.max(0, Math.ceil(Math.min(ay, ay + ey) - reach));
      const y1 = Math.min(height - 1, Math.floor(Math.max(ay, ay + ey) + reach));
      for (let y = y0; y <= y1; y++) {
        const py = y - ay;
        let idx = y * width + x0;
        for (let x = x0; x <= x1; x++, idx++) {
          const px = x - ax;
          let t = (px * ex + py * ey) * inv;
          if (t < 0) t = 0;
          else if (t > 1) t = 1;
          const qx = px - t * ex;
          const qy = py - t * ey;
          const d2 = qx * qx + qy * qy;
          if (d2 >= reach2) continue;
          const value = d2 <= solid2 ? 0 : Math.round(255 * (1 - (reach - Math.sqrt(d2))));
          if (value < (tile[idx] ?? 0)) tile[idx] = value;
        }
      }
    }
  }
  return tile;
}
