/**
 * `npm run bench:handwriting [-- --pages 21 --seed 2026]`: EGE AS1 pages written with real handwriting, read by
 * the whole recogniser, composed as real sheets are: each page is one subject's (the season's answer types,
 * calibration/answers/), its subject code pre-printed, and each typed task's answer drawn of its task's type
 * (numbers, digit sequences, Cyrillic words, word-or-number; no real Latin tiles are kept, so English's words
 * are left out). Answers are composed from tiles training never saw (the test split of the hand-drawn Cyrillic
 * corpus and of MNIST, calibration/characters/data.ts; with `--digits new-hands` the digits come from MNIST's
 * test set, whose writers training never saw) and pen commas and minus signs from a seed of their own,
 * at 78, 150 and 300 dpi. Prints per dpi how often the subject was read (a doubtful subject leaves the answers
 * `free`) and per answer type: answers, auto-accepted, silent errors (accepted and wrong), doubts by reason,
 * and pages/s of the recogniser (decode to result, one core).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Sample, Split } from '../calibration/characters/data.ts';
import { loadCorpus, loadMnist, loadMnistNewHands, pick } from '../calibration/characters/data.ts';
import { type CellGeometry, paintSample } from '../calibration/characters/tiles.ts';
import { type AnswerType, answerTypeOf, type SubjectAnswers, shippedAnswers } from '../forms/answer-types.ts';
import type { Rect } from '../forms/definitions.ts';
import { findShippedForm } from '../forms/definitions.ts';
import { loadCharacterModel } from '../pipeline/character-model.ts';
import { recogniseFilePage } from '../pipeline/page-job.ts';
import { inkPixel, PX_PER_MM } from '../render/form.ts';
import { type CellWriter, RUSSIAN_WORDS } from '../samples/fill.ts';
import { generateSheet } from '../samples/generate.ts';
import { createRng, type Rng, shuffle } from '../samples/rng.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '21' },
    seed: { type: 'string', default: '2026' },
    answers: { type: 'string', default: '20' },
    /** The tiles' split: `test` measures; `val` chooses the form's accept threshold (never on test tiles). */
    split: { type: 'string', default: 'test' },
    /**
     * Whose digits: `mnist` (the `mnist` package's held-out splits, by writers training saw other digits of) or
     * `new-hands` (MNIST's test set, by writers training never saw).
     */
    digits: { type: 'string', default: 'mnist' },
    /** Character accept thresholds to replay each page at besides the form's own, e.g. `0.98,0.99,0.995`. */
    accept: { type: 'string', default: '' },
    /** Writes each page and its truth (NAME.json) to this folder, for `rcoi calibrate thresholds`. */
    write: { type: 'string' },
  },
});
const split = values.split as Split;
if (split !== 'val' && split !== 'test') throw new Error(`--split is val or test, not ${values.split}`);
const DIGITS = { mnist: loadMnist, 'new-hands': loadMnistNewHands }[values.digits as 'mnist' | 'new-hands'];
if (!DIGITS) throw new Error(`--digits is mnist or new-hands, not ${values.digits}`);
const pagesPerDpi = Number(values.pages);
const seed = Number(values.seed);
const answersPerPage = Number(values.answers);
const DPIS = [78, 150, 300];
const FORM = findShippedForm('ege-as1-2023');
const OWN_ACCEPT = FORM.thresholds.characterAccept ?? loadCharacterModel().header.acceptThreshold;
/** The form as shipped, then at each replayed threshold (the subject is read at it too, as in service). */
const SWEEP = [
  { accept: OWN_ACCEPT, form: FORM },
  ...values.accept
    .split(',')
    .filter((a) => a !== '')
    .map(Number)
    .map((accept) => ({
      accept,
      form: { ...FORM, thresholds: { ...FORM.thresholds, characterAccept: accept } },
    })),
];

if (values.write) mkdirSync(values.write, { recursive: true });

/** The types real held-out tiles can write (no real Latin letters are kept: English's words are left out). */
type WrittenType = Exclude<AnswerType, 'free' | 'latin-word'>;
const TYPES: WrittenType[] = ['integer', 'decimal', 'digits', 'cyrillic-word', 'word-or-number'];
const isWritten = (t: AnswerType): t is WrittenType => (TYPES as AnswerType[]).includes(t);

/** The form's exam's subjects, each page one of them, its tasks typed by the data (calibration/answers/). */
const SUBJECTS = shippedAnswers().filter((s) => s.exam === FORM.answers?.exam);

