/** `rcoi calibrate form|thresholds`: measure a printed edition against its definition, tune doubt thresholds. */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { calibrateFormFiles, formatFormReport } from '../calibration/calibrate-form.ts';
import {
  calibrateThresholds,
  formatThresholdReport,
  measureLabelledFiles,
} from '../calibration/calibrate-thresholds.ts';
import { resolveForm } from '../forms/definitions.ts';
import { collectInputs } from './recognise.ts';
import { UsageError } from './usage.ts';

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
    case 'thresholds':
      return await thresholdsCommand(rest);
    default:
      throw new UsageError(
        what === undefined ? 'calibrate needs form or thresholds' : `unknown calibrate command "${what}"`,
      );
  }
}
