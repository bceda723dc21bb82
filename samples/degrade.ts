/**
 * Degrades clean synthetic form pages the way real scanners and phone cameras do, and reports the exact
 * geometric transform applied so registration can be tested against ground truth.
 *
 * Coordinate convention (source and output alike): pixel (i, j) has its centre at (i, j), so an image of
 * width W covers x ∈ [-0.5, W - 0.5]. A dpi change by factor s therefore maps x to s·(x + 0.5) - 0.5.
 *
 * Pipeline: one homography (page centre → 180° feed flip → rotation/scale → translation → keystone in the
 * camera frame → dpi change), warped by inverse mapping with bilinear interpolation in pure JS; the
 * exposure/background tone curve is folded into the warp as a lookup table. Then blur (sharp), gaussian
 * noise, dust, streaks, and encoding (sharp). The output frame is the page size at the output dpi, as if the
 * scanner bed were exactly the page: content moved out of it is lost, uncovered areas are paper.
 */
import sharp from 'sharp';
import { invert3, type Matrix3, multiply3 } from '../pipeline/geometry.ts';
import type { GreyImage } from '../pipeline/image.ts';
import type { Rng } from './rng.ts';

export type { GreyImage, Matrix3 };

export interface DegradeParams {
  /** Degrees, positive = counter-clockwise on screen, about the page centre. -7..7 typical. */
  rotationDeg: number;
  /** Page fed rotated 180°. */
  upsideDown: boolean;
  /** 0.96..1.04. */
  scale: number;
  /** Shift of the content in the frame, +x right, +y down. */
  translateMm: [number, number];
  /**
   * The capture frame extends this far beyond the page on every side (a scanner bed larger than the sheet, a
   * photo with the table around it), so rotation and translation do not cut the page's corners off.
   */
  marginMm: number;
  /**
   * Keystone along the vertical axis of the frame: the far edge is (1 - |perspective|) times as long as the
   * near one, i.e. its corners move inwards by |perspective|·width/2. Positive = top edge far (phone tilted
   * away at the top), negative = bottom edge far. 0 = none; up to ~0.03 = mild.
   */
  perspective: number;
  /** Output resolution, 150..600 (input is 300 dpi). */
  dpi: number;
  /** Gaussian blur sigma in output pixels, 0 = none. */
  blurSigmaPx: number;
  /** Gaussian noise sd in grey levels, 0 = none. */
  noiseSd: number;
  /** null = PNG (lossless). */
  jpegQuality: number | null;
  /** Count of dark specks. */
  dust: number;
  /** Count of vertical scanner streaks (thin light or dark lines along the feed direction). */
  streaks: number;
  /**
   * Gain on darkness (255 - value): <1 under-inked/over-exposed, >1 darker. It also shifts the paper level
   * by 30·(1 - exposure) grey levels (EXPOSURE_PAPER_SHIFT), so an over-exposed page is lighter overall.
   */
  exposure: number;
  /** Paper grey 225..255 before the exposure shift. */
  background: number;
  /**
   * A 1-bit scan: `dither` diffuses each pixel's error to its neighbours (Floyd–Steinberg, as scanners'
   * halftone modes do: grey becomes a dot pattern), `threshold` cuts at mid-grey. Absent: greyscale.
   */
  bilevel?: 'dither' | 'threshold';
}

export interface Degraded {
  /** Encoded PNG or JPEG bytes, 1 channel. */
  image: Uint8Array;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Maps SOURCE pixel coordinates (input image, 300 dpi) to OUTPUT pixel coordinates. */
  transform: Matrix3;
  params: DegradeParams;
}

export type DegradeProfile = 'clean' | 'scanner' | 'phone' | 'harsh';

const SOURCE_DPI = 300;
const EXPOSURE_PAPER_SHIFT = 30;
/** Below this dpi ratio bilinear sampling skips source pixels and aliases thin lines, so sharp reduces first. */
const PREFILTER_BELOW = 0.9;
/** sharp rejects smaller sigmas; blur this faint is invisible anyway. */
const MIN_BLUR_SIGMA = 0.3;
const NOISE_TABLE_SIZE = 1 << 16;

