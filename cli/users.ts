/**
 * `rcoi users add`: a deployment's first administrator (and any user) without the API, against the configured
 * database (DATABASE_URL, or the embedded one in RCOI_DATA_DIR). The key is printed once; only its hash is
 * stored. An existing id is refused: re-keying is the API's (audited) job.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROLES, type Role, USER_ID_PATTERN } from '../contract/admin.ts';
import { configFromEnv } from '../platform/config.ts';
import { openDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { addUser } from '../platform/store/users.ts';
import { CommandError, UsageError } from './usage.ts';

export async function usersCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what !== 'add')
    throw new UsageError(what === undefined ? 'users needs add' : `unknown users command "${what}"`);
  const { values } = parseArgs({
    args: rest,
    options: { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
  });
  if (!values.id || !values.name || !values.role)
    throw new UsageError('users add needs --id ID --name NAME --role ROLE');
  if (!new RegExp(USER_ID_PATTERN).test(values.id))
    throw new UsageError(
      `--id takes lower-case letters, digits, '.', '_' and '-' (2-64), got "${values.id}"`,
    );
  if (!(ROLES as readonly string[]).includes(values.role))
    throw new UsageError(`--role is one of ${ROLES.join(', ')}`);
  const config = configFromEnv(process.env);
  const db = await openDatabase(config.databaseUrl, join(config.dataDir, 'db'));
  try {
    await migrate(db);
    const token = await addUser(db, { id: values.id, name: values.name, role: values.role as Role });
    if (token === null) throw new CommandError(`a user "${values.id}" exists already`);
    const where = config.databaseUrl
      ? 'PostgreSQL (DATABASE_URL)'
      : `the embedded database in ${config.dataDir}`;
    console.log(`added ${values.role} ${values.id} to ${where}; the key, shown this once:\n${token}`);
    return 0;
  } finally {
    await db.close();
  }
}
