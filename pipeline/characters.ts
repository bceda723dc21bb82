/**
 * Per-cell character classifier: tile normalisation (threshold, dust and border-dot removal, blank detection,
 * size/position normalisation) and a small CNN evaluated in plain TypeScript, with temperature-calibrated
 * confidence restricted to the symbols a field allows. Trained by calibration/characters/train.ts.
 */
import { readFileSync } from 'node:fs';

/** A crop around one cell at scan resolution (any dpi 150-600), 255 = paper. */
export interface GreyTile {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface CharacterRead {
  /** '' when blank. */
  symbol: string;
  /** Calibrated P(correct), 0..1; 1 for blank. */
  confidence: number;
  /** Most likely allowed symbols, best first (includes `symbol`). */
  alternatives: { symbol: string; p: number }[];
  blank: boolean;
  /**
   * Allowed symbols whose handwritten shapes cannot be told apart from `symbol` (e.g. 'ОO0'); '' when there
   * is no such ambiguity. `confidence` covers the whole set; resolveScripts picks the member from the
   * answer's other characters.
   */
  homoglyphs: string;
}

export interface ReadOptions {
  /** Grey level below which a pixel is ink; default: Otsu, floored at paper - MIN_CONTRAST. */
  inkThreshold?: number;
  /** Scan pixels per mm; default: tile height / TILE_HEIGHT_MM. */
  pxPerMm?: number;
  /** Default: the committed model (loadCharacterModel). */
  model?: CharacterModel;
  /**
   * Where the cell's printed top outline runs, mm below the tile's top edge. Border remnants lying on it are
   * print, not Ё's dots or Й's breve written close to the edge; without it every remnant above counts.
   */
  outlineMm?: number;
}

// Model input: the ink box is scaled to fit BOX x BOX inside INPUT x INPUT (the MNIST convention).
export const INPUT = 28;
const BOX = 20;
/** Extra inputs beside the pixels: ink height, width, aspect, vertical position, fill (see normaliseTile). */
export const FEATURES = 5;

/** Assumed tile height when pxPerMm is not given: a 6.53 mm answer cell plus a little margin. */
const TILE_HEIGHT_MM = 7;
/** Tiles are block-averaged to about this resolution first: the model sees ~4 px/mm; 600 dpi is 24. */
const WORK_PX_PER_MM = 7;
/** Paper minus this is the highest ink threshold: keeps a blank tile's threshold out of the paper noise. */
export const MIN_CONTRAST = 60;
/** A column inked over this share of the crop's height is a scanner streak: glyphs stay inside the cell. */
const STREAK_SHARE = 0.9;
/** How far below the paper a streak's tone must stay along its column. */
const STREAK_CONTRAST = 25;
/** Components shorter than this (mm) are dust, unless they sit within DOT_GAP_MM of the glyph. */
const SPECK_MM = 0.45;
const DOT_GAP_MM = 0.9;
/** Small or thin components lying entirely this close to the tile edge are remnants of the dotted outline. */
const EDGE_BAND_MM = 0.7;
const EDGE_SMALL_MM = 1.2;
const EDGE_THIN_MM = 0.3;
/** How far from the printed outline (ReadOptions.outlineMm) a remnant may reach and still be print. */
const OUTLINE_BAND_MM = 0.3;
/** Small blobs further than this from the main ink are dust, not Ё's dots or Й's breve. */
const ISOLATED_MM = 1.5;
const ISOLATED_SMALL_MM = 0.8;
/** Ink whose extent stays below this is not a character (the smallest, a comma, is ~1.6 mm tall). */
const MIN_GLYPH_MM = 1.0;

export interface NormalisedTile {
  blank: boolean;
  /**
   * A mark removed as a border-dot remnant sat just above the glyph: it may have been Ё's dots or Й's breve
   * written close to the crop edge, so an Е or И read is not safe to accept.
   */
  markAboveDropped: boolean;
  /** A scanner streak was cleared through the glyph's ink box. */
  streakThroughInk: boolean;
  /** INPUT x INPUT, 0 = paper, 1 = ink; all zero when blank. */
  pixels: Float32Array;
  features: Float32Array;
}

interface Component {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  area: number;
  keep: boolean;
  /** Dropped as a remnant of the printed dotted outline. */
  border: boolean;
}

/** Grow-only work buffers shared by all calls: allocating them per cell cost more than the work itself. */
const work: {
  grey: Uint8Array;
  mask: Uint8Array;
  labels: Int32Array;
  stack: Int32Array;
  strength: Float32Array;
  rows: Float32Array;
  box: Float32Array;
  hist: Uint32Array;
  inkHist: Uint32Array;
} = {
  grey: new Uint8Array(0),
  mask: new Uint8Array(0),
  labels: new Int32Array(0),
  stack: new Int32Array(0),
  strength: new Float32Array(0),
  rows: new Float32Array(0),
  box: new Float32Array(0),
  hist: new Uint32Array(256),
  inkHist: new Uint32Array(256),
};

const growU8 = (b: Uint8Array, n: number): Uint8Array => (b.length >= n ? b : new Uint8Array(2 * n));
const growI32 = (b: Int32Array, n: number): Int32Array => (b.length >= n ? b : new Int32Array(2 * n));
const growF32 = (b: Float32Array, n: number): Float32Array => (b.length >= n ? b : new Float32Array(2 * n));

function histogram(data: Uint8Array, n: number): Uint32Array {
  const h = work.hist.fill(0);
  for (let i = 0; i < n; i++) {
    const v = data[i] as number;
    h[v] = (h[v] as number) + 1;
  }
  return h;
}

function percentile(h: Uint32Array, n: number, q: number): number {
  const target = q * n;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += h[v] as number;
    if (acc >= target) return v;
  }
  return 255;
}

