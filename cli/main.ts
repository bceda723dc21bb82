/**
 * The `rcoi` command line. Exit codes: 0 done (bad pages are results, not failures), 1 a command could not do
 * its work (the message says why), 2 a usage error. Each command's module is imported only when it runs, so
 * `--help` and light commands start without loading the image and recognition libraries.
 */
import { basename } from 'node:path';
import { CommandError, UsageError } from './usage.ts';

/** Each command's usage, keyed by the words that name it; `rcoi WORD --help` shows the keys under WORD. */
const USAGE: Record<string, string> = {
  recognise: `rcoi recognise [--form ID|PATH] [--out DIR] [--jobs N] FILE|DIR...
    Recognise scanned pages (TIFF, PNG, JPEG, WebP, scanned PDF). Writes DIR/results.jsonl and DIR/results.csv
    (default DIR: ./out/recognise) and prints a summary. Without --form the form is identified among
    the shipped definitions. --jobs: worker threads (default: one per core).`,
  generate: `rcoi generate --form ID [--count N] [--seed S] [--profile clean|scanner|phone|harsh] [--blank] --out DIR
    Synthetic filled pages with ground truth (NAME.json beside each image).`,
  demo: `rcoi demo
    Recognises the bundled sample pages (samples/corpus) and prints a summary table with each page's
    comparison against its ground truth.`,
  forms: `rcoi forms
    Lists the shipped form definitions.`,
  'forms import': `rcoi forms import --from omrchecker [--id ID] [--out FILE] TEMPLATE
    Writes a form definition (default ./ID.json) from an OMRChecker template.json: its bubble blocks,
    and its registration as the sheet's edges (CropPage), the image frame (no crop) or four corner
    markers (CropOnMarkers FOUR_MARKERS: bullseyes centred on the template's corners). Templates that
    need lines, rotation without markers or feature alignment are refused, saying which.`,
  'calibrate form': `rcoi calibrate form --form ID|PATH [--out FILE] SCAN...
    Measures how a printed edition deviates from its definition (registration, field outline offsets)
    and writes an adjusted definition (default out/calibrate/ID.calibrated.json) with a report beside it.`,
  'calibrate bubbles': `rcoi calibrate bubbles --form ID|PATH [--out FILE] BLANK_SCAN...
    Measures each bubble's empty level (a letter printed in it, its outline) on blank scans and writes a
    definition that reads every bubble against its own level (default out/calibrate/ID.bubbles.json).`,
  'calibrate thresholds': `rcoi calibrate thresholds --form ID|PATH (LABELLED_DIR | --verified [--pages N])
    Tunes the bubble marginal band and the character accept threshold on labelled scans (NAME.json
    beside each image, as generate writes them) and prints accepted errors against verification load.
    --verified: on the answers verifiers decided in the configured database instead (N final pages,
    default 2000; each control-sample answer counted as the accepted ones it was drawn from). Audited.`,
  serve: `rcoi serve [--demo]
    The processing service: HTTP API (PORT, default 8080), hot-folder inbox, and the stages. Without
    DATABASE_URL, REDIS_URL and S3_* it runs embedded (PGlite, a folder, in-process stages) in
    RCOI_DATA_DIR (default out/service). --demo adds a demo exam, users and the bundled sample batch.`,
  worker: `rcoi worker [--concurrency N]
    Consumes the service's stage queues (needs REDIS_URL, DATABASE_URL and the S3_* settings) until
    SIGTERM or SIGINT, then finishes the jobs in hand.`,
  keys: `rcoi keys --rcoi|--ppe CODE --out DIR [--force]
    Makes a key pair: the RCOI's (packages are sealed for it) or a PPE's (packages are signed with it).
    Refuses to replace an existing private key unless --force is given.`,
  'users add': `rcoi users add --id ID --name NAME --role operator|verifier|senior-verifier|expert|chair|admin
    Adds a user to the configured database (DATABASE_URL, or the embedded one in RCOI_DATA_DIR) and
    prints the user's key once: how a deployment gets its first administrator. An existing id is refused.`,
  'import ris': `rcoi import ris --mapping MAPPING.json FILE...
    Imports the regional information system's export (exam points, participants, kits; CSV in UTF-8 or
    Windows-1251, XML) into the configured database, each file read by the mapping's source its name
    matches. All or nothing: any bad row prints every error (file:row, column, code) and imports nothing.
    Participants who refused processing of personal data are kept under their code only.`,
  'export results': `rcoi export results --exam ID --layout NAME [--out FILE]
    Writes an exam's complete results (incomplete ones withheld) for the regional system or the federal
    centre by a layout of the exam's year (calibration/exports/YEAR/NAME.json: CSV or XML, UTF-8 or
    Windows-1251), from the configured database (default FILE: EXAM-NAME.csv|xml). Audited.`,
  'retention training-set': `rcoi retention training-set --exam ID --purpose TEXT (--works N [--seed S] | --pages FILE)
    Chooses a training set for next year's experts before the exam's AS2 originals are destroyed (1 March
    for EGE): the answer sheets 2 of N works with complete checks drawn at random (--seed repeats a draw;
    without it one is made up and printed), or the pages listed in FILE (one page id a line). Keeps copies
    of the expert's redacted view under their own policy; records who, when, why, never which work. Audited.`,
  package: `rcoi package --ppe CODE --key PPE.key.pem --to RCOI.pem [--out FILE] BATCH_DIR
    Seals a batch folder (page files + batch.json) at a PPE HQ: encrypted for the RCOI, signed by the PPE.`,
};