/*
 * Profile ranges (U = uniform, ± = symmetric uniform, pick = one of):
 *
 * | param        | clean      | scanner                    | phone                 | harsh                         |
 * |--------------|------------|----------------------------|-----------------------|-------------------------------|
 * | rotationDeg  | ±0.5       | ±3                         | ±7                    | ±7                            |
 * | upsideDown   | never      | 10%                        | 5%                    | 20%                           |
 * | scale        | 1          | U 0.995..1.005             | U 0.96..1.04          | U 0.96..1.04                  |
 * | translateMm  | ±1         | ±4                         | ±10                   | ±8                            |
 * | marginMm     | 0          | U 8..14                    | U 20..25              | U 20..25                      |
 * | perspective  | 0          | 0                          | ±U 0..0.03            | ±U 0.02..0.03                 |
 * | dpi          | 300        | pick 200/240/300/400       | int 150..300          | 150                           |
 * | blurSigmaPx  | 0          | U 0..0.8                   | U 0.3..1.5            | U 1..2                        |
 * | noiseSd      | 0          | U 0..4                     | U 2..8                | U 8..14                       |
 * | jpegQuality  | PNG        | 70%: int 60..90, else PNG  | int 40..80            | 40                            |
 * | dust         | 0          | int 0..5                   | int 0..3              | int 10..40                    |
 * | streaks      | 0          | 30%: int 1..2, else 0      | 0 (no feed)           | int 2..5                      |
 * | exposure     | 1          | U 0.9..1.1                 | U 0.75..1.25          | 50/50 U 0.55..0.7 or 1.3..1.5 |
 * | background   | U 250..255 | U 235..255                 | U 225..250            | U 225..240                    |
 */
export function randomDegradeParams(rng: Rng, profile: DegradeProfile): DegradeParams {
  const sym = (m: number) => rng.range(-m, m);
  const signed = (lo: number, hi: number) => (rng.chance(0.5) ? 1 : -1) * rng.range(lo, hi);
  switch (profile) {
    case 'clean':
      return {
        rotationDeg: sym(0.5),
        upsideDown: false,
        scale: 1,
        translateMm: [sym(1), sym(1)],
        marginMm: 0,
        perspective: 0,
        dpi: 300,
        blurSigmaPx: 0,
        noiseSd: 0,
        jpegQuality: null,
        dust: 0,
        streaks: 0,
        exposure: 1,
        background: rng.range(250, 255),
      };
    case 'scanner':
      return {
        rotationDeg: sym(3),
        upsideDown: rng.chance(0.1),
        scale: rng.range(0.995, 1.005),
        translateMm: [sym(4), sym(4)],
        marginMm: rng.range(8, 14),
        perspective: 0,
        dpi: rng.pick([200, 240, 300, 400]),
        blurSigmaPx: rng.range(0, 0.8),
        noiseSd: rng.range(0, 4),
        jpegQuality: rng.chance(0.7) ? rng.int(60, 90) : null,
        dust: rng.int(0, 5),
        streaks: rng.chance(0.3) ? rng.int(1, 2) : 0,
        exposure: rng.range(0.9, 1.1),
        background: rng.range(235, 255),
      };
    case 'phone':
      return {
        rotationDeg: sym(7),
        upsideDown: rng.chance(0.05),
        scale: rng.range(0.96, 1.04),
        translateMm: [sym(10), sym(10)],
        marginMm: rng.range(20, 25),
        perspective: signed(0, 0.03),
        dpi: rng.int(150, 300),
        blurSigmaPx: rng.range(0.3, 1.5),
        noiseSd: rng.range(2, 8),
        jpegQuality: rng.int(40, 80),
        dust: rng.int(0, 3),
        streaks: 0,
        exposure: rng.range(0.75, 1.25),
        background: rng.range(225, 250),
      };
    case 'harsh':
      return {
        rotationDeg: sym(7),
        upsideDown: rng.chance(0.2),
        scale: rng.range(0.96, 1.04),
        translateMm: [sym(8), sym(8)],
        marginMm: rng.range(20, 25),
        perspective: signed(0.02, 0.03),
        dpi: 150,
        blurSigmaPx: rng.range(1, 2),
        noiseSd: rng.range(8, 14),
        jpegQuality: 40,
        dust: rng.int(10, 40),
        streaks: rng.int(2, 5),
        exposure: rng.chance(0.5) ? rng.range(0.55, 0.7) : rng.range(1.3, 1.5),
        background: rng.range(225, 240),
      };
  }
}

