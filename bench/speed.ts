/**
 * `npm run bench:speed [-- --pages 12 --reps 5 --roots .,../other-checkout]`: speed on scans like other
 * systems' (issue 14 D), one core. Bubble sheets at 300 dpi (scanner profile) saved four ways: grey JPEG,
 * colour JPEG, dithered 1-bit palette PNG and CCITT G4 TIFF (cached in out/speed-corpus). Prints
 * - inside the pipeline: median ms per stage and format, `--form bubble-sheet-60x5`, beside another
 *   checkout's pipeline in the same process with `--against DIR`;
 * - whole processes: `rcoi recognise --form bubble-sheet-60x5 --jobs 1` over the corpus, from the sources
 *   (tsx) and from the build (dist/, when built) of each checkout in --roots, interleaved; start-up is the
 *   wall time less the pages' own totals (process, modules, the worker thread, writing the results).
 * With `--samples`, instead: the real scans of other designs (samples/corpora/omrchecker-samples), each read
 * with its own template imported, median ms per stage and image.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { importOmrChecker } from '../calibration/import-omrchecker.ts';
import { type FormDefinition, findShippedForm } from '../forms/definitions.ts';
import { type PageResult, recogniseFilePage } from '../pipeline/page-job.ts';
import { bilevelFiles } from '../samples/bilevel.ts';
import { generateSheet } from '../samples/generate.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '12' },
    reps: { type: 'string', default: '5' },
    corpus: { type: 'string', default: 'out/speed-corpus' },
    roots: { type: 'string', default: '.' },
    /** Another checkout whose pipeline runs beside this one's, interleaved, for before and after. */
    against: { type: 'string' },
    /** Only the whole-process figures. */
    'process-only': { type: 'boolean' },
    /** The imported OMRChecker samples instead of the generated corpus. */
    samples: { type: 'boolean' },
  },
});
const FORM = 'bubble-sheet-60x5';
const def = findShippedForm(FORM);
const reps = Number(values.reps);
const corpus = resolve(values.corpus);
const FORMATS = ['grey.jpg', 'colour.jpg', 'bits.png', 'g4.tif'] as const;

sharp.concurrency(1);
sharp.cache(false);

async function makeCorpus(pages: number): Promise<string[]> {
  mkdirSync(corpus, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < pages; i++) {
    const base = join(corpus, `${String(i).padStart(3, '0')}`);
    const mine = FORMATS.map((f) => `${base}-${f}`);
    files.push(...mine);
    if (mine.every((f) => existsSync(f))) continue;
    const g = await generateSheet(def, 1400 + i, 'scanner', {}, { dpi: 300, jpegQuality: null });
    const grey = sharp(g.image).toColourspace('b-w');
    const bits = await bilevelFiles(g.image);
    writeFileSync(mine[0]!, await grey.clone().jpeg({ quality: 85 }).toBuffer());
    writeFileSync(mine[1]!, await sharp(g.image).toColourspace('srgb').jpeg({ quality: 85 }).toBuffer());
    writeFileSync(mine[2]!, bits.png);
    writeFileSync(mine[3]!, bits.g4);
  }
  return files;
}