/** Otsu's threshold: the grey level maximising the between-class variance. */
function otsu(h: Uint32Array, n: number): number {
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * (h[v] as number);
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let bestT = 127;
  for (let t = 0; t < 256; t++) {
    wB += h[t] as number;
    if (wB === 0) continue;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += t * (h[t] as number);
    const d = sumB / wB - (sum - sumB) / wF;
    const between = wB * wF * d * d;
    if (between > best) {
      best = between;
      bestT = t;
    }
  }
  return bestT;
}

/** 8-connected components of `mask`; `labels` receives component index + 1 (0 = background). */
function components(mask: Uint8Array, w: number, h: number, labels: Int32Array): Component[] {
  const comps: Component[] = [];
  const stack = (work.stack = growI32(work.stack, w * h));
  for (let start = 0; start < w * h; start++) {
    if (!mask[start] || labels[start]) continue;
    const id = comps.length + 1;
    const c: Component = { x0: w, y0: h, x1: -1, y1: -1, area: 0, keep: true, border: false };
    labels[start] = id;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const p = stack[--top] as number;
      const y = Math.floor(p / w);
      const x = p - y * w;
      c.area++;
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
      const xa = x > 0 ? -1 : 0;
      const xb = x < w - 1 ? 1 : 0;
      for (let yy = y > 0 ? y - 1 : y; yy <= y + 1 && yy < h; yy++) {
        const row = yy * w + x;
        for (let q = row + xa; q <= row + xb; q++) {
          if (mask[q] && !labels[q]) {
            labels[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    comps.push(c);
  }
  return comps;
}

/** Block average by an integer factor (the ragged right/bottom remainder is dropped). */
function shrink(tile: GreyTile, f: number): GreyTile {
  const width = Math.floor(tile.width / f);
  const height = Math.floor(tile.height / f);
  const data = (work.grey = growU8(work.grey, width * height));
  const sums = new Uint32Array(width);
  const area = f * f;
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let dy = 0; dy < f; dy++) {
      const row = (y * f + dy) * tile.width;
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let dx = 0; dx < f; dx++) acc += tile.data[row + x * f + dx] as number;
        sums[x] = (sums[x] as number) + acc;
      }
    }
    for (let x = 0; x < width; x++) data[y * width + x] = Math.round((sums[x] as number) / area);
  }
  return { data, width, height };
}

/** Area-averaging weights mapping nSrc samples onto nOut (works for up- and down-scaling). */
function resampleWeights(
  nSrc: number,
  nOut: number,
): { start: Int32Array; end: Int32Array; w: Float32Array } {
  const step = nSrc / nOut;
  const start = new Int32Array(nOut);
  const end = new Int32Array(nOut);
  const w = new Float32Array(nOut * (Math.ceil(step) + 2));
  const stride = Math.ceil(step) + 2;
  for (let j = 0; j < nOut; j++) {
    const a = j * step;
    const b = a + step;
    const s = Math.floor(a);
    const e = Math.min(nSrc, Math.ceil(b));
    start[j] = s;
    end[j] = e;
    for (let i = s; i < e; i++) w[j * stride + i - s] = (Math.min(b, i + 1) - Math.max(a, i)) / step;
  }
  return { start, end, w };
}

