/** The `rcoi` command line. Exit codes: 0 done (bad pages are results, not failures), 2 usage error. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { FormDefinitionError, findShippedForm, resolveForm, shippedForms } from '../calibration/forms.ts';
import type { DegradeProfile } from '../samples/degrade.ts';
import { generateSheet } from '../samples/generate.ts';
import { calibrateCommand } from './calibrate.ts';
import { runDemo } from './demo.ts';
import { keysCommand, packageCommand } from './package.ts';
import { collectInputs, recogniseFiles } from './recognise.ts';
import { serveCommand } from './serve.ts';
import { printSummary } from './summary.ts';
import { UsageError } from './usage.ts';
import { workerCommand } from './worker.ts';

const HELP = `rcoi: scanning and form processing for a regional exam-processing centre

Usage:
  rcoi recognise [--form ID|PATH] [--out DIR] [--jobs N] FILE|DIR...
      Recognise scanned pages (TIFF, PNG, JPEG, WebP, scanned PDF). Writes DIR/results.jsonl and DIR/results.csv
      (default DIR: ./out/recognise) and prints a summary. Without --form the form is identified among
      the shipped definitions.
  rcoi generate --form ID [--count N] [--seed S] [--profile clean|scanner|phone|harsh] [--blank] --out DIR
      Synthetic filled pages with ground truth (NAME.json beside each image).
  rcoi demo
      Recognises the bundled sample pages (samples/corpus) and prints a summary table: the main job
      until the service exists.
  rcoi forms
      Lists the shipped form definitions.
  rcoi calibrate form --form ID|PATH [--out FILE] SCAN...
      Measures how a printed edition deviates from its definition (registration, field outline offsets)
      and writes an adjusted definition (default out/calibrate/ID.calibrated.json) with a report beside it.
  rcoi calibrate thresholds --form ID|PATH LABELLED_DIR
      Tunes the bubble marginal band and the character accept threshold on labelled scans (NAME.json
      beside each image, as generate writes them) and prints accepted errors against verification load.
  rcoi serve [--demo]
      The processing service: HTTP API (PORT, default 8080), hot-folder inbox, and the stages. Without
      DATABASE_URL, REDIS_URL and S3_* it runs embedded (PGlite, a folder, in-process stages) in
      RCOI_DATA_DIR (default out/service). --demo adds a demo exam, users and the bundled sample batch.
  rcoi keys --rcoi|--ppe CODE --out DIR
      Makes a key pair: the RCOI's (packages are sealed for it) or a PPE's (packages are signed with it).
  rcoi package --ppe CODE --key PPE.key.pem --to RCOI.pem [--out FILE] BATCH_DIR
      Seals a batch folder (page files + batch.json) at a PPE HQ: encrypted for the RCOI, signed by the PPE.
  rcoi worker [--concurrency N]
      Consumes the service's stage queues (needs REDIS_URL, DATABASE_URL and the S3_* settings) until
      SIGTERM or SIGINT, then finishes the jobs in hand.
  rcoi --help
`;

const PROFILES: DegradeProfile[] = ['clean', 'scanner', 'phone', 'harsh'];

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} takes a whole number of at least 1, got "${value}"`);
  return n;
}

async function recogniseCommand(args: string[]): Promise<number> {
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

async function generateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      form: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      profile: { type: 'string' },
      blank: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  if (!values.form || !values.out) throw new UsageError('generate needs --form and --out');
  const profile = (values.profile ?? 'scanner') as DegradeProfile;
  if (!PROFILES.includes(profile)) throw new UsageError(`--profile is one of ${PROFILES.join(', ')}`);
  const def = findShippedForm(values.form);
  const count = positiveInt('count', values.count, 1);
  const seed0 = positiveInt('seed', values.seed, 1);
  await mkdir(values.out, { recursive: true });
  for (let seed = seed0; seed < seed0 + count; seed++) {
    const g = await generateSheet(def, seed, profile, { blank: values.blank ?? false });
    const name = `${def.id}-${profile}-${seed}`;
    await writeFile(join(values.out, `${name}.${g.format === 'jpeg' ? 'jpg' : 'png'}`), g.image);
    await writeFile(join(values.out, `${name}.json`), `${JSON.stringify(g.truth, null, 1)}\n`);
  }
  console.log(`wrote ${count} page(s) of ${def.id} to ${values.out}`);
  return 0;
}

function formsCommand(): number {
  for (const f of shippedForms()) {
    console.log(`${f.id.padEnd(28)} ${f.kind.padEnd(26)} ${f.title}`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  sharp.concurrency(2);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      case 'recognise':
      case 'recognize':
        return await recogniseCommand(rest);
      case 'generate':
        return await generateCommand(rest);
      case 'demo':
        return await runDemo();
      case 'forms':
        return formsCommand();
      case 'calibrate':
        return await calibrateCommand(rest);
      case 'worker':
        return await workerCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'keys':
        return await keysCommand(rest);
      case 'package':
        return await packageCommand(rest);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof FormDefinitionError || isParseArgsError(err)) {
      console.error(`${basename(process.argv[1] ?? 'rcoi')}: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
}

function isParseArgsError(err: unknown): boolean {
  return err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
}
