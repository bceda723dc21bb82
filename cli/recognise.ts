/** `rcoi recognise`: pages in, results.jsonl and results.csv out, on every core. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveForm, shippedForms } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { sniffFormat } from '../pipeline/decode.ts';
import { countPages, type PageResult } from '../pipeline/page-job.ts';
import { recognitionThreads, type ThreadPool } from '../workers/pool.ts';
import type { PageTask } from '../workers/recognise-task.ts';
import { printSummary } from './summary.ts';
import { positiveInt, UsageError } from './usage.ts';

const IMAGE_EXTENSIONS = new Set(['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.webp', '.pdf']);

/** Files named on the command line, with directories expanded (recursively) to the images inside them. */
export async function collectInputs(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const full = resolve(p);
    const s = await stat(full);
    if (s.isDirectory()) {
      const entries = (await readdir(full, { recursive: true })).sort();
      for (const e of entries) {
        if (IMAGE_EXTENSIONS.has(extname(e).toLowerCase())) out.push(join(full, e));
      }
    } else out.push(full);
  }
  return out;
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = [
  'source',
  'page',
  'sha256',
  'form',
  'status',
  'reason',
  'field',
  'value',
  'confidence',
  'doubt',
];

/** Long format: one row per field of each page (one row with no field for a page that has none). */
export function csvRows(r: PageResult): string[] {
  const base = [r.source, r.page, r.sha256, r.form ?? '', r.status, r.reason ?? ''];
  const fields = Object.entries(r.fields);
  const rows = fields.length
    ? fields.map(([name, f]) => [...base, name, f.value, f.confidence, f.doubt.join(' ')])
    : [[...base, '', '', '', r.doubt.join(' ')]];
  return rows.map((row) => row.map(csvCell).join(','));
}

function progress(done: number, total: number, started: number): void {
  const width = 30;
  const filled = Math.round((done / Math.max(1, total)) * width);
  const rate = done / Math.max(0.001, (performance.now() - started) / 1000);
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} pages, ${rate.toFixed(1)}/s`,
  );
}

function endStream(s: WriteStream): Promise<void> {
  return new Promise((res, rej) => s.end((err?: Error | null) => (err ? rej(err) : res())));
}

/**
 * Pages in a file. Only TIFF and PDF hold several, so other files are known from their first bytes and are
 * not read whole here (a batch of a thousand JPEGs would otherwise pass through memory twice).
 */
async function pageCountOf(path: string): Promise<number> {
  let head: Uint8Array;
  try {
    const fd = await open(path, 'r');
    try {
      head = (await fd.read(new Uint8Array(16), 0, 16, 0)).buffer;
    } finally {
      await fd.close();
    }
  } catch {
    return 1;
  }
  const format = sniffFormat(head);
  return format === 'tiff' || format === 'pdf' ? countPages(await readFile(path)) : 1;
}

export interface RecogniseRun {
  results: PageResult[];
  seconds: number;
}

/**
 * One job needs no worker thread: a thread loads every module of the pipeline again, which was most of the
 * start-up of a one-core run. Pages are taken one at a time, as a thread would take them.
 */
async function inThisThread(forms: FormDefinition[]): Promise<ThreadPool<PageTask, PageResult>> {
  const handle = (await import('../workers/recognise-task.ts')).pageTasks(forms);
  let previous: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = previous.then(() => handle(task));
      previous = result.catch(() => undefined);
      return result;
    },
    close: async () => {},
  };
}

export async function recogniseFiles(
  files: string[],
  forms: FormDefinition[],
  opts: { jobs?: number; outDir?: string; progress?: boolean },
): Promise<RecogniseRun> {
  const jobs = opts.jobs ?? availableParallelism();
  const tasks: { path: string; page: number }[] = [];
  for (const path of files) {
    const pages = await pageCountOf(path);
    for (let page = 0; page < pages; page++) tasks.push({ path, page });
  }
  let jsonl: WriteStream | undefined;
  let csv: WriteStream | undefined;
  if (opts.outDir) {
    await mkdir(opts.outDir, { recursive: true });
    jsonl = createWriteStream(join(opts.outDir, 'results.jsonl'));
    csv = createWriteStream(join(opts.outDir, 'results.csv'));
    csv.write(`${CSV_HEADER.join(',')}\n`);
  }
  const threads = Math.min(jobs, Math.max(1, tasks.length));
  const pool = threads === 1 ? await inThisThread(forms) : recognitionThreads(threads, forms);
  const started = performance.now();
  const results: PageResult[] = [];
  const show = opts.progress ?? process.stderr.isTTY;
  try {
    await Promise.all(
      tasks.map(async (t) => {
        const r = await pool.run(t).catch(
          (err: Error): PageResult => ({
            source: t.path,
            page: t.page,
            sha256: '',
            form: null,
            status: 'rejected',
            reason: 'internal-error',
            detail: err.message,
            barcodes: [],
            doubt: [],
            fields: {},
            ms: { total: 0 },
          }),
        );
        results.push(r);
        jsonl?.write(`${JSON.stringify(r)}\n`);
        for (const row of csvRows(r)) csv?.write(`${row}\n`);
        if (show) progress(results.length, tasks.length, started);
      }),
    );
  } finally {
    await pool.close();
    if (show) process.stderr.write('\n');
    if (jsonl) await endStream(jsonl);
    if (csv) await endStream(csv);
  }
  results.sort((a, b) => a.source.localeCompare(b.source) || a.page - b.page);
  return { results, seconds: (performance.now() - started) / 1000 };
}

export async function recogniseCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { form: { type: 'string' }, out: { type: 'string' }, jobs: { type: 'string' } },
  });
  if (positionals.length === 0) throw new UsageError('recognise needs at least one FILE or DIR');
  const forms = values.form ? [resolveForm(values.form)] : shippedForms();
  const files = await collectInputs(positionals).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  const outDir = values.out ?? join('out', 'recognise');
  const run = await recogniseFiles(files, forms, {
    jobs: values.jobs === undefined ? undefined : positiveInt('jobs', values.jobs, 1),
    outDir,
  });
  printSummary(run.results, run.seconds);
  console.log(`results: ${join(outDir, 'results.jsonl')}, ${join(outDir, 'results.csv')}`);
  return 0;
}