/** What a page reads as: status, sheet number, each field's value and whether it goes to a verifier. */
const reading = (p: PageResult) =>
  JSON.stringify([
    p.status,
    p.sheetNumber,
    Object.entries(p.fields).map(([k, f]) => [k, f.value, f.doubt.length > 0]),
  ]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
const formatOf = (file: string) => FORMATS.find((f) => file.endsWith(f))!;

type PageJob = typeof recogniseFilePage;

/**
 * Stage times of this checkout's pipeline and, given `--against DIR`, of another checkout's in the same
 * process, page by page in alternating order, so that both see the same machine.
 */
async function pipelineTimes(files: string[]): Promise<void> {
  const stages = ['decode', 'register', 'barcodes', 'bubbles', 'total'] as const;
  const jobs: [string, PageJob][] = [['this checkout', recogniseFilePage]];
  if (values.against) {
    const other = (await import(join(resolve(values.against), 'pipeline/page-job.ts'))) as {
      recogniseFilePage: PageJob;
    };
    jobs.push([values.against, other.recogniseFilePage]);
  }
  const times = new Map<string, number[]>();
  const readings = new Map<string, string>();
  let differ = 0;
  for (let rep = 0; rep < reps + 1; rep++) {
    for (const [i, file] of files.entries()) {
      const bytes = readFileSync(file);
      for (const [label, job] of (rep + i) % 2 ? [...jobs].reverse() : jobs) {
        const r = await job(file, async () => bytes, 0, [def]);
        // A warm-up round first: the first pages pay for compiling the hot loops.
        if (rep === 0) {
          const known = readings.get(file);
          if (known !== undefined && known !== reading(r)) differ++;
          readings.set(file, reading(r));
          continue;
        }
        for (const s of stages) {
          const key = `${formatOf(file)}|${label}|${s}`;
          times.set(key, [...(times.get(key) ?? []), r.ms[s] ?? 0]);
        }
      }
    }
  }
  console.log(
    `\ninside the pipeline, ms per page, median of ${reps} rounds over ${files.length / 4} pages each` +
      (values.against ? `; pages read otherwise by the two: ${differ}` : ''),
  );
  console.log(`\n| format | pipeline | ${stages.join(' | ')} |`);
  console.log(`|---|---|${stages.map(() => '---').join('|')}|`);
  for (const f of FORMATS) {
    for (const [label] of jobs) {
      const cells = stages.map((s) => median(times.get(`${f}|${label}|${s}`) ?? []).toFixed(1));
      console.log(`| ${f} | ${label} | ${cells.join(' | ')} |`);
    }
  }
}

function processTimes(files: string[]): void {
  const runs: { label: string; cli: string }[] = [];
  for (const root of values.roots.split(',').map((r) => resolve(r))) {
    runs.push({ label: `${root} (tsx)`, cli: join(root, 'bin/rcoi.js') });
    if (existsSync(join(root, 'dist/cli/rcoi.js')))
      runs.push({ label: `${root} (built)`, cli: join(root, 'dist/cli/rcoi.js') });
  }
  const wall = new Map<string, number[]>();
  const readings = new Map<string, Map<string, string>>();
  const startup = new Map<string, number[]>();
  const out = join('out', 'speed-run');
  for (let rep = 0; rep < reps; rep++) {
    for (const run of runs) {
      rmSync(out, { recursive: true, force: true });
      const started = performance.now();
      execFileSync(
        process.execPath,
        [run.cli, 'recognise', '--form', FORM, '--jobs', '1', '--out', out, corpus],
        {
          stdio: 'ignore',
        },
      );
      const seconds = (performance.now() - started) / 1000;
      const pages = readFileSync(join(out, 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as PageResult);
      const inPages = pages.reduce((s, p) => s + p.ms.total, 0) / 1000;
      readings.set(run.label, new Map(pages.map((p) => [`${p.source}#${p.page}`, reading(p)])));
      wall.set(run.label, [...(wall.get(run.label) ?? []), seconds]);
      startup.set(run.label, [...(startup.get(run.label) ?? []), seconds - inPages]);
    }
  }
  console.log(`\nwhole process, one core: rcoi recognise --form ${FORM} --jobs 1 on ${files.length} pages`);
  console.log(`median of ${reps} interleaved runs\n`);
  console.log(
    '| run | wall s | ms a page | start-up and the rest, s | pages read otherwise than the first run |',
  );
  console.log('|---|---|---|---|---|');
  const first = readings.get(runs[0]!.label)!;
  for (const run of runs) {
    const w = median(wall.get(run.label)!);
    const mine = readings.get(run.label)!;
    const differ = [...first].filter(([k, v]) => mine.get(k) !== v).length;
    console.log(
      `| ${run.label} | ${w.toFixed(2)} | ${((w * 1000) / files.length).toFixed(1)} | ${median(startup.get(run.label)!).toFixed(2)} | ${differ} |`,
    );
  }
}

const SAMPLES = resolve('samples/corpora/omrchecker-samples');

/** Every sample image under a template.json, with the definition imported from the nearest one. */
function importedSamples(): { image: string; def: FormDefinition }[] {
  const found: { image: string; def: FormDefinition }[] = [];
  for (const rel of (readdirSync(SAMPLES, { recursive: true }) as string[]).sort()) {
    if (!/\.(jpe?g|png)$/i.test(rel)) continue;
    const image = join(SAMPLES, rel);
    let dir = dirname(image);
    while (dir.startsWith(SAMPLES) && !existsSync(join(dir, 'template.json'))) dir = dirname(dir);
    if (!dir.startsWith(SAMPLES)) continue;
    const imported = importOmrChecker(JSON.parse(readFileSync(join(dir, 'template.json'), 'utf8')), {
      id: 'sample',
    });
    if (imported.ok) found.push({ image, def: imported.imported.definition });
    else console.log(`${rel}: template refused (${imported.errors[0]})`);
  }
  return found;
}

/** The product's path (`recogniseFilePage`) on each sample, in turn, `reps` rounds after a warm-up one. */
async function sampleTimes(): Promise<void> {
  const stages = ['decode', 'register', 'bubbles', 'total'] as const;
  const samples = importedSamples();
  const times = new Map<string, number[]>();
  for (let rep = 0; rep < reps + 1; rep++) {
    for (const { image, def } of samples) {
      const bytes = readFileSync(image);
      const r = await recogniseFilePage(image, async () => bytes, 0, [def]);
      if (rep === 0) continue;
      for (const stage of stages)
        times.set(`${image}|${stage}`, [...(times.get(`${image}|${stage}`) ?? []), r.ms[stage] ?? 0]);
    }
  }
  console.log(`\nthe samples, ms a page, median of ${reps} rounds\n`);
  console.log(`| image | px | ${stages.join(' | ')} |`);
  console.log(`|---|---|${stages.map(() => '---').join('|')}|`);
  const totals: number[] = [];
  for (const { image } of samples) {
    const { width, height } = await sharp(image).metadata();
    const cells = stages.map((stage) => median(times.get(`${image}|${stage}`)!));
    totals.push(cells[cells.length - 1]!);
    console.log(
      `| ${relative(SAMPLES, image)} | ${width}x${height} | ${cells.map((c) => c.toFixed(1)).join(' | ')} |`,
    );
  }
  const all = totals.reduce((a, b) => a + b, 0);
  console.log(
    `\n${samples.length} pages: median page ${median(totals).toFixed(1)} ms, all ${all.toFixed(0)} ms`,
  );
}

if (values.samples) {
  console.log(`bench:speed --samples, ${new Date().toISOString()}`);
  await sampleTimes();
  process.exit(0);
}

const files = await makeCorpus(Number(values.pages));
console.log(
  `bench:speed: ${files.length} pages (${values.pages} sheets x ${FORMATS.join(', ')}), ${new Date().toISOString()}`,
);
if (!values['process-only']) await pipelineTimes(files);
processTimes(files);
