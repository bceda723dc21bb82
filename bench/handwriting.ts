/**
 * `npm run bench:handwriting [-- --pages 20 --seed 2026]`: EGE AS1 pages written with real handwriting, read by
 * the whole recogniser. Answers of five types (integer, decimal with a comma, negative number, digit sequence,
 * Cyrillic word) are composed from tiles training never saw (the test split of the hand-drawn Cyrillic corpus
 * and of MNIST, calibration/characters/data.ts) and pen commas and minus signs from a seed of their own, at 78,
 * 150 and 300 dpi. Prints per dpi and answer type: answers, auto-accepted, silent errors (accepted and wrong),
 * doubts by reason, and pages/s of the recogniser (decode to result, one core).
 */
import { parseArgs } from 'node:util';
import type { Sample } from '../calibration/characters/data.ts';
import { loadCorpus, loadMnist, pick } from '../calibration/characters/data.ts';
import { type CellGeometry, paintSample } from '../calibration/characters/tiles.ts';
import type { Rect } from '../forms/definitions.ts';
import { findShippedForm } from '../forms/definitions.ts';
import { recogniseFilePage } from '../pipeline/page-job.ts';
import { inkPixel, PX_PER_MM } from '../render/form.ts';
import type { CellWriter } from '../samples/fill.ts';
import { generateSheet } from '../samples/generate.ts';
import { createRng, type Rng } from '../samples/rng.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20' },
    seed: { type: 'string', default: '2026' },
    answers: { type: 'string', default: '20' },
  },
});
const pagesPerDpi = Number(values.pages);
const seed = Number(values.seed);
const answersPerPage = Number(values.answers);
const DPIS = [78, 150, 300];
const FORM = findShippedForm('ege-as1-2023');

type AnswerType = 'integer' | 'decimal' | 'negative' | 'digit sequence' | 'Cyrillic word';
const TYPES: AnswerType[] = ['integer', 'decimal', 'negative', 'digit sequence', 'Cyrillic word'];

/** Words whose letters the corpus has (every capital, Ё included). */
const WORDS = [
  'АБВ',
  'ГЛАГОЛ',
  'ЁЖИК',
  'ЩЕЛЬ',
  'ПРИСТАВКА',
  'ЮЖНЫЙ',
  'ЭХО',
  'ЪЕЗД',
  'ЦАПЛЯ',
  'ФЫРК',
  'СУФФИКС',
  'МЕТАФОРА',
  'ЧАСТИЦА',
  'ШИРЬ',
];

