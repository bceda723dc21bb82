/** `rcoi users add`: a deployment's first administrator, on the embedded database and on PostgreSQL. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { userByToken } from '../platform/store/users.ts';
import { freshPostgresDatabase } from './services.ts';

const BIN = new URL('../bin/rcoi.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rcoi-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rcoi(env: Record<string, string>, ...args: string[]) {
  const { DATABASE_URL: _, RCOI_DATA_DIR: __, ...rest } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...rest, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const targets: {
  name: string;
  env: () => Promise<Record<string, string>>;
  open: (env: Record<string, string>) => Promise<Database>;
}[] = [
  {
    name: 'the embedded database in RCOI_DATA_DIR',
    env: async () => ({ RCOI_DATA_DIR: join(dir, 'data') }),
    open: (env) => pgliteDatabase(join(env['RCOI_DATA_DIR']!, 'db')),
  },
  {
    name: 'PostgreSQL at DATABASE_URL',
    env: async () => ({ DATABASE_URL: await freshPostgresDatabase(), RCOI_DATA_DIR: join(dir, 'unused') }),
    open: async (env) => postgresDatabase(env['DATABASE_URL']!),
  },
];

describe('rcoi users add', () => {
  for (const target of targets) {
    it(`adds an administrator to ${target.name}, prints the key once, refuses the id again`, async () => {
      const env = await target.env();
      const add = (id: string) =>
        rcoi(env, 'users', 'add', '--id', id, '--name', 'Первый администратор', '--role', 'admin');
      const first = add('admin-1');
      expect(first.err).toBe('');
      expect(first.code).toBe(0);
      const [said, key, ...more] = first.out.trimEnd().split('\n');
      expect(said).toMatch(/^added admin admin-1 to .*; the key, shown this once:$/);
      expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(more).toEqual([]);

      const again = add('admin-1');
      expect(again.err).toBe('rcoi users add: a user "admin-1" exists already\n');
      expect(again.code).toBe(1);
      expect(again.out).toBe('');

      const db = await target.open(env);
      try {
        // The first key still signs the administrator in: the refused second add re-keyed nothing.
        expect(await userByToken(db, key!)).toEqual({
          id: 'admin-1',
          name: 'Первый администратор',
          role: 'admin',
        });
      } finally {
        await db.close();
      }
    });
  }

  it('refuses a role or an id that is not one, with a usage error', () => {
    const env = { RCOI_DATA_DIR: join(dir, 'never') };
    const role = rcoi(env, 'users', 'add', '--id', 'boss', '--name', 'B', '--role', 'root');
    expect(role.err).toMatch(
      /^rcoi users add: --role is one of operator, .*admin\nSee 'rcoi users add --help'\.\n$/,
    );
    expect(role.code).toBe(2);
    expect(rcoi(env, 'users', 'add', '--id', 'Boss!', '--name', 'B', '--role', 'admin').code).toBe(2);
    expect(rcoi(env, 'users', 'list').code).toBe(2);
  });
});
