/**
 * Backward pass and AdamW for pipeline/characters.ts's CharacterNet. The forward pass is the inference code
 * itself, so the trained weights cannot drift from what the pipeline computes.
 */

import type { NetShape, NetWeights } from '../../pipeline/character-net.ts';
import { CharacterNet, TENSOR_NAMES, tensorSizes } from '../../pipeline/character-net.ts';
import type { Rng } from '../../samples/rng.ts';

function zeros(shape: NetShape): NetWeights {
  const sizes = tensorSizes(shape);
  const out = {} as NetWeights;
  for (const k of TENSOR_NAMES) out[k] = new Float64Array(sizes[k]);
  return out;
}

/** He-normal weights, zero biases. */
export function initWeights(shape: NetShape, rng: Rng): NetWeights {
  const w = zeros(shape);
  const fanIn: Record<'w1' | 'w2' | 'w3' | 'w4', number> = {
    w1: 9,
    w2: shape.c1 * 9,
    w3: shape.c2 * 49,
    w4: shape.hidden,
  };
  for (const k of ['w1', 'w2', 'w3', 'w4'] as const) {
    const sd = Math.sqrt(2 / fanIn[k]);
    const t = w[k];
    for (let i = 0; i < t.length; i++) t[i] = rng.normal(0, sd);
  }
  return w;
}

export class Trainer {
  readonly net: CharacterNet;
  private readonly grad: NetWeights;
  private readonly m: NetWeights;
  private readonly v: NetWeights;
  private steps = 0;
  private readonly dl: Float64Array;
  private readonly dh: Float64Array;
  private readonly keep: Float64Array;
  private readonly da2: Float64Array;
  private readonly dc2: Float64Array;
  private readonly da1: Float64Array;
  private readonly dc1: Float64Array;
  private readonly hot: Int32Array;

  constructor(
    shape: NetShape,
    weights: NetWeights,
    private readonly dropout: number,
  ) {
    this.net = new CharacterNet(shape, weights);
    this.grad = zeros(shape);
    this.m = zeros(shape);
    this.v = zeros(shape);
    this.dl = new Float64Array(shape.classes);
    this.dh = new Float64Array(shape.hidden);
    this.keep = new Float64Array(shape.hidden);
    this.da2 = new Float64Array(shape.c2 * 49);
    this.dc2 = new Float64Array(this.net.c2out.length);
    this.da1 = new Float64Array(196 * shape.c1);
    this.dc1 = new Float64Array(this.net.c1out.length);
    this.hot = new Int32Array(this.net.c1out.length);
  }

