/**
 * Renders one answer cell as a scanner would deliver it to pipeline/characters.ts: a crop around the 4.32 x
 * 6.53 mm cell at 150-600 dpi with uneven margins, the dotted outline partly inside, a glyph of realistic
 * size and placement (spec §6, §10), rotation, stroke width, blur, noise and dust. Training and evaluation
 * share it.
 */
import type { GreyTile } from '../../pipeline/character-tile.ts';
import type { Point } from '../../samples/glyphs.ts';
import { placeGlyph, randomGlyphStyle, rasterizeStrokes } from '../../samples/glyphs.ts';
import { type PenDab, penMark, rasterizePenMark } from '../../samples/pen-marks.ts';
import type { Rng } from '../../samples/rng.ts';
import { createRng } from '../../samples/rng.ts';
import type { Bitmap, Sample } from './data.ts';

const CELL_W = 4.32;
const CELL_H = 6.53;

export interface CellGeometry {
  width: number;
  height: number;
  pxmm: number;
  /** Cell centre in tile pixels. */
  cx: number;
  cy: number;
  /** Cell rectangle's top-left corner in tile pixels. */
  left: number;
  top: number;
}

function randomGeometry(rng: Rng): CellGeometry {
  // Log-uniform dpi: as many 150-300 as 300-600 scans.
  const dpi = 150 * 4 ** rng.next();
  const pxmm = dpi / 25.4;
  // Crops range from the cell shrunk by 0.3 mm (spec §11) to a generous box with room for a descending comma.
  const ml = rng.range(-0.3, 0.6);
  const mr = rng.range(-0.3, 0.6);
  const mt = rng.range(-0.3, 0.6);
  const mb = rng.range(-0.3, 1.0);
  const width = Math.max(8, Math.round((CELL_W + ml + mr) * pxmm));
  const height = Math.max(8, Math.round((CELL_H + mt + mb) * pxmm));
  return {
    width,
    height,
    pxmm,
    cx: (ml + CELL_W / 2) * pxmm,
    cy: (mt + CELL_H / 2) * pxmm,
    left: ml * pxmm,
    top: mt * pxmm,
  };
}

/** Stamps an antialiased disc into `alpha` (max-combined). */
function disc(alpha: Float32Array, g: CellGeometry, x: number, y: number, r: number): void {
  const x0 = Math.max(0, Math.floor(x - r - 1));
  const x1 = Math.min(g.width - 1, Math.ceil(x + r + 1));
  const y0 = Math.max(0, Math.floor(y - r - 1));
  const y1 = Math.min(g.height - 1, Math.ceil(y + r + 1));
  for (let yy = y0; yy <= y1; yy++) {
    for (let xx = x0; xx <= x1; xx++) {
      const d = Math.hypot(xx + 0.5 - x, yy + 0.5 - y);
      const v = Math.min(1, Math.max(0, r + 0.5 - d));
      const i = yy * g.width + xx;
      if (v > (alpha[i] as number)) alpha[i] = v;
    }
  }
}

/** The printed dotted outline: 7 dots per long side, 4 per short side, one per corner (spec §6). */
function dottedOutline(alpha: Float32Array, g: CellGeometry, rng: Rng): void {
  const r = Math.max(0.5, rng.range(0.06, 0.13) * g.pxmm);
  const pts: [number, number][] = [];
  for (let k = 0; k < 7; k++) {
    const y = 0.75 + 0.8 * k;
    pts.push([0, y], [CELL_W, y]);
  }
  for (let k = 0; k < 4; k++) {
    const x = CELL_W / 2 + 0.8 * (k - 1.5);
    pts.push([x, 0], [x, CELL_H]);
  }
  pts.push([0.3, 0.3], [CELL_W - 0.3, 0.3], [0.3, CELL_H - 0.3], [CELL_W - 0.3, CELL_H - 0.3]);
  const dx = rng.normal(0, 0.05);
  const dy = rng.normal(0, 0.05);
  for (const [x, y] of pts) {
    if (rng.chance(0.1)) continue;
    disc(alpha, g, g.left + (x + dx) * g.pxmm, g.top + (y + dy) * g.pxmm, r);
  }
}

/**
 * Glyph centre near the cell centre (writers sit slightly left, spec §10), moved as needed so that the ink
 * box (offsets x0..x1, y0..y1 from the centre) stays inside the crop: a cell crop holds its whole glyph,
 * otherwise a cropped Щ tail would be labelled Щ while showing Ш.
 */
function placeCentre(
  g: CellGeometry,
  rng: Rng,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
): [number, number] {
  const m = 0.1 * g.pxmm;
  const within = (c: number, lo: number, hi: number, size: number): number =>
    m - lo > size - m - hi ? size / 2 - (lo + hi) / 2 : Math.min(size - m - hi, Math.max(m - lo, c));
  return [
    within(g.cx + rng.normal(-0.1, 0.3) * g.pxmm, x0, x1, g.width),
    within(g.cy + rng.normal(0, 0.3) * g.pxmm, y0, y1, g.height),
  ];
}

