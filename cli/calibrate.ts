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
  formatThresholdReport,
  measureLabelledFiles,
} from '../calibration/calibrate-thresholds.ts';
import { resolveForm } from '../forms/definitions.ts';
import { collectInputs } from './recognise.ts';
import { CommandError, UsageError } from './usage.ts';

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

async function thresholdsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { form: { type: 'string' } },
  });
  if (!values.form) throw new UsageError('calibrate thresholds needs --form ID|PATH');
  const [dir, ...extra] = positionals;
  if (!dir || extra.length > 0) throw new UsageError('calibrate thresholds takes one LABELLED_DIR');
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new UsageError(`${dir} is not a directory`);
  const def = resolveForm(values.form);
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
