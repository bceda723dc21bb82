/**
 * `npm run bench:recognise [-- --pages 1000 --seed 2026]`: generates a fixed-seed corpus of degraded pages
 * across form kinds (cached in out/bench-corpus), recognises it on 1 and on 2 cores in fresh processes, and
 * prints accuracy of auto-accepted values, verification load and silent errors per field kind, registration
 * figures, pages/s, ms per stage and peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { expandForm, findShippedForm } from '../forms/definitions.ts';
import type { PageResult } from '../pipeline/page-job.ts';
import type { DegradeProfile } from '../samples/degrade.ts';
import type { SheetTruth } from '../samples/generate.ts';
import { createRng } from '../samples/rng.ts';
import { characterErrors, registrationErrorMm } from '../samples/truth.ts';
import { createThreadPool } from '../workers/pool.ts';
import type { GenerateTask } from './generate-thread.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '2026' },
    corpus: { type: 'string', default: 'out/bench-corpus' },
    /** Restrict the mix to one form (a quick look at one kind; not a benchmark figure). */
    only: { type: 'string' },
    /** Write the corpus and stop (to prepare it while the machine is busy with something else). */
    'generate-only': { type: 'boolean' },
    /** Generation threads (default: every core). */
    threads: { type: 'string' },
  },
});
const pages = Number(values.pages);
const seed = Number(values.seed);
const corpus = values.corpus;

/** Form mix: mostly the EGE AS1 and bubble sheets that carry the accuracy targets. */
const FULL_MIX: [string, number][] = [
  ['ege-as1-2023', 0.3],
  ['ege-as1-2022', 0.08],
  ['bubble-sheet-60x5', 0.22],
  ['ege-registration', 0.1],
  ['ege-as2-1', 0.07],
  ['ege-as2-2', 0.07],
  ['ege-as2-additional', 0.06],
  ['ege-protocol', 0.1],
];
const FORM_MIX: [string, number][] = values.only ? [[values.only, 1]] : FULL_MIX;
const PROFILE_MIX: [DegradeProfile, number][] = [
  ['clean', 0.2],
  ['scanner', 0.5],
  ['phone', 0.2],
  ['harsh', 0.1],
];

function pickWeighted<T>(items: [T, number][], r: number): T {
  let acc = 0;
  for (const [item, w] of items) {
    acc += w;
    if (r < acc) return item;
  }
  return items[items.length - 1]![0];
}

function plan(): GenerateTask[] {
  const rng = createRng(`bench:${seed}`);
  return Array.from({ length: pages }, (_, i) => {
    const form = pickWeighted(FORM_MIX, rng.next());
    const profile = pickWeighted(PROFILE_MIX, rng.next());
    const blank = form.startsWith('ege-as2') && rng.chance(0.3);
    return {
      form,
      seed: seed * 100_000 + i,
      profile,
      blank,
      base: join(corpus, `${String(i).padStart(5, '0')}-${form}-${profile}`),
    };
  });
}

async function generateCorpus(tasks: GenerateTask[]): Promise<string[]> {
  mkdirSync(corpus, { recursive: true });
  const existing = (t: GenerateTask) => [`${t.base}.jpg`, `${t.base}.png`].find((p) => existsSync(p));
  const missing = tasks.filter((t) => !existing(t) || !existsSync(`${t.base}.json`));
  if (missing.length > 0) {
    process.stderr.write(`generating ${missing.length} pages into ${corpus} …\n`);
    const pool = createThreadPool<GenerateTask, string>(
      Number(values.threads ?? availableParallelism()),
      new URL('./generate-thread.ts', import.meta.url),
      null,
    );
    try {
      await Promise.all(missing.map((t) => pool.run(t)));
    } finally {
      await pool.close();
    }
  }
  return tasks.map((t) => existing(t)!);
}