/** Glyph height in mm: hand-printed capitals run about 3.1-5.3 mm in the 6.53 mm cell (spec §10). */
function glyphHeightMm(rng: Rng): number {
  return rng.range(3.1, 5.4);
}

/**
 * Draws a corpus/MNIST bitmap into `alpha`, scaled, stretched, sheared and rotated about the glyph centre.
 */
function paintBitmap(alpha: Float32Array, g: CellGeometry, bmp: Bitmap, rng: Rng): void {
  const hMm = glyphHeightMm(rng);
  let sy = (hMm * g.pxmm) / bmp.height;
  let sx = sy * rng.range(0.85, 1.15);
  // Writers squeeze wide letters (Ж, Ш, Ю) into the 4.3 mm cell.
  const maxW = rng.range(3.4, 4.1) * g.pxmm;
  if (bmp.width * sx > maxW) {
    const k = maxW / (bmp.width * sx);
    sx *= k;
    sy *= k;
  }
  const theta = (rng.range(-6, 6) * Math.PI) / 180;
  const shear = Math.tan((rng.normal(0, 3) * Math.PI) / 180);
  // Forward map: source offset (u, v) from the bitmap centre → R · Shear · S · (u, v).
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const a11 = cos * sx;
  const a12 = (cos * shear - sin) * sy;
  const a21 = sin * sx;
  const a22 = (sin * shear + cos) * sy;
  const det = a11 * a22 - a12 * a21;
  const i11 = a22 / det;
  const i12 = -a12 / det;
  const i21 = -a21 / det;
  const i22 = a11 / det;
  const corners = [-1, 1].flatMap((u) => [-1, 1].map((v) => [(u * bmp.width) / 2, (v * bmp.height) / 2]));
  const xs = corners.map(([u, v]) => a11 * (u as number) + a12 * (v as number));
  const ys = corners.map(([u, v]) => a21 * (u as number) + a22 * (v as number));
  const [gx, gy] = placeCentre(g, rng, Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys));
  const reach = 0.75 * Math.hypot(bmp.width * sx, bmp.height * sy) + 2;
  // Lower cut-off = thicker strokes: the bilinear coverage of a stroke is a ridge, cut at different heights.
  const cut = rng.range(0.12, 0.55);
  const x0 = Math.max(0, Math.floor(gx - reach));
  const x1 = Math.min(g.width - 1, Math.ceil(gx + reach));
  const y0 = Math.max(0, Math.floor(gy - reach));
  const y1 = Math.min(g.height - 1, Math.ceil(gy + reach));
  const { width: bw, height: bh, cov } = bmp;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - gx;
      const py = y + 0.5 - gy;
      // +1: sample a bitmap with a 1-pixel empty border, so edges fade out like strokes do.
      const u = i11 * px + i12 * py + bw / 2 + 0.5;
      const v = i21 * px + i22 * py + bh / 2 + 0.5;
      if (u <= 0 || v <= 0 || u >= bw + 1 || v >= bh + 1) continue;
      const ui = Math.floor(u) - 1;
      const vi = Math.floor(v) - 1;
      const fu = u - ui - 1;
      const fv = v - vi - 1;
      const inU0 = ui >= 0;
      const inU1 = ui + 1 < bw;
      const r0 = vi >= 0 ? vi * bw : -1;
      const r1 = vi + 1 < bh ? (vi + 1) * bw : -1;
      const c00 = r0 >= 0 && inU0 ? (cov[r0 + ui] as number) : 0;
      const c10 = r0 >= 0 && inU1 ? (cov[r0 + ui + 1] as number) : 0;
      const c01 = r1 >= 0 && inU0 ? (cov[r1 + ui] as number) : 0;
      const c11 = r1 >= 0 && inU1 ? (cov[r1 + ui + 1] as number) : 0;
      const c = (c00 * (1 - fu) + c10 * fu) * (1 - fv) + (c01 * (1 - fu) + c11 * fu) * fv;
      const a = Math.min(1, Math.max(0, (c - cut) / 0.3 + 0.5));
      const i = y * g.width + x;
      if (a > (alpha[i] as number)) alpha[i] = a;
    }
  }
}

