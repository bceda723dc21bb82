/**
 * Training and evaluation data for the cell classifier: the hand-drawn Cyrillic corpus, MNIST digits and the
 * synthetic stroke font (samples/glyphs.ts), split deterministically, plus the class list of the model.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { ALPHABETS } from '../../forms/alphabets.ts';
import { GLYPH_CHARS } from '../../samples/glyphs.ts';
import { PEN_MARK_SYMBOLS } from '../../samples/pen-marks.ts';
import { createRng } from '../../samples/rng.ts';

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
 * Deterministic stratified split: within each label, a seeded shuffle gives 80 % train, 10 % validation and
 * 10 % test. Returns the split of every item index.
 */
export function stratifiedSplit(labels: string[], seed: string): Split[] {
  const byLabel = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const list = byLabel.get(l) ?? [];
    list.push(i);
    byLabel.set(l, list);
  });
  const out: Split[] = new Array(labels.length).fill('train');
  for (const [label, idx] of [...byLabel].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const rng = createRng(`${seed}:${label}`);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    const nVal = Math.round(idx.length * 0.1);
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

let mnistCache: { samples: Sample[]; splits: Split[] } | undefined;

/** The `mnist` package's 10,000 digits (28x28, 0..1 ink), split like the corpus. */
export function loadMnist(): { samples: Sample[]; splits: Split[] } {
  if (mnistCache) return mnistCache;
  const require = createRequire(import.meta.url);
  const samples: Sample[] = [];
  const labels: string[] = [];
  for (let d = 0; d <= 9; d++) {
    const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    for (let i = 0; i + 784 <= raw.length; i += 784) {
      const bitmap = cropInk(Float32Array.from(raw.slice(i, i + 784)), 28, 28);
      if (!bitmap) continue;
      samples.push({ symbol: String(d), origin: 'mnist', bitmap });
      labels.push(String(d));
    }
  }
  mnistCache = { samples, splits: stratifiedSplit(labels, 'mnist-split-v1') };
  return mnistCache;
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