/**
 * Finds the ink, drops specks and border-dot remnants, decides blank, and scales the ink box into the model's
 * input frame, centred by mass. Also returns the geometric features that scaling throws away (size and
 * position in the cell), which tell a comma from a 1 and a minus from a Т's bar.
 */
export function normaliseTile(tile: GreyTile, opts: ReadOptions = {}): NormalisedTile {
  const pixels = new Float32Array(INPUT * INPUT);
  const features = new Float32Array(FEATURES);
  const blank = { blank: true, markAboveDropped: false, streakThroughInk: false, pixels, features };
  const scanPxmm = opts.pxPerMm ?? tile.height / TILE_HEIGHT_MM;
  const f = Math.max(1, Math.round(scanPxmm / WORK_PX_PER_MM));
  const { width: w, height: h, data } = f > 1 ? shrink(tile, f) : tile;
  const n = w * h;
  if (n === 0) return blank;
  const pxmm = scanPxmm / f;

  const hist = histogram(data, n);
  // Ink covers well under half a cell, so this percentile sits on the paper even for heavy glyphs.
  const paper = percentile(hist, n, 0.6);
  const threshold = opts.inkThreshold ?? Math.min(otsu(hist, n), paper - MIN_CONTRAST);
  const mask = (work.mask = growU8(work.mask, n));
  let any = false;
  for (let i = 0; i < n; i++) {
    const ink = (data[i] as number) < threshold ? 1 : 0;
    mask[i] = ink;
    if (ink) any = true;
  }
  if (!any) return blank;
  // Scanner streaks run along the feed, through every cell of a column: clear columns toned from the crop's
  // top row to its bottom row. A glyph never touches both (the crop reaches beyond the cell), while a tall
  // stroke may well cover 90 % of a tight crop, so both ends are required. A streak can be lighter than ink,
  // so any tone clearly below the paper counts along the column.
  const streakTone = paper - STREAK_CONTRAST;
  let streakLo = w;
  let streakHi = -1;
  for (let x = 0; x < w; x++) {
    if ((data[x] as number) >= streakTone || (data[(h - 1) * w + x] as number) >= streakTone) continue;
    let toned = 0;
    for (let y = 0; y < h; y++) if ((data[y * w + x] as number) < streakTone) toned++;
    if (toned < STREAK_SHARE * h) continue;
    for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
      for (let y = 0; y < h; y++) mask[y * w + xx] = 0;
    }
    streakLo = Math.min(streakLo, x - 1);
    streakHi = Math.max(streakHi, x + 1);
  }

  const labels = (work.labels = growI32(work.labels, n)).fill(0, 0, n);
  const comps = components(mask, w, h, labels);
  const speck = SPECK_MM * pxmm;
  const band = EDGE_BAND_MM * pxmm;
  // The main stroke is the largest component that is neither speck-sized nor a border remnant.
  let main: Component | undefined;
  for (const c of comps) {
    const cw = c.x1 - c.x0 + 1;
    const ch = c.y1 - c.y0 + 1;
    const long = Math.max(cw, ch);
    const inBand = c.x1 < band || c.x0 >= w - band || c.y1 < band || c.y0 >= h - band;
    if (inBand && (long < EDGE_SMALL_MM * pxmm || Math.min(cw, ch) < EDGE_THIN_MM * pxmm)) {
      c.keep = false;
      c.border = true;
    } else if (long >= speck && (!main || c.area > main.area)) main = c;
  }
  if (!main) return blank;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (const c of comps) {
    if (!c.keep) continue;
    const gap = Math.max(main.x0 - c.x1, c.x0 - main.x1, main.y0 - c.y1, c.y0 - main.y1);
    const long = Math.max(c.x1 - c.x0, c.y1 - c.y0) + 1;
    // Specks count only right beside the main stroke (Ё's dots); further out, small blobs are dust.
    if (
      (long < speck && gap > DOT_GAP_MM * pxmm) ||
      (long < ISOLATED_SMALL_MM * pxmm && gap > ISOLATED_MM * pxmm)
    ) {
      c.keep = false;
      continue;
    }
    x0 = Math.min(x0, c.x0);
    y0 = Math.min(y0, c.y0);
    x1 = Math.max(x1, c.x1);
    y1 = Math.max(y1, c.y1);
  }
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  if (Math.max(bw, bh) < MIN_GLYPH_MM * pxmm) return blank;

  // Ink strength of kept pixels, stretched between paper and the tile's own ink level so pen darkness is
  // moot.
  const strength = (work.strength = growF32(work.strength, bw * bh)).fill(0, 0, bw * bh);
  const inkHist = work.inkHist.fill(0);
  let inkCount = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = y * w + x;
      const label = labels[i] as number;
      if (label && comps[label - 1]?.keep) {
        const v = data[i] as number;
        inkHist[v] = (inkHist[v] as number) + 1;
        inkCount++;
      }
    }
  }
  const darkest = percentile(inkHist, inkCount, 0.1);
  const span = Math.max(1, paper - darkest);
  let mass = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = y * w + x;
      const label = labels[i] as number;
      if (!label || !comps[label - 1]?.keep) continue;
      const s = Math.min(1, (paper - (data[i] as number)) / span);
      strength[(y - y0) * bw + x - x0] = s;
      mass += s;
    }
  }

  const scale = BOX / Math.max(bw, bh);
  const ow = Math.max(1, Math.min(BOX, Math.round(bw * scale)));
  const oh = Math.max(1, Math.min(BOX, Math.round(bh * scale)));
  const rx = resampleWeights(bw, ow);
  const ry = resampleWeights(bh, oh);
  const strideX = rx.w.length / ow;
  const strideY = ry.w.length / oh;
  const rows = (work.rows = growF32(work.rows, bh * ow));
  for (let y = 0; y < bh; y++) {
    for (let j = 0; j < ow; j++) {
      let acc = 0;
      const s = rx.start[j] as number;
      const e = rx.end[j] as number;
      for (let i = s; i < e; i++)
        acc += (rx.w[j * strideX + i - s] as number) * (strength[y * bw + i] as number);
      rows[y * ow + j] = acc;
    }
  }
  const box = (work.box = growF32(work.box, oh * ow));
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < oh; k++) {
    const s = ry.start[k] as number;
    const e = ry.end[k] as number;
    for (let j = 0; j < ow; j++) {
      let acc = 0;
      for (let i = s; i < e; i++) acc += (ry.w[k * strideY + i - s] as number) * (rows[i * ow + j] as number);
      box[k * ow + j] = acc;
      m += acc;
      mx += acc * j;
      my += acc * k;
    }
  }
  const cx = m > 0 ? mx / m + 0.5 : ow / 2;
  const cy = m > 0 ? my / m + 0.5 : oh / 2;
  const ox = Math.max(0, Math.min(INPUT - ow, Math.round(INPUT / 2 - cx)));
  const oy = Math.max(0, Math.min(INPUT - oh, Math.round(INPUT / 2 - cy)));
  for (let k = 0; k < oh; k++) {
    for (let j = 0; j < ow; j++) pixels[(oy + k) * INPUT + ox + j] = box[k * ow + j] as number;
  }

  features[0] = bh / pxmm / 5;
  features[1] = bw / pxmm / 5;
  features[2] = Math.log(bw / bh) / 2;
  features[3] = ((y0 + y1 + 1) / 2 - h / 2) / pxmm / 3;
  features[4] = mass / (bw * bh);
  const dotGap = DOT_GAP_MM * pxmm;
  const outline = opts.outlineMm === undefined ? undefined : opts.outlineMm * pxmm;
  const onOutline = (c: Component) =>
    outline !== undefined &&
    c.y0 >= outline - OUTLINE_BAND_MM * pxmm &&
    c.y1 <= outline + OUTLINE_BAND_MM * pxmm;
  const markAboveDropped = comps.some(
    (c) => c.border && c.y1 < y0 && y0 - c.y1 <= dotGap && c.x1 >= x0 && c.x0 <= x1 && !onOutline(c),
  );
  // A streak cleared through or beside the glyph may have taken a whole stroke (or hidden one): not safe.
  const streakThroughInk = streakHi >= 0 && streakHi >= x0 - dotGap && streakLo <= x1 + dotGap;
  return { blank: false, markAboveDropped, streakThroughInk, pixels, features };
}

