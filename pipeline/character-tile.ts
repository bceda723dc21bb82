/**
 * A cell's tile made ready for the classifier: ink threshold, dust, streak and border-dot removal, blank
 * detection, and the ink scaled into the model's input with its size and position as extra features.
 */

/** A crop around one cell at scan resolution (any dpi 150-600), 255 = paper. */
export interface GreyTile {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface TileOptions {
  /** Grey level below which a pixel is ink; default: Otsu, floored at paper - MIN_CONTRAST. */
  inkThreshold?: number;
  /** Scan pixels per mm; default: tile height / TILE_HEIGHT_MM. */
  pxPerMm?: number;
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
/**
 * Ink whose extent stays below this is not a character: the smallest, a pen comma, is 1 mm tall plus its stroke
 * (samples/pen-marks.ts; test/characters.test.ts keeps the smallest one as ink).
 */
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
export function normaliseTile(tile: GreyTile, opts: TileOptions = {}): NormalisedTile {
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
