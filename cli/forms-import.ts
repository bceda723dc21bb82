/** `rcoi forms import`: another OMR system's layout file as a form definition of ours. */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { importOmrChecker } from '../calibration/import-omrchecker.ts';
import { CommandError, UsageError } from './usage.ts';

export async function formsImportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { from: { type: 'string' }, id: { type: 'string' }, out: { type: 'string' } },
  });
  if (values.from !== 'omrchecker')
    throw new UsageError(
      `forms import needs --from omrchecker (the one format known), got "${values.from ?? ''}"`,
    );
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new UsageError('forms import takes one TEMPLATE file');
  // A template is named by its folder (OMRChecker keeps one template.json per sample folder).
  const id =
    values.id ??
    `omrchecker-${basename(dirname(file))
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')}`;
  let template: unknown;
  try {
    template = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw new CommandError(`${file} is not JSON: ${err.message}`);
    throw err;
  }
  const result = importOmrChecker(template, { id });
  if (!result.ok) throw new CommandError(`${file} cannot be imported:\n  ${result.errors.join('\n  ')}`);
  const out = values.out ?? `${id}.json`;
  writeFileSync(out, `${JSON.stringify(result.imported.definition, null, 2)}\n`);
  const { definition } = result.imported;
  console.log(`${out}: ${definition.fields.length} fields, registration by ${definition.registration}`);
  return 0;
}