/** Draws a symbol with the form's stroke font (pen 0.4-0.8 mm), rotated about the glyph centre. */
function paintStrokes(alpha: Float32Array, g: CellGeometry, symbol: string, rng: Rng): void {
  const strokePx = Math.max(1.2, rng.range(0.4, 0.8) * g.pxmm);
  const style = randomGlyphStyle(rng, { heightPx: glyphHeightMm(rng) * g.pxmm, strokePx });
  const theta = (rng.range(-6, 6) * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const strokes = placeGlyph(symbol, style, rng).map((s) =>
    s.map(([x, y]): Point => [cos * x - sin * y, sin * x + cos * y]),
  );
  const points = strokes.flat();
  const r = strokePx / 2;
  const [gx, gy] = placeCentre(
    g,
    rng,
    Math.min(...points.map((p) => p[0])) - r,
    Math.max(...points.map((p) => p[0])) + r,
    Math.min(...points.map((p) => p[1])) - r,
    Math.max(...points.map((p) => p[1])) + r,
  );
  const grey = rasterizeStrokes(strokes, strokePx, g.width, g.height, gx, gy);
  for (let i = 0; i < grey.length; i++) {
    const a = (255 - (grey[i] as number)) / 255;
    if (a > (alpha[i] as number)) alpha[i] = a;
  }
}

/** Draws a pen comma or minus where a writer puts it in the cell: its size and place are what tell it. */
function paintPen(alpha: Float32Array, g: CellGeometry, symbol: string, rng: Rng): void {
  const dabs = penMark(symbol, CELL_W, CELL_H, rng);
  // Like placeCentre: the crop holds the whole mark, so a comma below a tight crop moves up to its edge
  // rather than being labelled a comma while showing a sliver.
  const edge = (d: PenDab, end: 'from' | 'to', axis: 0 | 1, sign: 1 | -1): number =>
    sign * (d[end][axis] + (sign * d.widthMm) / 2);
  const reach = (axis: 0 | 1, sign: 1 | -1): number =>
    Math.max(...dabs.flatMap((d) => [edge(d, 'from', axis, sign), edge(d, 'to', axis, sign)]));
  const m = 0.1;
  const bottom = g.height / g.pxmm - g.top / g.pxmm - m - reach(1, 1);
  const left = -g.left / g.pxmm + m + reach(0, -1);
  const right = g.width / g.pxmm - g.left / g.pxmm - m - reach(0, 1);
  const dy = Math.min(0, bottom);
  const dx = left > 0 ? left : Math.min(0, right);
  const grey = rasterizePenMark(dabs, g.pxmm, g.left + dx * g.pxmm, g.top + dy * g.pxmm, g.width, g.height);
  for (let i = 0; i < grey.length; i++) {
    const a = (255 - (grey[i] as number)) / 255;
    if (a > (alpha[i] as number)) alpha[i] = a;
  }
}

/** Paints a sample's ink (0..1, max-combined) into `alpha`, a crop of geometry `g` around one cell. */
export function paintSample(alpha: Float32Array, g: CellGeometry, sample: Sample, rng: Rng): void {
  if (sample.origin === 'synthetic') paintStrokes(alpha, g, sample.symbol, rng);
  else if (sample.origin === 'pen') paintPen(alpha, g, sample.symbol, rng);
  else paintBitmap(alpha, g, sample.bitmap, rng);
}

/** Standard normal draws reused as scanner noise: a per-pixel Box-Muller would dominate the render time. */
const NOISE = (() => {
  const rng = createRng('scanner-noise');
  return Float32Array.from({ length: 1 << 16 }, () => rng.normal());
})();

/** [1 2 1] blur in both directions, in place. */
function blur(img: Float32Array, w: number, h: number): void {
  const tmp = new Float32Array(img.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const l = img[x > 0 ? i - 1 : i] as number;
      const r = img[x < w - 1 ? i + 1 : i] as number;
      tmp[i] = (l + 2 * (img[i] as number) + r) / 4;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = tmp[y > 0 ? i - w : i] as number;
      const d = tmp[y < h - 1 ? i + w : i] as number;
      img[i] = (u + 2 * (tmp[i] as number) + d) / 4;
    }
  }
}

/**
 * One scanned cell holding `sample` (or nothing, for blank cells). The dotted outline is grey 21 on clean
 * rasters and lighter (~97) on scans; handwriting is 0-60.
 */
export function renderCell(sample: Sample | undefined, rng: Rng): GreyTile {
  const g = randomGeometry(rng);
  const n = g.width * g.height;
  const ink = new Float32Array(n);
  if (sample) paintSample(ink, g, sample, rng);
  const paper = rng.range(215, 255);
  const inkGrey = rng.range(0, 60);
  const grey = new Float32Array(n).fill(paper);
  const dots = new Float32Array(n);
  if (rng.chance(0.75)) dottedOutline(dots, g, rng);
  const dotGrey = rng.chance(0.5) ? 21 : rng.range(80, 140);
  for (let i = 0; i < n; i++) {
    const d = dots[i] as number;
    const a = ink[i] as number;
    let v = paper - d * (paper - dotGrey);
    v = v - a * (v - inkGrey);
    grey[i] = v;
  }
  const specks = rng.chance(0.35) ? rng.int(1, 4) : 0;
  const speckAlpha = new Float32Array(n);
  for (let k = 0; k < specks; k++) {
    disc(speckAlpha, g, rng.range(0, g.width), rng.range(0, g.height), rng.range(0.04, 0.18) * g.pxmm);
  }
  const speckGrey = rng.range(40, 160);
  for (let i = 0; i < n; i++)
    grey[i] = (grey[i] as number) - (speckAlpha[i] as number) * ((grey[i] as number) - speckGrey);
  if (rng.chance(0.5)) blur(grey, g.width, g.height);
  const sd = rng.range(0, 9);
  const mask = NOISE.length - 1;
  const offset = rng.int(0, mask);
  const stride = 2 * rng.int(0, 1000) + 1;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = (grey[i] as number) + sd * (NOISE[(offset + i * stride) & mask] as number);
    data[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  return { data, width: g.width, height: g.height };
}
