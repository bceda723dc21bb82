/**
 * Versioned migrations: platform/migrations/NNNN_name.sql, applied in order, each in its own transaction
 * and recorded with its SHA-256. A migration edited after it was applied is an error, never re-run: the
 * fix is a new migration.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from './db.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  sha256: string;
}

const DIR = new URL('./migrations/', import.meta.url);
/** Serialises migrators started at once (the API and workers booting together). */
const LOCK_KEY = 7_020_001;

export function shippedMigrations(): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(DIR).sort()) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) continue;
    const sql = readFileSync(new URL(file, DIR), 'utf8');
    out.push({
      version: Number(m[1]),
      name: m[2]!,
      sql,
      sha256: createHash('sha256').update(sql).digest('hex'),
    });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.version}_${m.name}: expected version ${i + 1}`);
  });
  return out;
}

/** Applies what is pending; returns the versions applied by this call. */
export async function migrate(db: Database, migrations = shippedMigrations()): Promise<number[]> {
  // Under the lock too: two concurrent `create table if not exists` can both try to create it.
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.exec(`create table if not exists schema_migrations (
      version int primary key,
      name text not null,
      sha256 text not null,
      applied_at timestamptz not null default now()
    )`);
  });
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const [row] = await tx.query<{ sha256: string }>(
        'select sha256 from schema_migrations where version = $1',
        [m.version],
      );
      if (row) {
        if (row.sha256 !== m.sha256)
          throw new Error(
            `migration ${m.version}_${m.name} changed after it was applied: add a new one instead`,
          );
        return false;
      }
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, name, sha256) values ($1, $2, $3)', [
        m.version,
        m.name,
        m.sha256,
      ]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