function measuredRun(
  jobs: number,
  files: string[],
): { seconds: number; maxRssMb: number; results: PageResult[] } {
  const out = join('out', `bench-run-${jobs}`);
  const stdout = execFileSync(
    process.execPath,
    ['--import', 'tsx', new URL('./recognise-run.ts', import.meta.url).pathname, String(jobs), out, ...files],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; maxRssMb: number };
  const results = readFileSync(join(out, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PageResult);
  return { ...summary, results };
}

const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(d >= 10000 ? 3 : 2)}%`);

interface Tally {
  /** Units (fields, or characters for cells) the truth names. */
  total: number;
  accepted: number;
  acceptedWrong: number;
  toVerification: number;
  /** On rejected pages: go back to scanning, not to a verifier. */
  onRejectedPages: number;
}
const tally = (): Tally => ({
  total: 0,
  accepted: 0,
  acceptedWrong: 0,
  toVerification: 0,
  onRejectedPages: 0,
});

function analyse(results: PageResult[], truthOf: (source: string) => SheetTruth) {
  const kinds = new Map<string, Tally>();
  const get = (k: string) => kinds.get(k) ?? kinds.set(k, tally()).get(k)!;
  const regErrors: number[] = [];
  const rejections = new Map<string, number>();
  let barcodeRight = 0;
  let barcodeWrong = 0;
  let barcodeMissing = 0;
  const silentExamples: string[] = [];
  for (const r of results) {
    const truth = truthOf(r.source);
    const def = findShippedForm(truth.form);
    const form = expandForm(def);
    if (r.status === 'rejected') rejections.set(r.reason ?? '?', (rejections.get(r.reason ?? '?') ?? 0) + 1);
    else {
      if (r.form !== truth.form)
        silentExamples.push(`${r.source}: identified as ${r.form}, truth ${truth.form}`);
      if (r.registration && r.form === truth.form)
        regErrors.push(registrationErrorMm(def, r.registration.transform, truth.transform));
      if (r.sheetNumber === undefined) barcodeMissing++;
      else if (r.sheetNumber === truth.sheetNumber) barcodeRight++;
      else {
        barcodeWrong++;
        silentExamples.push(`${r.source}: sheet number ${r.sheetNumber}, truth ${truth.sheetNumber}`);
      }
    }
    for (const [name, t] of Object.entries(truth.fields)) {
      const inst = form.byName.get(name);
      const kind = inst?.kind === 'cells' ? 'characters' : (inst?.kind ?? 'derived');
      const k = get(kind);
      const units = kind === 'characters' ? Math.max(1, [...t.value].length) : 1;
      k.total += units;
      const f = r.fields[name];
      if (r.status === 'rejected' || !f) {
        k.onRejectedPages += units;
        continue;
      }
      if (f.doubt.length > 0) {
        k.toVerification += units;
        continue;
      }
      k.accepted += units;
      const wrong = kind === 'characters' ? characterErrors(f.value, t.value) : f.value === t.value ? 0 : 1;
      if (wrong > 0) {
        k.acceptedWrong += Math.min(wrong, units);
        if (silentExamples.length < 40)
          silentExamples.push(`${r.source} ${name}: read "${f.value}", truth "${t.value}"`);
      }
    }
  }
  return { kinds, regErrors, rejections, barcodeRight, barcodeWrong, barcodeMissing, silentExamples };
}

const tasks = plan();
const files = await generateCorpus(tasks);
if (values['generate-only']) process.exit(0);
const truthBySource = new Map(files.map((f, i) => [f, tasks[i]!]));
const truthOf = (source: string): SheetTruth => {
  const t = truthBySource.get(source);
  if (!t) throw new Error(`no truth for ${source}`);
  return JSON.parse(readFileSync(`${t.base}.json`, 'utf8')) as SheetTruth;
};

process.stderr.write('recognising on 1 core …\n');
const one = measuredRun(1, files);
process.stderr.write('recognising on 2 cores …\n');
const two = measuredRun(Math.min(2, availableParallelism()), files);
const a = analyse(two.results, truthOf);

console.log(`\nbench:recognise: ${pages} pages, seed ${seed}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`forms: ${FORM_MIX.map(([f, w]) => `${f} ${w * 100}%`).join(', ')}`);
console.log(`profiles: ${PROFILE_MIX.map(([p, w]) => `${p} ${w * 100}%`).join(', ')}\n`);

console.log(
  '| field kind | units | auto-accepted | accuracy of accepted | silent errors | to verification | on rejected pages |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [kind, t] of [...a.kinds].sort()) {
  const unit = kind === 'characters' ? ' chars' : '';
  console.log(
    `| ${kind} | ${t.total}${unit} | ${pct(t.accepted, t.total)} | ${pct(t.accepted - t.acceptedWrong, t.accepted)} | ${t.acceptedWrong} (${pct(t.acceptedWrong, t.accepted)}) | ${pct(t.toVerification, t.total)} | ${pct(t.onRejectedPages, t.total)} |`,
  );
}
const registered = a.regErrors.length;
const within = a.regErrors.filter((e) => e <= 0.5).length;
const rejected = [...a.rejections.values()].reduce((s, n) => s + n, 0);
console.log(
  `\nbarcodes (sheet number): ${a.barcodeRight} right, ${a.barcodeWrong} wrong, ${a.barcodeMissing} not given (doubt)`,
);
console.log(
  `registration: ${registered} registered, ${within} within 0.5 mm of truth (${pct(within, pages)} of pages), ` +
    `median error ${median(a.regErrors).toFixed(3)} mm, worst ${Math.max(0, ...a.regErrors).toFixed(3)} mm; ` +
    `${rejected} rejected (${[...a.rejections].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`,
);

console.log('\n| run | pages/s | peak RSS |');
console.log('|---|---|---|');
console.log(`| 1 core | ${(pages / one.seconds).toFixed(2)} | ${one.maxRssMb} MB |`);
console.log(`| 2 cores | ${(pages / two.seconds).toFixed(2)} | ${two.maxRssMb} MB |`);

const stages = ['decode', 'register', 'barcodes', 'bubbles', 'characters', 'writing', 'total'] as const;
console.log(`\nms per page on 1 core, median by form (stages: ${stages.join(', ')})\n`);
console.log(`| form | pages | ${stages.join(' | ')} |`);
console.log(`|---|---|${stages.map(() => '---').join('|')}|`);
const byForm = new Map<string, PageResult[]>();
for (const r of one.results) {
  const f = truthOf(r.source).form;
  byForm.set(f, [...(byForm.get(f) ?? []), r]);
}
for (const [form, rs] of [...byForm].sort()) {
  const ok = rs.filter((r) => r.status !== 'rejected');
  console.log(
    `| ${form} | ${rs.length} | ${stages.map((s) => median(ok.map((r) => r.ms[s] ?? 0)).toFixed(1)).join(' | ')} |`,
  );
}
if (a.silentExamples.length > 0) {
  console.log(`\nsilent errors (first ${Math.min(40, a.silentExamples.length)}):`);
  for (const e of a.silentExamples.slice(0, 40)) console.log(`  ${e}`);
}