type Run = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Run> = {
  recognise: async (args) => (await import('./recognise.ts')).recogniseCommand(args),
  generate: async (args) => (await import('./generate.ts')).generateCommand(args),
  demo: async () => (await import('./demo.ts')).runDemo(),
  forms: async (args) => {
    if (args[0] === 'import') return (await import('./forms-import.ts')).formsImportCommand(args.slice(1));
    if (args.length > 0) throw new UsageError(`forms takes no arguments, got "${args[0]}"`);
    const { shippedForms } = await import('../forms/definitions.ts');
    for (const f of shippedForms()) console.log(`${f.id.padEnd(28)} ${f.kind.padEnd(26)} ${f.title}`);
    return 0;
  },
  calibrate: async (args) => (await import('./calibrate.ts')).calibrateCommand(args),
  serve: async (args) => (await import('./serve.ts')).serveCommand(args),
  worker: async (args) => (await import('./worker.ts')).workerCommand(args),
  keys: async (args) => (await import('./package.ts')).keysCommand(args),
  package: async (args) => (await import('./package.ts')).packageCommand(args),
  users: async (args) => (await import('./users.ts')).usersCommand(args),
  import: async (args) => (await import('./import.ts')).importCommand(args),
  export: async (args) => (await import('./export.ts')).exportCommand(args),
  retention: async (args) => (await import('./retention.ts')).retentionCommand(args),
};
const ALIASES: Record<string, string> = { recognize: 'recognise' };
/** Commands that never touch an image, so they need not load sharp. */
const WITHOUT_IMAGES = new Set(['keys', 'package', 'forms', 'users', 'import', 'export']);

const indent = (block: string) => `  ${block.replaceAll('\n', '\n  ')}`;

const HELP = `rcoi: scanning and form processing for a regional exam-processing centre

Usage:
${Object.values(USAGE).map(indent).join('\n')}
  rcoi COMMAND --help
      The command's usage alone.
`;

/** The usage of the command `words` name: `calibrate form` one, `calibrate` every calibrate command. */
function usageOf(words: string[]): string | undefined {
  for (let n = words.length; n > 0; n--) {
    const topic = words.slice(0, n).join(' ');
    const blocks = Object.entries(USAGE)
      .filter(([key]) => key === topic || key.startsWith(`${topic} `))
      .map(([, block]) => indent(block));
    if (blocks.length > 0) return `Usage:\n${blocks.join('\n')}\n`;
  }
  return undefined;
}

/** `--help` or `-h` among a command's arguments, before any `--` that ends the options. */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function main(argv: string[]): Promise<number> {
  const [given, ...rest] = argv;
  const command = ALIASES[given ?? ''] ?? given;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? usageOf(rest) : undefined;
    process.stdout.write(topic ?? HELP);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  const prog = basename(process.argv[1] ?? 'rcoi', '.js');
  if (!run) {
    console.error(`${prog}: unknown command "${command}"\nSee '${prog} --help'.`);
    return 2;
  }
  // The words that name the command: `calibrate form` has a usage of its own.
  const words = `${command} ${rest[0]}` in USAGE ? [command, rest[0] as string] : [command];
  if (asksForHelp(rest)) {
    process.stdout.write(usageOf(words)!);
    return 0;
  }
  try {
    if (!WITHOUT_IMAGES.has(command)) {
      // libvips sizes its thread pool by the cores; two threads leave the cores to the page workers.
      (await import('sharp')).default.concurrency(2);
    }
    return await run(rest);
  } catch (err) {
    const what = `${prog} ${words.join(' ')}`;
    if (isUsageError(err)) {
      console.error(`${what}: ${(err as Error).message}\nSee '${what} --help'.`);
      return 2;
    }
    if (isCommandError(err)) {
      console.error(`${what}: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}

function isUsageError(err: unknown): boolean {
  return (
    err instanceof UsageError ||
    (err instanceof Error && err.name === 'UnknownFormError') ||
    (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  );
}

/** Failures the user can act on: a bad definition, manifest or key, a missing or unwritable file. */
function isCommandError(err: unknown): boolean {
  return (
    err instanceof CommandError ||
    (err instanceof Error &&
      (['FormDefinitionError', 'ManifestError', 'PackageError'].includes(err.name) || 'syscall' in err))
  );
}