const translation = (tx: number, ty: number): Matrix3 => [1, 0, tx, 0, 1, ty, 0, 0, 1];

/** Maps x to s·(x + 0.5) - 0.5 per axis: a resolution change under the pixel-centre convention. */
const resample = (sx: number, sy: number): Matrix3 => [sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1];

/**
 * Vertical keystone in a frame centred on the page, of half-height b: the edge at y = -b (or +b when
 * perspective < 0) is shortened by the factor 1 - |perspective|, both horizontal edges stay at y = ±b.
 */
function keystone(perspective: number, b: number): Matrix3 {
  const q = Math.abs(perspective);
  const sign = perspective < 0 ? -1 : 1;
  const r = 1 / (1 - q);
  const k = (r - 1) / (2 * b);
  return [1, 0, 0, 0, (1 + r) / 2, (sign * b * (1 - r)) / 2, 0, -k * sign, 1 + k * b];
}

/** The source → output homography for a page of the given size at SOURCE_DPI. */
export function pageTransform(width: number, height: number, params: DegradeParams): Matrix3 {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const flip = params.upsideDown ? -1 : 1;
  const theta = (params.rotationDeg * Math.PI) / 180;
  // Counter-clockwise on screen in y-down coordinates.
  const cos = flip * params.scale * Math.cos(theta);
  const sin = flip * params.scale * Math.sin(theta);
  const pxPerMm = SOURCE_DPI / 25.4;
  const s = params.dpi / SOURCE_DPI;
  let m: Matrix3 = translation(-cx, -cy);
  m = multiply3([cos, sin, 0, -sin, cos, 0, 0, 0, 1], m);
  m = multiply3(translation(params.translateMm[0] * pxPerMm, params.translateMm[1] * pxPerMm), m);
  m = multiply3(keystone(params.perspective, height / 2), m);
  const margin = params.marginMm * pxPerMm;
  m = multiply3(translation(cx + margin, cy + margin), m);
  return multiply3(resample(s, s), m);
}

/** Maps source grey to output grey: paper goes to the (exposure-shifted) background, darkness scales by exposure. */
function toneCurve(params: DegradeParams): Uint8Array {
  const paper = Math.min(255, Math.max(0, params.background + EXPOSURE_PAPER_SHIFT * (1 - params.exposure)));
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const out = paper * (1 - (params.exposure * (255 - v)) / 255);
    lut[v] = Math.round(Math.min(255, Math.max(0, out)));
  }
  return lut;
}

/**
 * Inverse-maps every output pixel through `inv` (output → src) and samples bilinearly; samples outside the
 * source read as paper white, which also anti-aliases the page edge. Numerators and denominator are linear
 * along a row, so they are stepped rather than recomputed.
 */
