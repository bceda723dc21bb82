/**
 * The main job until the service exists: recognise the bundled sample pages and show, beside each, how the
 * result compares with the ground truth the generator wrote.
 */
import { existsSync, readFileSync } from 'node:fs';
import { shippedForms } from '../forms/definitions.ts';
import type { PageResult } from '../pipeline/page-job.ts';
import type { SheetTruth } from '../samples/generate.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { compare } from '../samples/truth.ts';
import { collectInputs, recogniseFiles } from './recognise.ts';
import { printSummary, type TruthCheck } from './summary.ts';

/** The generator's truth beside an image (NAME.json; for a multi-page file, a list with one per page). */
export function truthFor(source: string, page: number): SheetTruth | null {
  const path = source.replace(/\.(png|jpe?g|tiff?|webp)$/i, '.json');
  if (path === source || !existsSync(path)) return null;
  const json = JSON.parse(readFileSync(path, 'utf8')) as SheetTruth | SheetTruth[];
  return Array.isArray(json) ? (json[page] ?? null) : json;
}

export function checkAgainstTruth(r: PageResult, truth: SheetTruth): TruthCheck {
  const c = compare(r, truth);
  const total = Object.keys(truth.fields).length;
  return { correct: total - c.wrong.length, total, silent: c.silent.length };
}

export async function runDemo(): Promise<number> {
  const files = await collectInputs([CORPUS_DIR]);
  console.log(`Recognising ${files.length} bundled sample files from samples/corpus/ …\n`);
  const run = await recogniseFiles(files, shippedForms(), { outDir: 'out/demo' });
  const checks = new Map<PageResult, TruthCheck>();
  for (const r of run.results) {
    const t = truthFor(r.source, r.page);
    if (t) checks.set(r, checkAgainstTruth(r, t));
  }
  printSummary(run.results, run.seconds, checks);
  console.log('results: out/demo/results.jsonl, out/demo/results.csv');
  return 0;
}
