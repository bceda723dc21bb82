/**
 * The character classifier's network: a small CNN (two convolutions with pooling, two dense layers)
 * evaluated in plain TypeScript over flat float64 tensors.
 */
import { FEATURES } from './character-tile.ts';

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
