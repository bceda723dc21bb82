/**
 * Cell classifier on held-out data: top-1 accuracy, share accepted and error among accepted at the proposed
 * thresholds, per character group and source, and median time per cell; then tesseract.js 7 (PSM 10, field
 * whitelist) on a fixed sample of the same tiles.
 *
 *   npx tsx bench/characters.ts [--tesseract 300] [--synthetic 30] [--pen 300]
 */

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createWorker, OEM, PSM } from 'tesseract.js';
import type { Group } from '../calibration/characters/data.ts';
import { groupOf, SYMBOLS } from '../calibration/characters/data.ts';
import type { Outcome, TileItem } from '../calibration/characters/evaluate.ts';
import { FIELD_SETS, figures, GROUPS, heldOutSet, outcome, pct } from '../calibration/characters/evaluate.ts';
import { renderCell } from '../calibration/characters/tiles.ts';
import { loadCharacterModel } from '../pipeline/character-model.ts';
import type { GreyTile } from '../pipeline/character-tile.ts';
import { readCharacter } from '../pipeline/characters.ts';
import { createRng, shuffle } from '../samples/rng.ts';

const TESSDATA = '/usr/share/tesseract-ocr/5/tessdata';
/** Tiles are rendered with a height of 5.9-8.1 mm; the bench assumes 7 mm to recover the scan resolution. */
const TILE_MM = 7;
/** Symbols reported one by one besides their group. */
const PER_SYMBOL = [',', '-'];

const { values } = parseArgs({
  options: {
    tesseract: { type: 'string', default: '300' },
    synthetic: { type: 'string', default: '30' },
    pen: { type: 'string', default: '300' },
    blanks: { type: 'string', default: '2000' },
  },
});

const model = loadCharacterModel();
const accept = model.header.acceptThreshold;
const thresholds = [...new Set([0.9, 0.99, 0.998, accept])].sort((a, b) => a - b);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** Rows per group and source, then per group, then all; each with figures at every threshold. */
function report(title: string, outcomes: Outcome[], levels: number[]): void {
  console.log(`\n${title}`);
  const head = ['group', 'source', 'n', 'top-1', 'as blank'];
  for (const t of levels) head.push(`acc@${t}`, `err@${t}`);
  const rows: string[][] = [];
  const row = (group: string, source: string, set: Outcome[]): void => {
    if (set.length === 0) return;
    const base = figures(set, 1);
    const cells = [group, source, String(base.n), pct(base.accuracy, 2), pct(base.blank, 2)];
    for (const t of levels) {
      const f = figures(set, t);
      cells.push(pct(f.accepted, 1), `${pct(f.errorAmongAccepted, 2)} (${f.acceptedErrors})`);
    }
    rows.push(cells);
  };
  for (const g of GROUPS) {
    const inGroup = outcomes.filter((o) => o.group === g);
    const origins = [...new Set(inGroup.map((o) => o.origin))];
    if (origins.length > 1)
      for (const origin of origins)
        row(
          g,
          origin,
          inGroup.filter((o) => o.origin === origin),
        );
    row(g, origins.length > 1 ? 'all' : (origins[0] ?? ''), inGroup);
    // Commas and minus signs are few among the punctuation: each gets its own row.
    if (g === 'punctuation')
      for (const symbol of PER_SYMBOL)
        for (const origin of origins)
          row(
            `'${symbol}'`,
            origin,
            inGroup.filter((o) => o.symbol === symbol && o.origin === origin),
          );
  }
  row('all', 'all', outcomes);
  table(head, rows);
  for (const symbol of PER_SYMBOL) {
    const wrong = new Map<string, number>();
    for (const o of outcomes)
      if (o.symbol === symbol && !o.correct) wrong.set(o.read, (wrong.get(o.read) ?? 0) + 1);
    const list = [...wrong].sort((a, b) => b[1] - a[1]).map(([r, k]) => `${r || 'blank'} ${k}`);
    console.log(`'${symbol}' misread as: ${list.join(', ') || 'nothing'}`);
  }
}