export interface NetShape {
  c1: number;
  c2: number;
  hidden: number;
  classes: number;
}

/**
 * Flattened parameter tensors, in file order. Stored as float32 in the file, held as float64: V8 computes in
 * doubles, and float32 arrays cost a conversion on every load and store.
 */
export interface NetWeights {
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
  w3: Float64Array;
  b3: Float64Array;
  w4: Float64Array;
  b4: Float64Array;
}

export const TENSOR_NAMES = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'w4', 'b4'] as const;

export function tensorSizes(s: NetShape): Record<keyof NetWeights, number> {
  const fcIn = s.c2 * 49 + FEATURES;
  return {
    w1: s.c1 * 9,
    b1: s.c1,
    w2: s.c2 * s.c1 * 9,
    b2: s.c2,
    w3: fcIn * s.hidden,
    b3: s.hidden,
    w4: s.hidden * s.classes,
    b4: s.classes,
  };
}

/**
 * conv3x3(1→c1)+ReLU+maxpool2 → conv3x3(c1→c2)+ReLU+maxpool2 → [7·7·c2 + features] → FC(hidden)+ReLU →
 * FC(classes). Every layer skips zero inputs: the glyph covers a fraction of the frame and ReLU zeroes most of
 * the rest, so the convolutions run in scatter form (each non-zero input adds its taps to the outputs it feeds)
 * and the fully connected layers are input-major. Activations are channel-last. Weights: w1 [tap][c1],
 * w2 [c1][tap][c2], w3 [input][hidden], w4 [hidden][class]. Layer widths are multiples of 4 so the inner
 * loops can be unrolled by 4.
 *
 * Activations stay in public buffers so the trainer's backward pass can read them after forward().
 */