function answerOf(type: AnswerType, rng: Rng): string {
  const digits = (n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('');
  switch (type) {
    case 'integer':
      return String(rng.int(0, rng.pick([9, 99, 999, 99999])));
    case 'decimal':
      return `${rng.int(0, 99)},${digits(rng.int(1, 3))}`;
    case 'negative':
      return rng.chance(0.7) ? `-${rng.int(1, 999)}` : `-${rng.int(0, 9)},${digits(rng.int(1, 2))}`;
    case 'digit sequence': {
      const pool = [...'123456789'];
      for (let i = pool.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
      }
      return pool.slice(0, rng.int(2, 5)).sort().join('');
    }
    case 'Cyrillic word':
      return rng.pick(WORDS);
  }
}

/** Held-out tiles by symbol: the splits training did not touch. */
const bySymbol = new Map<string, Sample[]>();
for (const s of [...pick(loadCorpus(), 'test'), ...pick(loadMnist(), 'test')]) {
  const list = bySymbol.get(s.symbol) ?? [];
  list.push(s);
  bySymbol.set(s.symbol, list);
}

/** Paints a held-out tile (or a pen mark) into the cell as training tiles are painted, on the 300-dpi page. */
const writeRealTile: CellWriter = (page, ch, cell: Rect, ink, rng) => {
  const sample: Sample =
    ch === ',' || ch === '-'
      ? { symbol: ch, origin: 'pen' }
      : rng.pick(bySymbol.get(ch) ?? fail(`no held-out tile for '${ch}'`));
  // The crop the painter draws in: the cell and room for a comma below it.
  const x0 = Math.floor((cell.x - 0.3) * PX_PER_MM);
  const y0 = Math.floor((cell.y - 0.3) * PX_PER_MM);
  const g: CellGeometry = {
    width: Math.ceil((cell.w + 0.6) * PX_PER_MM),
    height: Math.ceil((cell.h + 1.0) * PX_PER_MM),
    pxmm: PX_PER_MM,
    cx: (cell.x + cell.w / 2) * PX_PER_MM - x0,
    cy: (cell.y + cell.h / 2) * PX_PER_MM - y0,
    left: cell.x * PX_PER_MM - x0,
    top: cell.y * PX_PER_MM - y0,
  };
  const alpha = new Float32Array(g.width * g.height);
  paintSample(alpha, g, sample, rng);
  for (let y = 0; y < g.height; y++)
    for (let x = 0; x < g.width; x++) {
      const a = alpha[y * g.width + x] as number;
      if (a > 0) inkPixel(page, x0 + x, y0 + y, ink, a);
    }
};

function fail(message: string): never {
  throw new Error(message);
}

interface Tally {
  answers: number;
  accepted: number;
  silent: number;
  right: number;
  doubts: Map<string, number>;
}

const tally = (): Tally => ({ answers: 0, accepted: 0, silent: 0, right: 0, doubts: new Map() });
const pct = (a: number, b: number): string => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');

const started = performance.now();
for (const dpi of DPIS) {
  const rows = new Map<AnswerType, Tally>(TYPES.map((t) => [t, tally()]));
  let recogniseMs = 0;
  const sheetNumbers = { right: 0, none: 0, wrong: 0, fromDigits: 0 };
  const silent: string[] = [];
  for (let p = 0; p < pagesPerDpi; p++) {
    const rng = createRng(`handwriting:${seed}:${dpi}:${p}`);
    const exactly: Record<string, string> = {};
    const types = new Map<string, AnswerType>();
    for (let n = 1; n <= answersPerPage; n++) {
      const type = TYPES[(n - 1 + p) % TYPES.length] as AnswerType;
      exactly[`answer.${n}`] = answerOf(type, rng);
      types.set(`answer.${n}`, type);
    }
    // The writer draws from the page's own rng stream, not the trainer's ('characters-v1').
    const fill = { exactly, cellWriter: writeRealTile };
    const sheet = await generateSheet(FORM, seed * 1000 + p, 'scanner', fill, { dpi });
    const t0 = performance.now();
    const result = await recogniseFilePage('bench', async () => sheet.image, 0, [FORM]);
    recogniseMs += performance.now() - t0;
    if (result.barcodes.some((b) => b.role === 'sheet-number' && b.from === 'printed-digits'))
      sheetNumbers.fromDigits++;
    if (result.sheetNumber === undefined) sheetNumbers.none++;
    else if (result.sheetNumber === sheet.truth.sheetNumber) sheetNumbers.right++;
    else sheetNumbers.wrong++;
    for (const [name, type] of types) {
      const row = rows.get(type) as Tally;
      const truth = exactly[name] as string;
      const read = result.fields[name];
      row.answers++;
      const accepted = read !== undefined && read.doubt.length === 0;
      const right = read?.value === truth;
      if (right) row.right++;
      if (accepted) {
        row.accepted++;
        if (!right) {
          row.silent++;
          silent.push(`${truth} read ${read.value}`);
        }
      }
      for (const reason of read?.doubt ?? ['page-rejected'])
        row.doubts.set(reason, (row.doubts.get(reason) ?? 0) + 1);
    }
  }
  console.log(
    `\n${dpi} dpi: ${pagesPerDpi} pages, ${(pagesPerDpi / (recogniseMs / 1000)).toFixed(2)} pages/s ` +
      `(recogniser, one core); sheet number right ${sheetNumbers.right}, none ${sheetNumbers.none}, ` +
      `wrong ${sheetNumbers.wrong} (read from its printed digits on ${sheetNumbers.fromDigits})`,
  );
  if (silent.length > 0) console.log(`silent errors: ${silent.join('; ')}`);
  console.log('| answer type | answers | read right | auto-accepted | silent errors | doubts by reason |');
  console.log('|---|---|---|---|---|---|');
  const all = tally();
  for (const [type, row] of [...rows, ['all', all] as const]) {
    if (type !== 'all') {
      all.answers += row.answers;
      all.accepted += row.accepted;
      all.silent += row.silent;
      all.right += row.right;
      for (const [r, k] of row.doubts) all.doubts.set(r, (all.doubts.get(r) ?? 0) + k);
    }
    const doubts = [...row.doubts]
      .sort((a, b) => b[1] - a[1])
      .map(([r, k]) => `${r} ${k}`)
      .join(', ');
    console.log(
      `| ${type} | ${row.answers} | ${pct(row.right, row.answers)} | ${pct(row.accepted, row.answers)} | ` +
        `${row.silent} | ${doubts || '-'} |`,
    );
  }
}
console.log(`\nbench done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