  /** Forward with dropout, softmax cross-entropy against `label`, gradients accumulated. Returns the loss. */
  accumulate(pixels: Float32Array, features: Float32Array, label: number, rng: Rng): number {
    const net = this.net;
    const { c1, c2, hidden: nh, classes } = net.shape;
    const { w2, w3, w4 } = net.weights;
    const g = this.grad;
    net.forward(pixels, features);
    const hid = net.hidden;
    const keep = this.keep;
    const scale = 1 / (1 - this.dropout);
    for (let j = 0; j < nh; j++) {
      keep[j] = (hid[j] as number) > 0 && !rng.chance(this.dropout) ? scale : 0;
      hid[j] = (hid[j] as number) * (keep[j] as number);
    }
    const logits = net.output();

    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((logits[c] as number) - max);
    const loss = Math.log(sum) + max - (logits[label] as number);

    const dl = this.dl;
    for (let c = 0; c < classes; c++) {
      const d = Math.exp((logits[c] as number) - max) / sum - (c === label ? 1 : 0);
      dl[c] = d;
      g.b4[c] = (g.b4[c] as number) + d;
    }
    // Dropped and ReLU-cut hidden units pass nothing back, so only live rows of w4 (hidden-major) are visited.
    const dh = this.dh;
    for (let j = 0; j < nh; j++) {
      const h = hid[j] as number;
      if (h === 0) {
        dh[j] = 0;
        continue;
      }
      const row = j * classes;
      let acc = 0;
      for (let c = 0; c < classes; c++) {
        const d = dl[c] as number;
        g.w4[row + c] = (g.w4[row + c] as number) + d * h;
        acc += d * (w4[row + c] as number);
      }
      dh[j] = acc;
    }

    const fcIn = net.fcIn;
    const a2 = net.a2;
    const da2 = this.da2;
    const convIn = c2 * 49;
    for (let j = 0; j < nh; j++) {
      const d = (dh[j] as number) * (keep[j] as number);
      dh[j] = d;
      g.b3[j] = (g.b3[j] as number) + d;
    }
    // A zero input is a pooled unit that ReLU cut: it passes no gradient down, so only its weights' rows
    // skip.
    for (let i = 0; i < fcIn; i++) {
      const v = a2[i] as number;
      if (v === 0) {
        if (i < convIn) da2[i] = 0;
        continue;
      }
      const row = i * nh;
      let acc = 0;
      for (let j = 0; j < nh; j++) {
        const d = dh[j] as number;
        g.w3[row + j] = (g.w3[row + j] as number) + d * v;
        acc += d * (w3[row + j] as number);
      }
      if (i < convIn) da2[i] = acc;
    }

    // Pool backward: only winners carry gradient; their positions are listed so clearing stays cheap.
    const dc2 = this.dc2;
    const hot = this.hot;
    let nHot = 0;
    for (let q = 0; q < convIn; q++) {
      const at = net.arg2[q] as number;
      const d = da2[q] as number;
      if (at >= 0 && d !== 0) {
        dc2[at] = d;
        hot[nHot++] = at;
        g.b2[at % c2] = (g.b2[at % c2] as number) + d;
      }
    }
    const a1 = net.a1;
    const da1 = this.da1;
    const taps1 = net.taps1;
    const taps2 = net.taps2;
    for (let y = 0; y < 14; y++) {
      for (let x = 0; x < 14; x++) {
        const base = (y * 14 + x) * c1;
        const at = ((y + 2) * 16 + x + 2) * c2;
        for (let i = 0; i < c1; i++) {
          const v = a1[base + i] as number;
          // A zero here is a cut pooled unit: no gradient goes below it, and its weights saw no input.
          if (v === 0) {
            da1[base + i] = 0;
            continue;
          }
          let acc = 0;
          for (let t = 0; t < 9; t++) {
            const out = at - (taps2[t] as number);
            const wk = (i * 9 + t) * c2;
            for (let o = 0; o < c2; o++) {
              const d = dc2[out + o] as number;
              g.w2[wk + o] = (g.w2[wk + o] as number) + v * d;
              acc += (w2[wk + o] as number) * d;
            }
          }
          da1[base + i] = acc;
        }
      }
    }
    for (let h = 0; h < nHot; h++) dc2[hot[h] as number] = 0;

    const dc1 = this.dc1;
    nHot = 0;
    for (let q = 0; q < 196 * c1; q++) {
      const at = net.arg1[q] as number;
      const d = da1[q] as number;
      if (at >= 0 && d !== 0) {
        dc1[at] = d;
        hot[nHot++] = at;
        g.b1[at % c1] = (g.b1[at % c1] as number) + d;
      }
    }
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = pixels[y * 28 + x] as number;
        if (v === 0) continue;
        const at = ((y + 2) * 30 + x + 2) * c1;
        for (let t = 0; t < 9; t++) {
          const out = at - (taps1[t] as number);
          const wk = t * c1;
          for (let o = 0; o < c1; o++) g.w1[wk + o] = (g.w1[wk + o] as number) + v * (dc1[out + o] as number);
        }
      }
    }
    for (let h = 0; h < nHot; h++) dc1[hot[h] as number] = 0;
    return loss;
  }

  /** One AdamW step with the mean of the accumulated gradients; clears them. */
  apply(batch: number, lr: number, weightDecay: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    this.steps++;
    const c1 = 1 - b1 ** this.steps;
    const c2 = 1 - b2 ** this.steps;
    for (const k of TENSOR_NAMES) {
      const w = this.net.weights[k];
      const g = this.grad[k];
      const m = this.m[k];
      const v = this.v[k];
      const decay = k.startsWith('w') ? 1 - lr * weightDecay : 1;
      for (let i = 0; i < w.length; i++) {
        const gi = (g[i] as number) / batch;
        const mi = b1 * (m[i] as number) + (1 - b1) * gi;
        const vi = b2 * (v[i] as number) + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = (w[i] as number) * decay - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + 1e-8);
      }
      g.fill(0);
    }
  }
}