export class CharacterNet {
  readonly fcIn: number;
  /** Pre-pool conv outputs without bias, [y][x][channel] with a 1-unit border. */
  readonly c1out: Float64Array;
  readonly c2out: Float64Array;
  /** Pooled conv1 output [14][14][c1]. */
  readonly a1: Float64Array;
  /** For each pooled unit, the c1out/c2out index of the max, or -1 when ReLU cut it. */
  readonly arg1: Int32Array;
  /** FC input: pooled conv2 output [7][7][c2], then the features. */
  readonly a2: Float64Array;
  readonly arg2: Int32Array;
  readonly hidden: Float64Array;
  readonly logits: Float64Array;
  /** Offset, in a padded map, from an input's own position to the output it feeds through each tap. */
  readonly taps1: Int32Array;
  readonly taps2: Int32Array;

  constructor(
    readonly shape: NetShape,
    readonly weights: NetWeights,
  ) {
    if ([shape.c1, shape.c2, shape.hidden, shape.classes].some((n) => n % 4 !== 0)) {
      throw new Error(`layer widths must be multiples of 4: ${JSON.stringify(shape)}`);
    }
    this.fcIn = shape.c2 * 49 + FEATURES;
    this.taps1 = Int32Array.from({ length: 9 }, (_, t) => (Math.floor(t / 3) * C1_SIDE + (t % 3)) * shape.c1);
    this.taps2 = Int32Array.from({ length: 9 }, (_, t) => (Math.floor(t / 3) * C2_SIDE + (t % 3)) * shape.c2);
    this.c1out = new Float64Array(C1_SIDE * C1_SIDE * shape.c1);
    this.c2out = new Float64Array(C2_SIDE * C2_SIDE * shape.c2);
    this.a1 = new Float64Array(196 * shape.c1);
    this.arg1 = new Int32Array(196 * shape.c1);
    this.a2 = new Float64Array(this.fcIn);
    this.arg2 = new Int32Array(49 * shape.c2);
    this.hidden = new Float64Array(shape.hidden);
    this.logits = new Float64Array(shape.classes);
  }