function warp(src: GreyImage, inv: Matrix3, outW: number, outH: number, lut: Uint8Array): Uint8Array {
  const { data, width: w, height: h } = src;
  const out = new Uint8Array(outW * outH);
  const [a, b, c, d, e, f, g, hh, i] = inv;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 255 : data[y * w + x]!);
  for (let v = 0, o = 0; v < outH; v++) {
    let X = b * v + c;
    let Y = e * v + f;
    let Z = hh * v + i;
    for (let u = 0; u < outW; u++, o++, X += a, Y += d, Z += g) {
      const x = X / Z;
      const y = Y / Z;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) {
        out[o] = lut[255]!;
        continue;
      }
      const fx = x - x0;
      const fy = y - y0;
      let p00: number;
      let p01: number;
      let p10: number;
      let p11: number;
      if (x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1) {
        const k = y0 * w + x0;
        p00 = data[k]!;
        p01 = data[k + 1]!;
        p10 = data[k + w]!;
        p11 = data[k + w + 1]!;
      } else {
        p00 = at(x0, y0);
        p01 = at(x0 + 1, y0);
        p10 = at(x0, y0 + 1);
        p11 = at(x0 + 1, y0 + 1);
      }
      const top = p00 + (p01 - p00) * fx;
      const bottom = p10 + (p11 - p10) * fx;
      out[o] = lut[(top + (bottom - top) * fy + 0.5) | 0]!;
    }
  }
  return out;
}

/** Reduces the page with sharp's triangle kernel (stretched to the reduction, so area-averaging, no ringing). */
async function reduce(page: GreyImage, width: number, height: number): Promise<GreyImage> {
  const data = await sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  return { data, width, height };
}

async function blur(img: GreyImage, sigma: number): Promise<Uint8Array> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .blur(sigma)
    .toColourspace('b-w')
    .raw()
    .toBuffer();
}

/** Gaussian noise from a seeded table indexed by an inline xorshift: millions of Box–Muller draws are slow. */
function addNoise(data: Uint8Array, sd: number, rng: Rng): void {
  const table = new Float32Array(NOISE_TABLE_SIZE);
  // The +0.5 makes the truncating Uint8Array store round to nearest.
  for (let i = 0; i < NOISE_TABLE_SIZE; i++) table[i] = rng.normal(0, sd) + 0.5;
  let s = rng.int(1, 0xffffffff) | 0;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const v = data[i]! + table[s >>> 16]!;
    data[i] = v <= 0 ? 0 : Math.min(v, 255);
  }
}

/** Dark specks: 1–3 overlapping soft-edged discs of radius 1–4 px each, never lightening what is there. */
function addDust(img: GreyImage, count: number, rng: Rng): void {
  const { data, width, height } = img;
  for (let n = 0; n < count; n++) {
    const cx = rng.range(0, width);
    const cy = rng.range(0, height);
    const ink = rng.range(15, 90);
    const discs = rng.int(1, 3);
    for (let k = 0; k < discs; k++) {
      const r = rng.range(1, 4);
      // Extra discs sit off-centre so specks are irregular rather than perfect dots.
      const dx = k === 0 ? cx : cx + rng.range(-r, r);
      const dy = k === 0 ? cy : cy + rng.range(-r, r);
      const x1 = Math.min(width - 1, Math.ceil(dx + r + 1));
      const y1 = Math.min(height - 1, Math.ceil(dy + r + 1));
      for (let y = Math.max(0, Math.floor(dy - r - 1)); y <= y1; y++) {
        for (let x = Math.max(0, Math.floor(dx - r - 1)); x <= x1; x++) {
          const cover = Math.min(1, Math.max(0, r + 0.5 - Math.hypot(x - dx, y - dy)));
          const i = y * width + x;
          const old = data[i]!;
          data[i] = Math.round(Math.min(old, old + (ink - old) * cover));
        }
      }
    }
  }
}

/**
 * Full-height lines at a fixed x: dirt or a dead element on a sheet-fed scanner's stationary sensor draws
 * along the feed direction, which is vertical in the output frame whatever the page orientation.
 */
