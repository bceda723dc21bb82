/**
 * `rcoi import ris`: the regional information system's export (exam points, participants, kits) into the
 * configured database, read by a mapping (calibration/regional/<year>/), all or nothing. Every error is
 * printed, one line each, and nothing is taken; exit 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseMapping, risErrorText } from '../domain/ris.ts';
import { importRis } from '../participants/store.ts';
import { configFromEnv } from '../platform/config.ts';
import { openDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { CommandError, UsageError } from './usage.ts';

export async function importCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what !== 'ris')
    throw new UsageError(what === undefined ? 'import needs ris' : `unknown import "${what}"`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { mapping: { type: 'string' } },
    allowPositionals: true,
  });
  if (!values.mapping || positionals.length === 0)
    throw new UsageError('import ris needs --mapping MAPPING.json and the export files');
  let mapping: ReturnType<typeof parseMapping>;
  try {
    mapping = parseMapping(JSON.parse(readFileSync(values.mapping, 'utf8')));
  } catch (err) {
    if (err instanceof Error && 'syscall' in err) throw err;
    throw new CommandError(`${values.mapping}: ${(err as Error).message}`);
  }
  const files = positionals.map((name) => ({ name, bytes: readFileSync(name) }));
  const config = configFromEnv(process.env);
  const db = await openDatabase(config.databaseUrl, join(config.dataDir, 'db'));
  try {
    await migrate(db);
    const result = await importRis(db, mapping, files, 'cli');
    if (!result.imported) {
      for (const e of result.errors) console.error(risErrorText(e));
      throw new CommandError(`${result.errors.length} errors: nothing imported`);
    }
    console.log(
      `imported ${result.ppes} exam points, ${result.participants} participants ` +
        `(${result.refused} under their code only), ${result.kits} kits` +
        (mapping.example ? ` (the mapping is an example: ${values.mapping})` : ''),
    );
    return 0;
  } finally {
    await db.close();
  }
}