  forward(pixels: Float32Array, features: Float32Array): Float64Array {
    const { c1, c2 } = this.shape;
    const { w1, b1, w2, b2 } = this.weights;
    // Input (y, x) is tap t = (ky, kx) of the output at (y - ky + 1, x - kx + 1). Outputs carry a 1-unit
    // border that absorbs the edge taps, so the inner loops need no bounds checks; pooling reads the interior.
    const c1out = this.c1out.fill(0);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = pixels[y * 28 + x] as number;
        if (v !== 0) scatter(c1out, ((y + 2) * C1_SIDE + x + 2) * c1, this.taps1, w1, 0, c1, v);
      }
    }
    pool(c1out, C1_SIDE, c1, b1, this.a1, this.arg1);

    const a1 = this.a1;
    const c2out = this.c2out.fill(0);
    for (let p = 0; p < 196; p++) {
      const y = Math.floor(p / 14);
      const at = ((y + 2) * C2_SIDE + p - y * 14 + 2) * c2;
      for (let i = 0; i < c1; i++) {
        const v = a1[p * c1 + i] as number;
        if (v !== 0) scatter(c2out, at, this.taps2, w2, i * 9 * c2, c2, v);
      }
    }
    const a2 = this.a2;
    pool(c2out, C2_SIDE, c2, b2, a2, this.arg2);
    for (let f = 0; f < FEATURES; f++) a2[c2 * 49 + f] = features[f] as number;

    const hid = this.hidden;
    dense(a2, this.fcIn, this.weights.w3, this.weights.b3, hid);
    for (let j = 0; j < hid.length; j++) if ((hid[j] as number) < 0) hid[j] = 0;
    return this.output();
  }

  /** The last layer alone, from `hidden` (the trainer re-runs it after dropping hidden units). */
  output(): Float64Array {
    dense(this.hidden, this.shape.hidden, this.weights.w4, this.weights.b4, this.logits);
    return this.logits;
  }
}

/** Side of the padded pre-pool maps: 28 (14) plus a 1-unit border on each side. */
const C1_SIDE = 30;
const C2_SIDE = 16;

/** out[at - taps[t] + o] += v · w[w0 + t·n + o] for the 9 taps and n (a multiple of 4) channels. */
function scatter(
  out: Float64Array,
  at: number,
  taps: Int32Array,
  w: Float64Array,
  w0: number,
  n: number,
  v: number,
): void {
  for (let t = 0; t < 9; t++) {
    const p0 = at - (taps[t] as number);
    const q0 = w0 + t * n;
    for (let o = 0; o < n; o += 4) {
      const p = p0 + o;
      const q = q0 + o;
      out[p] = (out[p] as number) + v * (w[q] as number);
      out[p + 1] = (out[p + 1] as number) + v * (w[q + 1] as number);
      out[p + 2] = (out[p + 2] as number) + v * (w[q + 2] as number);
      out[p + 3] = (out[p + 3] as number) + v * (w[q + 3] as number);
    }
  }
}

/** out = b + Σ_i x[i] · w[i][·] over the first nIn inputs, skipping zeros (w input-major, out.length wide). */
function dense(x: Float64Array, nIn: number, w: Float64Array, b: Float64Array, out: Float64Array): void {
  const n = out.length;
  out.set(b);
  for (let i = 0; i < nIn; i++) {
    const v = x[i] as number;
    if (v === 0) continue;
    const row = i * n;
    for (let j = 0; j < n; j += 4) {
      const q = row + j;
      out[j] = (out[j] as number) + v * (w[q] as number);
      out[j + 1] = (out[j + 1] as number) + v * (w[q + 1] as number);
      out[j + 2] = (out[j + 2] as number) + v * (w[q + 2] as number);
      out[j + 3] = (out[j + 3] as number) + v * (w[q + 3] as number);
    }
  }
}

/**
 * Bias + 2x2 max-pool + ReLU of a channel-last padded map (side = 2·n + 2) into n x n; records the map index
 * of each winner, or -1 where ReLU cut it.
 */
function pool(
  src: Float64Array,
  side: number,
  ch: number,
  bias: Float64Array,
  dst: Float64Array,
  arg: Int32Array,
): void {
  const half = (side - 2) / 2;
  for (let y = 0; y < half; y++) {
    for (let x = 0; x < half; x++) {
      const p00 = ((2 * y + 1) * side + 2 * x + 1) * ch;
      const p10 = p00 + side * ch;
      const out = (y * half + x) * ch;
      for (let c = 0; c < ch; c++) {
        const a = src[p00 + c] as number;
        const b = src[p00 + ch + c] as number;
        const d = src[p10 + c] as number;
        const e = src[p10 + ch + c] as number;
        const top = Math.max(a, b);
        const bottom = Math.max(d, e);
        const best = Math.max(top, bottom) + (bias[c] as number);
        if (best > 0) {
          dst[out + c] = best;
          arg[out + c] = top >= bottom ? (a >= b ? p00 + c : p00 + ch + c) : d >= e ? p10 + c : p10 + ch + c;
        } else {
          dst[out + c] = 0;
          arg[out + c] = -1;
        }
      }
    }
  }
}