function addStreaks(img: GreyImage, count: number, rng: Rng): void {
  const { data, width, height } = img;
  for (let n = 0; n < count; n++) {
    const cx = rng.range(0, width);
    const half = rng.range(0.3, 1.5);
    const strength = rng.range(0.25, 0.6);
    const light = rng.chance(0.5);
    // Slow intensity wander along the streak, as the dirt's contact with the glass varies.
    const period = rng.range(200, 1200);
    const phase = rng.range(0, 2 * Math.PI);
    const x0 = Math.max(0, Math.floor(cx - half - 1));
    const x1 = Math.min(width - 1, Math.ceil(cx + half + 1));
    for (let x = x0; x <= x1; x++) {
      const cover = Math.min(1, Math.max(0, half + 0.5 - Math.abs(x - cx)));
      if (cover === 0) continue;
      for (let y = 0; y < height; y++) {
        const a = cover * strength * (0.8 + 0.2 * Math.sin((2 * Math.PI * y) / period + phase));
        const i = y * width + x;
        const old = data[i]!;
        data[i] = Math.round(light ? old + (255 - old) * a : old * (1 - a));
      }
    }
  }
}

/** Floyd–Steinberg error diffusion to black and white, in place: the local mean grey survives as dot density. */
function ditherToBlackAndWhite(img: GreyImage): void {
  const { data, width, height } = img;
  let row = new Float32Array(width + 2);
  let next = new Float32Array(width + 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = data[i]! + row[x + 1]!;
      const out = v < 128 ? 0 : 255;
      const err = v - out;
      data[i] = out;
      row[x + 2]! += (err * 7) / 16;
      next[x]! += (err * 3) / 16;
      next[x + 1]! += (err * 5) / 16;
      next[x + 2]! += err / 16;
    }
    [row, next] = [next, row];
    next.fill(0);
  }
}

/**
 * Degrades a clean 300 dpi page. The result is a pure function of (page, params, rng state): geometry depends
 * on params alone, noise/dust/streak placement on forks of `rng`.
 */
export async function degrade(page: GreyImage, params: DegradeParams, rng: Rng): Promise<Degraded> {
  if (page.data.length !== page.width * page.height) throw new Error('page data does not match its size');
  if (!(params.dpi > 0)) throw new Error(`invalid dpi ${params.dpi}`);
  const s = params.dpi / SOURCE_DPI;
  const margin = (2 * params.marginMm * SOURCE_DPI) / 25.4;
  const width = Math.max(1, Math.round((page.width + margin) * s));
  const height = Math.max(1, Math.round((page.height + margin) * s));
  const transform = pageTransform(page.width, page.height, params);

  // Strong downscales go through sharp's antialiased reduce to the output size first; the warp then samples the
  // reduced image, whose pixel grid relates to the source by another resample.
  let source = page;
  let inverse = invert3(transform);
  if (s < PREFILTER_BELOW) {
    const rw = Math.max(1, Math.round(page.width * s));
    const rh = Math.max(1, Math.round(page.height * s));
    source = await reduce(page, rw, rh);
    inverse = multiply3(resample(rw / page.width, rh / page.height), inverse);
  }
  const img: GreyImage = { data: warp(source, inverse, width, height, toneCurve(params)), width, height };

  if (params.blurSigmaPx >= MIN_BLUR_SIGMA) img.data = await blur(img, params.blurSigmaPx);
  if (params.noiseSd > 0) addNoise(img.data, params.noiseSd, rng.fork('noise'));
  if (params.dust > 0) addDust(img, params.dust, rng.fork('dust'));
  if (params.streaks > 0) addStreaks(img, params.streaks, rng.fork('streaks'));

  if (params.bilevel === 'dither') ditherToBlackAndWhite(img);
  else if (params.bilevel === 'threshold')
    for (let i = 0; i < img.data.length; i++) img.data[i] = img.data[i]! < 128 ? 0 : 255;

  const encoder = sharp(img.data, { raw: { width, height, channels: 1 } }).toColourspace('b-w');
  // A 1-bit scan is stored losslessly (TIFF G4, PNG): JPEG would smear its dots back into grey.
  const quality = params.bilevel ? null : params.jpegQuality;
  const image =
    quality === null
      ? await encoder.png().toBuffer()
      : await encoder.jpeg({ quality: Math.round(quality) }).toBuffer();
  const format = quality === null ? 'png' : 'jpeg';
  return { image, format, width, height, transform, params };
}
