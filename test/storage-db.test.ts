/**
 * The database adapters and migrations, on the embedded PGlite and on the real PostgreSQL server the test
 * setup starts: the same SQL must behave the same on both.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { migrate, shippedMigrations } from '../platform/migrate.ts';
import { freshPostgresDatabase, testServices } from './services.ts';

const backends: [string, () => Promise<{ db: Database; open: () => Database | Promise<Database> }>][] = [
  [
    'pglite',
    async () => {
      const db = await pgliteDatabase();
      return { db, open: () => db };
    },
  ],
  [
    'postgres',
    async () => {
      const url = await freshPostgresDatabase();
      return { db: postgresDatabase(url), open: () => postgresDatabase(url) };
    },
  ],
];

describe.each(backends)('database on %s', (_name, make) => {
  const opened: Database[] = [];
  const setup = async () => {
    const s = await make();
    opened.push(s.db);
    return s;
  };
  afterAll(async () => {
    for (const db of new Set(opened)) await db.close();
  });

  it('applies the migrations once, and the schema has what the service needs', async () => {
    const { db } = await setup();
    expect(await migrate(db)).toEqual(shippedMigrations().map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
    const tables = await db.query<{ name: string }>(
      `select table_schema || '.' || table_name as name from information_schema.tables
       where table_schema in ('public', 'personal') order by 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'personal.participant_works',
        'personal.participants',
        'public.audit_events',
        'public.batches',
        'public.corrections',
        'public.destruction_acts',
        'public.images',
        'public.legal_holds',
        'public.pages',
        'public.sheets',
        'public.verification_tasks',
        'public.works',
      ]),
    );
  });

  it('refuses a migration changed after it was applied', async () => {
    const { db } = await setup();
    await migrate(db);
    const [first, ...rest] = shippedMigrations();
    const edited = { ...first!, sql: `${first!.sql}\n-- edited`, sha256: 'f'.repeat(64) };
    await expect(migrate(db, [edited, ...rest])).rejects.toThrow(/0*1_initial changed after it was applied/);
  });

  it('rolls a failed transaction back and commits a good one', async () => {
    const { db } = await setup();
    await migrate(db);
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`insert into audit_events (actor, action, subject) values ('t', 'view', 'x')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.query(`select * from audit_events where subject = 'x'`)).toEqual([]);
    const [row] = await db.transaction((tx) =>
      tx.query<{ id: number }>(
        `insert into audit_events (actor, action, subject) values ('t', 'view', 'y') returning id`,
      ),
    );
    // Identity ids come back as numbers from both drivers.
    expect(typeof row?.id).toBe('number');
  });

  it('keeps the audit trail append-only: no update, delete or truncate, not even by a superuser', async () => {
    const { db } = await setup();
    await migrate(db);
    await db.query(`insert into audit_events (actor, action, subject) values ('t', 'view', 'kept')`);
    for (const sql of [
      `update audit_events set actor = 'someone else' where subject = 'kept'`,
      `delete from audit_events where subject = 'kept'`,
      'truncate audit_events',
    ])
      await expect(db.query(sql), sql).rejects.toThrow(/append-only/);
    expect(await db.query(`select actor from audit_events where subject = 'kept'`)).toEqual([{ actor: 't' }]);
  });

  it('enforces the schema’s own rules', async () => {
    const { db } = await setup();
    await migrate(db);
    await expect(
      db.query(
        `insert into images (sha256, object_key, bytes, media_type) values ('not-a-hash', 'k', 1, 'x')`,
      ),
    ).rejects.toThrow();
    await expect(
      db.query(
        `insert into legal_holds (placed_by, reason) values ('admin', 'neither an object nor an exam')`,
      ),
    ).rejects.toThrow();
  });
});

describe('migrations on postgres, started at once', () => {
  it('apply each migration exactly once when two services boot together', async () => {
    const url = await freshPostgresDatabase();
    const a = postgresDatabase(url);
    const b = postgresDatabase(url);
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      expect([...ra, ...rb].sort((x, y) => x - y)).toEqual(shippedMigrations().map((m) => m.version));
      const rows = await a.query<{ n: number }>('select count(*)::int as n from schema_migrations');
      expect(rows[0]?.n).toBe(shippedMigrations().length);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('the audit trail under the service’s own role on postgres', () => {
  it('is refused to its owner by privileges too, with the trigger switched off', async () => {
    const admin = new URL(testServices().databaseUrl);
    const suffix = randomBytes(5).toString('hex');
    const role = `rcoi_service_${suffix}`;
    const database = `rcoi_owned_${suffix}`;
    const root = postgresDatabase(admin.href);
    await root.query(`create role ${role} login password 'pw' nosuperuser`);
    await root.query(`create database ${database} owner ${role}`);
    const url = new URL(admin.href);
    url.username = role;
    url.password = 'pw';
    url.pathname = `/${database}`;
    const db = postgresDatabase(url.href);
    try {
      await migrate(db);
      await db.query(`insert into audit_events (actor, action, subject) values ('t', 'view', 'kept')`);
      // As the owner, the service could switch the trigger off; then its lost privileges still refuse.
      await db.query('alter table audit_events disable trigger user');
      for (const sql of [
        `update audit_events set actor = 'x'`,
        'delete from audit_events',
        'truncate audit_events',
      ])
        await expect(db.query(sql), sql).rejects.toThrow(/permission denied/);
      expect(await db.query('select actor from audit_events')).toEqual([{ actor: 't' }]);
    } finally {
      await db.close();
      await root.query(`drop database ${database} with (force)`);
      await root.query(`drop role ${role}`);
      await root.close();
    }
  });
});