/** Header of model.bin (JSON after the magic and length). */
export interface ModelHeader {
  shape: NetShape;
  /** Class labels: one symbol, or exact-homoglyph twins sharing a class (e.g. 'АA'). */
  classes: string[];
  /** Softmax temperature fitted on the validation split. */
  temperature: number;
  /** Proposed accept threshold on `confidence` (see the training report in the header). */
  acceptThreshold: number;
  /** Free-form provenance: seed, data, split sizes, validation figures. */
  training: Record<string, unknown>;
}

export interface CharacterModel {
  header: ModelHeader;
  net: CharacterNet;
  /** symbol → class index. */
  classOf: Map<string, number>;
}

const MAGIC = 'RCC1';

export function encodeModel(header: ModelHeader, weights: NetWeights): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = 8 + json.length;
  const pad = (4 - (headerLen % 4)) % 4;
  const sizes = tensorSizes(header.shape);
  const total = TENSOR_NAMES.reduce((s, k) => s + sizes[k], 0);
  const out = new Uint8Array(headerLen + pad + total * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  const floats = new Float32Array(out.buffer, headerLen + pad, total);
  let at = 0;
  for (const k of TENSOR_NAMES) {
    floats.set(weights[k], at);
    at += sizes[k];
  }
  return out;
}

export function decodeModel(bytes: Uint8Array): CharacterModel {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== MAGIC) throw new Error(`not a character model (magic '${magic}')`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as ModelHeader;
  const headerLen = 8 + len;
  const start = headerLen + ((4 - (headerLen % 4)) % 4);
  const sizes = tensorSizes(header.shape);
  // Copy into a fresh buffer so the floats are aligned: a Buffer's slice() is a view into a shared pool.
  const body = new Uint8Array(bytes.length - start);
  body.set(bytes.subarray(start));
  const floats = new Float32Array(body.buffer);
  const weights = {} as NetWeights;
  let at = 0;
  for (const k of TENSOR_NAMES) {
    if (at + sizes[k] > floats.length) throw new Error('character model file is truncated');
    weights[k] = Float64Array.from(floats.subarray(at, at + sizes[k]));
    at += sizes[k];
  }
  const classOf = new Map<string, number>();
  header.classes.forEach((label, c) => {
    for (const ch of label) classOf.set(ch, c);
  });
  return { header, net: new CharacterNet(header.shape, weights), classOf };
}

export const MODEL_URL = new URL('../forms/model.bin', import.meta.url);

let cached: CharacterModel | undefined;

/** The committed model, read once. */
export function loadCharacterModel(): CharacterModel {
  cached ??= decodeModel(readFileSync(MODEL_URL));
  return cached;
}

/**
 * Shapes that handwriting does not distinguish across scripts. Exact twins share one model class; the looser
 * pairs (0/О, З/3, 1/I, Ч/4, У/Y) keep their own classes, but their confidence is pooled so that a
 * free-answer field does not send every О to a human: the answer's other characters decide the script
 * (resolveScripts).
 */
const HOMOGLYPH_SETS = [
  'АA',
  'ВB',
  'ЕE',
  'КK',
  'МM',
  'НH',
  'ОO0',
  'РP',
  'СC',
  'ТT',
  'ХX',
  'З3',
  'I1',
  'Ч4',
  'УY',
];
const homoglyphSet = new Map<string, string>();
for (const set of HOMOGLYPH_SETS) for (const ch of set) homoglyphSet.set(ch, set);

/** Letters that a lost mark above turns into another allowed letter. */
const DIACRITIC_TWIN: Record<string, string> = { Е: 'Ё', И: 'Й' };
/** Confidence given to a read the normaliser may have spoilt: below any sensible accept threshold. */
const DOUBT_CONFIDENCE = 0.5;

/** The read of an empty cell. */
export const BLANK_READ: CharacterRead = {
  symbol: '',
  confidence: 1,
  alternatives: [],
  blank: true,
  homoglyphs: '',
};

/**
 * Probabilities over `allowed` (symbol order) from the model's logits, temperature-scaled and renormalised.
 */
