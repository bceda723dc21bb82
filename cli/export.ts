/**
 * `rcoi export results`: an exam's complete results as a file for the regional system or the federal centre,
 * written by a layout of the exam's year (calibration/exports/<year>/), from the configured database; audited
 * as the API's export is, with `cli` as the actor.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configFromEnv } from '../platform/config.ts';
import { openDatabase } from '../platform/db.ts';
import { ServiceError } from '../platform/errors.ts';
import { migrate } from '../platform/migrate.ts';
import { exportResults, shippedLayouts } from '../results/export.ts';
import { CommandError, UsageError } from './usage.ts';

export async function exportCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what !== 'results')
    throw new UsageError(what === undefined ? 'export needs results' : `unknown export "${what}"`);
  const { values } = parseArgs({
    args: rest,
    options: { exam: { type: 'string' }, layout: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.exam || !values.layout) throw new UsageError('export results needs --exam ID --layout NAME');
  const config = configFromEnv(process.env);
  const db = await openDatabase(config.databaseUrl, join(config.dataDir, 'db'));
  try {
    await migrate(db);
    const file = await exportResults(db, shippedLayouts(), values.exam, values.layout, 'cli').catch((err) => {
      throw err instanceof ServiceError ? new CommandError(err.message) : err;
    });
    const out = values.out ?? file.fileName;
    writeFileSync(out, file.bytes);
    console.log(`wrote ${file.rows} results to ${out} (${file.withheld} incomplete withheld)`);
    return 0;
  } finally {
    await db.close();
  }
}