/** Words whose letters the corpus has (every capital, Ё included), some hyphenated as the type allows. */
const WORDS = [
  // The generator's own words short enough for any answer's cells.
  ...RUSSIAN_WORDS.filter((w) => w.length <= 12),
  'СУФФИКС',
  'МЕТАФОРА',
  'ЧАСТИЦА',
  'ШИРЬ',
  'ВСЁ-ТАКИ',
];

/** A number as participants write one: an integer, sometimes negative, or a decimal fraction with a comma. */
function numberAnswer(rng: Rng, fraction: boolean): string {
  const digits = (n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('');
  const sign = rng.chance(0.2) ? '-' : '';
  const whole = rng.int(0, rng.pick([9, 99, 999, 99999]));
  return fraction && rng.chance(0.5) ? `${sign}${whole % 100},${digits(rng.int(1, 3))}` : `${sign}${whole}`;
}

/** An answer of the task's type, as the exam's tasks take them. */
function answerOf(type: WrittenType, rng: Rng): string {
  switch (type) {
    case 'integer':
      return numberAnswer(rng, false);
    case 'decimal':
      return numberAnswer(rng, true);
    case 'digits': {
      // Answer numbers (`134`), a matching (`3142`, digits may repeat) or a single digit.
      if (rng.chance(0.5)) return Array.from({ length: rng.int(1, 5) }, () => rng.int(1, 9)).join('');
      return shuffle([...'123456789'], rng)
        .slice(0, rng.int(2, 5))
        .sort()
        .join('');
    }
    case 'cyrillic-word':
      return rng.pick(WORDS);
    case 'word-or-number':
      // A term or a year (history).
      return rng.chance(0.5) ? rng.pick(WORDS) : String(rng.int(862, 2024));
  }
}

/** Held-out tiles by symbol, of the split asked for: splits training did not touch. */
const bySymbol = new Map<string, Sample[]>();
for (const s of [...pick(loadCorpus(), split), ...pick(DIGITS(), split)]) {
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

/** One threshold's reading of one dpi's pages. */
interface Run {
  rows: Map<WrittenType, Tally>;
  recogniseMs: number;
  sheetNumbers: { right: number; none: number; wrong: number; fromDigits: number };
  subjects: { right: number; doubtful: number; wrong: number };
  /** Answers on pages whose subject was not read without doubt: read `free`, not under their type. */
  untyped: number;
  silent: string[];
}

const newRun = (): Run => ({
  rows: new Map(TYPES.map((t) => [t, tally()])),
  recogniseMs: 0,
  sheetNumbers: { right: 0, none: 0, wrong: 0, fromDigits: 0 },
  subjects: { right: 0, doubtful: 0, wrong: 0 },
  untyped: 0,
  silent: [],
});

async function readPage(
  run: Run,
  form: typeof FORM,
  image: Uint8Array,
  sheetNumber: string | null,
  subject: SubjectAnswers,
  exactly: Record<string, string>,
  types: Map<string, WrittenType>,
): Promise<void> {
  const t0 = performance.now();
  const result = await recogniseFilePage('bench', async () => image, 0, [form]);
  run.recogniseMs += performance.now() - t0;
  const { sheetNumbers, subjects } = run;
  if (result.barcodes.some((b) => b.role === 'sheet-number' && b.from === 'printed-digits'))
    sheetNumbers.fromDigits++;
  if (result.sheetNumber === undefined) sheetNumbers.none++;
  else if (result.sheetNumber === sheetNumber) sheetNumbers.right++;
  else sheetNumbers.wrong++;
  const code = result.fields.subject_code;
  const typed = code !== undefined && code.doubt.length === 0;
  if (!typed) subjects.doubtful++;
  else if (code.value === subject.subjectCode) subjects.right++;
  else subjects.wrong++;
  for (const [name, type] of types) {
    const row = run.rows.get(type) as Tally;
    const truth = exactly[name] as string;
    const read = result.fields[name];
    row.answers++;
    if (!typed) run.untyped++;
    const accepted = read !== undefined && read.doubt.length === 0;
    const right = read?.value === truth;
    if (right) row.right++;
    if (accepted) {
      row.accepted++;
      if (!right) {
        row.silent++;
        run.silent.push(`${subject.subject} ${name} (${type}) ${truth} read ${read.value}`);
      }
    }
    for (const reason of read?.doubt ?? ['page-rejected'])
      row.doubts.set(reason, (row.doubts.get(reason) ?? 0) + 1);
  }
}

function report(dpi: number, accept: number, run: Run): Tally {
  const { sheetNumbers: n, subjects } = run;
  const all = tally();
  for (const row of run.rows.values()) {
    all.answers += row.answers;
    all.accepted += row.accepted;
    all.silent += row.silent;
    all.right += row.right;
    for (const [r, k] of row.doubts) all.doubts.set(r, (all.doubts.get(r) ?? 0) + k);
  }
  console.log(
    `\n${dpi} dpi, accept ${accept}: ${pagesPerDpi} pages of ${split} tiles (${values.digits} digits), ` +
      `${(pagesPerDpi / (run.recogniseMs / 1000)).toFixed(2)} pages/s (recogniser, one core); ` +
      `sheet number right ${n.right}, none ${n.none}, wrong ${n.wrong} (from its printed digits on ${n.fromDigits}); ` +
      `subject read right ${subjects.right}, with doubt ${subjects.doubtful}, wrong ${subjects.wrong}: ` +
      `${pct(run.untyped, all.answers)} of the answers read free`,
  );
  if (run.silent.length > 0) console.log(`silent errors: ${run.silent.join('; ')}`);
  console.log('| answer type | answers | read right | auto-accepted | silent errors | doubts by reason |');
  console.log('|---|---|---|---|---|---|');
  for (const [type, row] of [...run.rows, ['all', all] as const]) {
    if (row.answers === 0) continue;
    const doubts = [...row.doubts]
      .sort((a, b) => b[1] - a[1])
      .map(([r, k]) => `${r} ${k}`)
      .join(', ');
    console.log(
      `| ${type} | ${row.answers} | ${pct(row.right, row.answers)} | ${pct(row.accepted, row.answers)} | ` +
        `${row.silent} | ${doubts || '-'} |`,
    );
  }
  return all;
}

const started = performance.now();
const totals = SWEEP.map(() => tally());
for (const dpi of DPIS) {
  const runs = SWEEP.map(newRun);
  for (let p = 0; p < pagesPerDpi; p++) {
    const rng = createRng(`handwriting:${seed}:${dpi}:${p}`);
    const subject = SUBJECTS[p % SUBJECTS.length] ?? fail('no answer types shipped');
    // The subject is pre-printed on a real AS1 (fill.ts prints a pre-printed field named in `exactly`).
    const exactly: Record<string, string> = { subject_code: subject.subjectCode };
    const types = new Map<string, WrittenType>();
    for (let n = 1; types.size < answersPerPage && n <= 40; n++) {
      const type = answerTypeOf(subject, n);
      if (!isWritten(type)) continue;
      exactly[`answer.${n}`] = answerOf(type, rng);
      types.set(`answer.${n}`, type);
    }
    // The writer draws from the page's own rng stream, not the trainer's ('characters-v1'); val pages from
    // a stream of their own.
    const fill = { exactly, cellWriter: writeRealTile };
    const sheetSeed = seed * 1000 + p + (split === 'val' ? 500 : 0);
    const sheet = await generateSheet(FORM, sheetSeed, 'scanner', fill, { dpi });
    for (const [i, { form }] of SWEEP.entries())
      await readPage(runs[i] as Run, form, sheet.image, sheet.truth.sheetNumber, subject, exactly, types);
    if (values.write) {
      const name = join(values.write, `${split}-${dpi}-${String(p).padStart(3, '0')}`);
      writeFileSync(`${name}.${sheet.format}`, sheet.image);
      writeFileSync(`${name}.json`, JSON.stringify(sheet.truth));
    }
  }
  SWEEP.forEach(({ accept }, i) => {
    const all = report(dpi, accept, runs[i] as Run);
    const total = totals[i] as Tally;
    total.answers += all.answers;
    total.accepted += all.accepted;
    total.silent += all.silent;
    total.right += all.right;
  });
}
console.log(`\nall dpi (${split} tiles): | accept | answers | read right | auto-accepted | silent errors |`);
SWEEP.forEach(({ accept }, i) => {
  const t = totals[i] as Tally;
  console.log(
    `| ${accept} | ${t.answers} | ${pct(t.right, t.answers)} | ${pct(t.accepted, t.answers)} | ${t.silent} |`,
  );
});
console.log(`\nbench done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