export function allowedProbabilities(model: CharacterModel, logits: Float64Array, allowed: string): number[] {
  const t = model.header.temperature;
  const syms = [...allowed];
  const cls = syms.map((s) => model.classOf.get(s));
  // Twins sharing a class split its probability, so the pooled set probability stays the class's.
  const share = new Map<number, number>();
  for (const c of cls) if (c !== undefined) share.set(c, (share.get(c) ?? 0) + 1);
  let max = -Infinity;
  for (const c of share.keys()) max = Math.max(max, (logits[c] as number) / t);
  const p = cls.map((c) =>
    c === undefined ? 0 : Math.exp((logits[c] as number) / t - max) / (share.get(c) ?? 1),
  );
  const sum = p.reduce((a, b) => a + b, 0);
  return sum > 0 ? p.map((v) => v / sum) : p;
}

/**
 * Reads one cell. `allowed` lists the symbols the field accepts (e.g. ALPHABETS.digits); the result is always
 * one of them or blank. Accept `symbol` automatically only when `confidence` >= the model's acceptThreshold.
 */
export function readCharacter(tile: GreyTile, allowed: string, opts: ReadOptions = {}): CharacterRead {
  const norm = normaliseTile(tile, opts);
  if (norm.blank) return BLANK_READ;
  const model = opts.model ?? loadCharacterModel();
  const logits = model.net.forward(norm.pixels, norm.features);
  const syms = [...allowed];
  const p = allowedProbabilities(model, logits, allowed);
  const pooled = new Map<string, number>();
  syms.forEach((s, i) => {
    const set = homoglyphSet.get(s) ?? s;
    pooled.set(set, (pooled.get(set) ?? 0) + (p[i] as number));
  });
  let bestSet = '';
  let bestP = -1;
  for (const [set, v] of pooled) {
    if (v > bestP) {
      bestP = v;
      bestSet = set;
    }
  }
  const order = syms.map((s, i) => ({ symbol: s, p: p[i] as number })).sort((a, b) => b.p - a.p);
  const members = order.filter((a) => (homoglyphSet.get(a.symbol) ?? a.symbol) === bestSet);
  const symbol = members[0]?.symbol ?? '';
  const twin = DIACRITIC_TWIN[symbol];
  const unsafe =
    norm.streakThroughInk || (norm.markAboveDropped && twin !== undefined && allowed.includes(twin));
  return {
    symbol,
    confidence: Math.min(unsafe ? DOUBT_CONFIDENCE : 1, Math.max(0, bestP)),
    alternatives: order.slice(0, 5),
    blank: false,
    homoglyphs: members.length > 1 ? members.map((a) => a.symbol).join('') : '',
  };
}

type Script = 'digit' | 'cyrillic' | 'latin';

function scriptOf(ch: string): Script | undefined {
  if (ch >= '0' && ch <= '9') return 'digit';
  if ((ch >= 'А' && ch <= 'Я') || ch === 'Ё') return 'cyrillic';
  if (ch >= 'A' && ch <= 'Z') return 'latin';
  return undefined;
}

/**
 * Picks the member of each homoglyph set (Cyrillic А / Latin A, digit 1 / letter I …) from the answer's
 * unambiguous characters. A digit is chosen only in an answer with digits (or a comma or minus) and no
 * letter; a letter only in an answer with no digit, whose letters are all of one script. Anything else
 * cannot be settled: `fallback` decides when given, otherwise the ambiguous reads get confidence 0 so that a
 * human decides.
 */
export function resolveScripts(reads: CharacterRead[], fallback?: Script): CharacterRead[] {
  let cyrillic = 0;
  let latin = 0;
  let numeric = 0;
  for (const r of reads) {
    if (r.blank || r.homoglyphs) continue;
    const s = scriptOf(r.symbol);
    if (s === 'cyrillic') cyrillic++;
    else if (s === 'latin') latin++;
    else if (s === 'digit' || r.symbol === ',' || r.symbol === '-') numeric++;
  }
  const letters = cyrillic + latin;
  const script: Script | undefined =
    numeric > 0 && letters === 0
      ? 'digit'
      : numeric === 0 && cyrillic > 0 && latin === 0
        ? 'cyrillic'
        : numeric === 0 && latin > 0 && cyrillic === 0
          ? 'latin'
          : fallback;
  return reads.map((r) => {
    if (!r.homoglyphs) return r;
    const pick = script ? [...r.homoglyphs].find((ch) => scriptOf(ch) === script) : undefined;
    return pick ? { ...r, symbol: pick } : { ...r, confidence: 0 };
  });
}
