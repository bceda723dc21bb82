/**
 * `rcoi calibrate form|bubbles|thresholds`: measure a printed edition against its definition, its bubbles'
 * empty levels on blank scans, tune doubt thresholds.
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { calibrateBubblesFiles, formatBubbleReport } from '../calibration/calibrate-bubbles.ts';
import { calibrateFormFiles, formatFormReport } from '../calibration/calibrate-form.ts';
import {
  calibrateThresholds,
  doubtBeyondCells,
  formatThresholdReport,
  type LabelledPage,
  measureLabelled,
  measureLabelledFiles,
} from '../calibration/calibrate-thresholds.ts';
import { expandForm, resolveForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { configFromEnv, openAdapters } from '../platform/config.ts';
import { InfrastructureError } from '../platform/failures.ts';
import type { ObjectStore } from '../platform/objects.ts';
import { audit } from '../platform/store/audit.ts';
import { type VerifiedPage, verifiedPages } from '../verification/store.ts';
import { collectInputs } from './recognise.ts';
import { CommandError, UsageError } from './usage.ts';

/** Pages `--verified` reads by default: some minutes of one core, tens of thousands of answers. */
const VERIFIED_PAGES = 2000;

async function inputs(paths: string[]): Promise<string[]> {
  const files = await collectInputs(paths).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  if (files.length === 0) throw new UsageError(`no images in ${paths.join(', ')}`);
  return files;
}

async function formCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { form: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.form) throw new UsageError('calibrate form needs --form ID|PATH');
  if (positionals.length === 0) throw new UsageError('calibrate form needs at least one SCAN');
  resolveForm(values.form);
  const run = await calibrateFormFiles(values.form, await inputs(positionals), values.out);
  console.log(formatFormReport(run.calibration));
  console.log(`adjusted definition: ${run.definitionPath}\nreport: ${run.reportPath}`);
  return 0;
}

async function bubblesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { form: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.form) throw new UsageError('calibrate bubbles needs --form ID|PATH');
  if (positionals.length === 0) throw new UsageError('calibrate bubbles needs at least one BLANK_SCAN');
  resolveForm(values.form);
  const run = await calibrateBubblesFiles(values.form, await inputs(positionals), values.out);
  if ('problem' in run) throw new CommandError(run.problem);
  console.log(formatBubbleReport(run.calibration));
  console.log(`calibrated definition: ${run.definitionPath}\nreport: ${run.reportPath}`);
  return 0;
}

/**
 * The labelled pages a season's verifiers made: each final page's decided answers (cells and link fields; a
 * bubble field has no control sample, so its decided ones alone would be a biased draw), a control answer
 * standing for the accepted ones it was drawn from. Its image from the object store: one that is gone (past
 * retention) skips the page, a store that cannot answer fails the command.
 */
function verifiedLabelledPages(
  objects: ObjectStore,
  def: FormDefinition,
  pages: VerifiedPage[],
): LabelledPage[] {
  const form = expandForm(def);
  const read = (field: string) => {
    const kind = form.byName.get(field)?.kind;
    return kind === 'cells' || kind === 'link';
  };
  return pages.map((p) => ({
    source: `page ${p.pageId}`,
    page: p.pageIndex,
    load: async () => {
      const bytes = await objects.get(p.objectKey).catch((err: unknown) => {
        if (err instanceof InfrastructureError) throw err;
        return null;
      });
      if (!bytes) return { skip: `no image at ${p.objectKey}` };
      const labels = p.labels.filter((l) => read(l.field));
      return {
        bytes,
        labels: {
          form: def.id,
          fields: Object.fromEntries(labels.map((l) => [l.field, { value: l.value }])),
        },
        weights: Object.fromEntries(labels.map((l) => [l.field, l.controlShare ? 1 / l.controlShare : 1])),
        beyondCells: new Set(labels.filter((l) => doubtBeyondCells(l.doubt)).map((l) => l.field)),
      };
    },
  }));
}

/** `--verified`: the answers verifiers decided in the configured database, read from there; audited. */
async function measureVerified(def: FormDefinition, limit: number) {
  const adapters = await openAdapters(configFromEnv(process.env));
  try {
    const pages = await verifiedPages(adapters.db, def.id, limit);
    await audit(adapters.db, 'cli', 'calibration.verified-answers', def.id, { pages: pages.length });
    const controls = pages.flatMap((p) => p.labels).filter((l) => l.controlShare !== null).length;
    console.log(
      `${pages.length} final page(s) of ${def.id} with their verified answers; ${controls} control answer(s), ` +
        'each counted as the accepted answers it was drawn from: figures below are estimates for the season',
    );
    if (controls === 0)
      console.log(
        'no control answers (the form has no controlShare, or none was decided): the table counts doubted ' +
          'answers only and says nothing of those accepted unseen; its accepted errors are a lower bound',
      );
    return await measureLabelled(def, verifiedLabelledPages(adapters.objects, def, pages));
  } finally {
    await adapters.close();
  }
}

async function thresholdsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { form: { type: 'string' }, verified: { type: 'boolean' }, pages: { type: 'string' } },
  });
  if (!values.form) throw new UsageError('calibrate thresholds needs --form ID|PATH');
  const def = resolveForm(values.form);
  if (values.verified) {
    if (positionals.length > 0) throw new UsageError('calibrate thresholds --verified takes no LABELLED_DIR');
    const limit = Number(values.pages ?? VERIFIED_PAGES);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--pages needs a whole number above 0');
    console.log(formatThresholdReport(calibrateThresholds(def, await measureVerified(def, limit))));
    return 0;
  }
  if (values.pages !== undefined) throw new UsageError('--pages goes with --verified');
  const [dir, ...extra] = positionals;
  if (!dir || extra.length > 0) throw new UsageError('calibrate thresholds takes one LABELLED_DIR');
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new UsageError(`${dir} is not a directory`);
  const measures = await measureLabelledFiles(def, await inputs([dir]));
  console.log(formatThresholdReport(calibrateThresholds(def, measures)));
  return 0;
}

export async function calibrateCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  switch (what) {
    case 'form':
      return await formCommand(rest);
    case 'bubbles':
      return await bubblesCommand(rest);
    case 'thresholds':
      return await thresholdsCommand(rest);
    default:
      throw new UsageError(
        what === undefined
          ? 'calibrate needs form, bubbles or thresholds'
          : `unknown calibrate command "${what}"`,
      );
  }
}
