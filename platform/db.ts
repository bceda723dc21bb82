/**
 * The database behind one small interface: PostgreSQL through pg in production, PGlite (the same SQL,
 * embedded) when no DATABASE_URL is set. Callers write PostgreSQL 15 SQL with $1 parameters and get plain
 * rows back; the adapters smooth over the two drivers' differences (bigint as number, one connection).
 */
import { mkdir } from 'node:fs/promises';
import pg from 'pg';
import { guarded } from './failures.ts';

export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters: migrations. */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const INT8_OID = 20;
// Row counts and identity ids stay far below 2^53; numbers are what PGlite returns too.
pg.types.setTypeParser(INT8_OID, (v) => Number(v));

/** A pool on a PostgreSQL server. */
export function postgresDatabase(connectionString: string, max = 10): Database {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client losing its server (a restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const on = (client: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <T extends object>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params)).rows as T[],
    exec: async (sql) => {
      await client.query(sql);
    },
  });
  return guarded('database', {
    kind: 'postgres',
    ...on(pool),
    async transaction(fn) {
      const client = await pool.connect();
      // A checked-out client that loses its server emits 'error' on itself, not on the pool: without a
      // listener the process dies. The transaction's query fails instead, and the client is thrown away.
      let lost: Error | undefined;
      const onError = (err: Error) => {
        lost = err;
      };
      client.on('error', onError);
      try {
        await client.query('begin');
        const result = await fn(on(client));
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.off('error', onError);
        client.release(lost);
      }
    },
    close: () => pool.end(),
  });
}

/**
 * PGlite in a folder (or in memory when `dataDir` is undefined). It has one connection, so queries outside
 * a transaction wait for the transaction in progress rather than running inside it.
 */
export async function pgliteDatabase(dataDir?: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const on = (q: Pick<typeof db, 'query' | 'exec'>): Queryable => ({
    query: async <T extends object>(sql: string, params?: unknown[]) => (await q.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await q.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...on(db),
    transaction: (fn) => db.transaction((tx) => fn(on(tx))),
    close: () => db.close(),
  };
}

/** PostgreSQL at `url` when there is one, else an embedded database in `embeddedDir`. */
export async function openDatabase(url: string | undefined, embeddedDir: string): Promise<Database> {
  return url ? postgresDatabase(url) : pgliteDatabase(embeddedDir);
}

/** A round trip to the database, for health checks: throws when it cannot answer. */
export async function ping(db: Queryable): Promise<void> {
  await db.query('select 1');
}
