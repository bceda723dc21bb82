/**
 * Held-out tile sets and the accuracy / accept-rate / error-among-accepted figures shared by the trainer, the
 * benchmark and the tests.
 */

import { ALPHABETS } from '../../forms/alphabets.ts';
import type { GreyTile } from '../../pipeline/character-tile.ts';
import type { CharacterRead } from '../../pipeline/characters.ts';
import { createRng } from '../../samples/rng.ts';
import type { Group, Sample, Split } from './data.ts';
import { groupOf, loadCorpus, loadMnist, penSamples, pick, syntheticSamples } from './data.ts';
import { renderCell } from './tiles.ts';

export const GROUPS: Group[] = ['digits', 'cyrillic', 'latin', 'punctuation'];

/** The field a symbol of each group is read in: numeric answers, Russian words, English words. */
export const FIELD_SETS: Record<Group, string> = {
  digits: `${ALPHABETS.digits},-`,
  cyrillic: ALPHABETS.cyrillic,
  latin: ALPHABETS.latin,
  punctuation: `${ALPHABETS.digits},-`,
};

export interface TileItem {
  sample: Sample;
  tile: GreyTile;
}

/** Each item gets its own rng stream, so a set renders identically whatever else changes. */
export function renderSet(samples: Sample[], seed: string): TileItem[] {
  const root = createRng(seed);
  return samples.map((sample, i) => ({ sample, tile: renderCell(sample, root.fork(String(i))) }));
}

/** Synthetic held-out items: `perSymbol` of each symbol. */
export function syntheticSet(perSymbol: number, seed: string): TileItem[] {
  return renderSet(
    syntheticSamples(() => perSymbol),
    seed,
  );
}

/** Corpus + MNIST items of one split, and synthetic glyphs and pen marks drawn with their own seeds. */
export function heldOutSet(split: Split, syntheticPerSymbol: number, penPerSymbol: number): TileItem[] {
  const real = [...pick(loadCorpus(), split), ...pick(loadMnist(), split)];
  return [
    ...renderSet(real, `tiles-${split}`),
    ...syntheticSet(syntheticPerSymbol, `synthetic-${split}`),
    ...renderSet(penSamples(penPerSymbol), `pen-${split}`),
  ];
}

/** Correct when the symbol matches, or for free-answer reads when the truth is among its homoglyphs. */
export function isCorrect(read: CharacterRead, truth: string): boolean {
  if (read.blank) return false;
  return read.symbol === truth || read.homoglyphs.includes(truth);
}

export interface Outcome {
  symbol: string;
  /** The symbol read ('' for blank). */
  read: string;
  group: Group;
  origin: Sample['origin'];
  correct: boolean;
  confidence: number;
  blank: boolean;
}

export function outcome(item: TileItem, read: CharacterRead): Outcome {
  return {
    symbol: item.sample.symbol,
    read: read.symbol,
    group: groupOf(item.sample.symbol),
    origin: item.sample.origin,
    correct: isCorrect(read, item.sample.symbol),
    // A glyph read as blank is an accepted error: blank reads are certain.
    confidence: read.blank ? 1 : read.confidence,
    blank: read.blank,
  };
}

export interface Figures {
  n: number;
  accuracy: number;
  /** Glyph tiles the normaliser called blank. */
  blank: number;
  accepted: number;
  errorAmongAccepted: number;
  /** Errors among accepted (count), to judge how much a small rate means. */
  acceptedErrors: number;
}

export function figures(outcomes: Outcome[], threshold: number): Figures {
  const n = outcomes.length;
  let correct = 0;
  let blank = 0;
  let accepted = 0;
  let acceptedErrors = 0;
  for (const o of outcomes) {
    if (o.correct) correct++;
    if (o.blank) blank++;
    if (o.confidence >= threshold) {
      accepted++;
      if (!o.correct) acceptedErrors++;
    }
  }
  return {
    n,
    accuracy: n ? correct / n : 0,
    blank: n ? blank / n : 0,
    accepted: n ? accepted / n : 0,
    errorAmongAccepted: accepted ? acceptedErrors / accepted : 0,
    acceptedErrors,
  };
}

/**
 * Lowest confidence threshold at which the error among accepted stays within `maxError` (the largest accepted
 * share meeting the target).
 */
export function chooseThreshold(outcomes: Outcome[], maxError: number): number {
  const sorted = [...outcomes].sort((a, b) => b.confidence - a.confidence);
  let best = 1;
  let errors = 0;
  sorted.forEach((o, i) => {
    if (!o.correct) errors++;
    // Only cut between distinct confidences, so everything at the threshold is really accepted.
    if (sorted[i + 1]?.confidence === o.confidence) return;
    if (errors / (i + 1) <= maxError) best = o.confidence;
  });
  return best;
}

export const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;