const started = performance.now();
const test = heldOutSet('test', Number(values.synthetic), Number(values.pen));
console.log(
  `model: ${model.header.classes.length} classes, T ${model.header.temperature.toFixed(3)}, ` +
    `accept threshold ${accept}; test tiles ${test.length} (rendered in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
);

// Warm the JIT so the timing below is steady-state.
for (const item of test.slice(0, 300)) readCharacter(item.tile, SYMBOLS);

const field: Outcome[] = [];
const free: Outcome[] = [];
const ms: number[] = [];
const ms300: number[] = [];
for (const item of test) {
  const allowed = FIELD_SETS[groupOf(item.sample.symbol)];
  const t0 = performance.now();
  const read = readCharacter(item.tile, allowed);
  const dt = performance.now() - t0;
  ms.push(dt);
  // Tiles around 300 dpi (11.8 px/mm): the usual scanning resolution.
  const pxmm = item.tile.height / TILE_MM;
  if (pxmm > 10.5 && pxmm < 13) ms300.push(dt);
  field.push(outcome(item, read));
  free.push(outcome(item, readCharacter(item.tile, SYMBOLS)));
}

const blankRng = createRng('bench-blanks');
const blankMs: number[] = [];
let blanksRead = 0;
let blanksAccepted = 0;
const nBlanks = Number(values.blanks);
for (let i = 0; i < nBlanks; i++) {
  const tile = renderCell(undefined, blankRng.fork(String(i)));
  const t0 = performance.now();
  const r = readCharacter(tile, SYMBOLS);
  blankMs.push(performance.now() - t0);
  if (r.blank) blanksRead++;
  else if (r.confidence >= accept) blanksAccepted++;
}

report(
  'Field setting (allowed = the field a symbol belongs to: digits , - | Cyrillic | Latin); figures are acc = share accepted, err = wrong among accepted (count)',
  field,
  thresholds,
);
report(
  'Free-answer setting (allowed = all 71 symbols; right if the truth is in the homoglyph set, e.g. О/O/0)',
  free,
  thresholds,
);
console.log(
  `\nblank cells (dust, specks, dotted outline): ${pct(blanksRead / nBlanks, 2)} of ${nBlanks} read as blank, ` +
    `${blanksAccepted} read as an accepted character; a glyph read as blank counts above as an accepted error.`,
);
console.log(
  `time per cell (readCharacter incl. normalisation, one core): median ${median(ms).toFixed(3)} ms all dpi, ` +
    `${median(ms300).toFixed(3)} ms at ~300 dpi (n ${ms300.length}), blank cells ${median(blankMs).toFixed(3)} ms`,
);

/** The same tile resampled to ~300 dpi and padded with paper, as tesseract expects a text-sized glyph. */
async function tesseractImage(tile: GreyTile): Promise<Buffer> {
  const scale = 300 / 25.4 / (tile.height / TILE_MM);
  return sharp(Buffer.from(tile.data), { raw: { width: tile.width, height: tile.height, channels: 1 } })
    .resize(Math.max(8, Math.round(tile.width * scale)), Math.max(8, Math.round(tile.height * scale)))
    .extend({ top: 20, bottom: 20, left: 20, right: 20, background: '#ffffff' })
    .png()
    .toBuffer();
}

/** A fixed sample spread over the groups: the tesseract run is ~100 ms per tile. */
function tesseractSample(n: number): TileItem[] {
  const rng = createRng('bench-tesseract');
  const share: Record<Group, number> = { digits: 0.27, cyrillic: 0.33, latin: 0.27, punctuation: 0.13 };
  const out: TileItem[] = [];
  for (const g of GROUPS) {
    const pool = shuffle(
      test.filter((it) => groupOf(it.sample.symbol) === g),
      rng,
    );
    out.push(...pool.slice(0, Math.round(n * share[g])));
  }
  return out;
}

type TesseractWorker = Awaited<ReturnType<typeof createWorker>>;

/** Worker creation hangs offline when a language file is missing (env notes), hence the timeout. */
async function tesseractWorker(langs: string[]): Promise<TesseractWorker> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('tesseract worker creation timed out after 60 s')), 60_000);
  });
  return Promise.race([
    createWorker(langs, OEM.LSTM_ONLY, {
      langPath: TESSDATA,
      gzip: false,
      cacheMethod: 'none',
      errorHandler: (e: unknown) => console.error('tesseract:', e),
    }),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/** Reads every tile with the worker `pick` gives for its group, whitelisting the group's field symbols. */
async function tesseractRun(
  sample: TileItem[],
  pick: (g: Group) => TesseractWorker,
): Promise<{ outcomes: Outcome[]; ms: number[] }> {
  const outcomes: Outcome[] = [];
  const ms: number[] = [];
  const whitelist = new Map<TesseractWorker, string>();
  for (const item of sample) {
    const group = groupOf(item.sample.symbol);
    const worker = pick(group);
    const allowed = FIELD_SETS[group];
    if (whitelist.get(worker) !== allowed) {
      await worker.setParameters({
        tessedit_pageseg_mode: PSM.SINGLE_CHAR,
        tessedit_char_whitelist: allowed,
        user_defined_dpi: '300',
      });
      whitelist.set(worker, allowed);
    }
    const png = await tesseractImage(item.tile);
    const t0 = performance.now();
    const { data } = await worker.recognize(png);
    ms.push(performance.now() - t0);
    // Tesseract has no blank result: an empty string is a rejection (confidence 0), not a blank cell.
    const symbol = [...data.text.trim()][0] ?? '';
    const confidence = symbol ? data.confidence / 100 : 0;
    outcomes.push(outcome(item, { symbol, confidence, alternatives: [], blank: false, homoglyphs: '' }));
  }
  return { outcomes, ms };
}

async function benchTesseract(n: number): Promise<void> {
  const missing = ['rus', 'eng'].map((l) => `${TESSDATA}/${l}.traineddata`).filter((f) => !existsSync(f));
  if (missing.length > 0) {
    console.log(`
tesseract.js skipped: missing ${missing.join(', ')} (apt-get install tesseract-ocr-rus tesseract-ocr-eng)`);
    return;
  }
  const sample = tesseractSample(n);
  const levels = [0.5, 0.9, 0.95];
  const both = await tesseractWorker(['rus', 'eng']);
  const rus = await tesseractWorker(['rus']);
  const eng = await tesseractWorker(['eng']);
  try {
    const joint = await tesseractRun(sample, () => both);
    report(
      `tesseract.js 7, one rus+eng worker (LSTM, PSM 10, field whitelist), ${sample.length} test tiles`,
      joint.outcomes,
      levels,
    );
    // With rus+eng the Russian model wins and a Latin whitelist then filters its Cyrillic look-alikes to
    // nothing, so tesseract's fair figure is with one language per field.
    const split = await tesseractRun(sample, (g) => (g === 'cyrillic' ? rus : eng));
    report(
      'tesseract.js 7, rus worker for Cyrillic fields, eng worker for the others',
      split.outcomes,
      levels,
    );
    console.log(
      `tesseract.js time per cell: median ${median([...joint.ms, ...split.ms]).toFixed(1)} ms (recognize only)`,
    );
  } finally {
    await Promise.all([both.terminate(), rus.terminate(), eng.terminate()]);
  }
  report(
    'this model on the same tiles',
    sample.map((item) => outcome(item, readCharacter(item.tile, FIELD_SETS[groupOf(item.sample.symbol)]))),
    thresholds,
  );
}

const nTess = Number(values.tesseract);
if (nTess > 0) await benchTesseract(nTess);
console.log(`\nbench done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
