/** Connection settings of the private test services that `scripts/services.sh start` exports (see `npm test`). */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll } from 'vitest';
import type { Adapters } from '../platform/adapters.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore, type S3Settings } from '../platform/objects.ts';

export interface TestServices {
  databaseUrl: string;
  redisUrl: string;
  /** Without a bucket: each test makes its own. The test gateway speaks plain HTTP on loopback. */
  s3: Omit<S3Settings, 'bucket'>;
}

const names = [
  'TEST_DATABASE_URL',
  'TEST_REDIS_URL',
  'TEST_S3_ENDPOINT',
  'TEST_S3_PORT',
  'TEST_S3_ACCESS_KEY',
  'TEST_S3_SECRET_KEY',
  'TEST_S3_REGION',
] as const;

/** Reads the TEST_* variables; throws one message naming every missing one, so a bare `vitest` run says why. */
export function testServices(vars: NodeJS.ProcessEnv = process.env): TestServices {
  const missing = names.filter((name) => !vars[name]);
  if (missing.length > 0) {
    const verb = missing.length === 1 ? 'is' : 'are';
    throw new Error(
      `${missing.join(', ')} ${verb} not set: run the suite with \`npm test\`, which starts the services`,
    );
  }
  const env = (name: (typeof names)[number]) => vars[name]!;
  const port = Number(env('TEST_S3_PORT'));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`TEST_S3_PORT is not a port number: ${env('TEST_S3_PORT')}`);
  }
  return {
    databaseUrl: env('TEST_DATABASE_URL'),
    redisUrl: env('TEST_REDIS_URL'),
    s3: {
      endPoint: env('TEST_S3_ENDPOINT'),
      port,
      useSSL: false,
      accessKey: env('TEST_S3_ACCESS_KEY'),
      secretKey: env('TEST_S3_SECRET_KEY'),
      region: env('TEST_S3_REGION'),
    },
  };
}

/**
 * Creates an empty database on the test server and returns its URL, so a test that migrates or fills a
 * schema never meets another test's tables. Databases are left behind: the server is thrown away after the run.
 */
export async function freshPostgresDatabase(): Promise<string> {
  const url = new URL(testServices().databaseUrl);
  const name = `rcoi_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return url.href;
}

export type ServiceName = 'postgres' | 'redis' | 's3';

export interface PrivateServices extends TestServices {
  /** Stops one service, keeps it down `downSeconds`, starts it again on its port (Redis comes back empty). */
  restart(name: ServiceName, downSeconds: number): Promise<void>;
  /** Stops one service until `up`: for what a test does while it is away. */
  down(name: ServiceName): Promise<void>;
  up(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * A set of the services of its own, for a test that takes them down: the shared ones other test files are
 * using stay up. Started and stopped with the same script as the suite's (`scripts/services.sh`).
 */
export async function privateServices(): Promise<PrivateServices> {
  const dir = mkdtempSync(join(tmpdir(), 'rcoi-private-services-'));
  const script = ['scripts/services.sh'];
  const env = { ...process.env, SERVICES_S3_MEMORY_BYTES: String(256 * 1024 * 1024) };
  await run('bash', [...script, 'start', dir], { env });
  const vars = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    ...testServices(vars),
    async restart(name, downSeconds) {
      await run('bash', [...script, 'restart', name, dir], {
        env: { ...env, SERVICES_DOWN_SECONDS: String(downSeconds) },
      });
    },
    async down(name) {
      await run('bash', [...script, 'down', name, dir], { env });
    },
    async up(name) {
      await run('bash', [...script, 'up', name, dir], { env });
    },
    async stop() {
      await run('bash', [...script, 'stop', dir], { env });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The two databases a storage flow runs on: the embedded default and the real PostgreSQL. */
export const DATABASES: [string, () => Promise<Database>][] = [
  ['PGlite', () => pgliteDatabase()],
  ['PostgreSQL', async () => postgresDatabase(await freshPostgresDatabase())],
];

/** Steps to undo after the file's tests, run last first; returns the function that adds them. */
export function undoAfterAll(): (...steps: (() => unknown)[]) => void {
  const steps: (() => unknown)[] = [];
  afterAll(async () => {
    for (const step of steps.reverse()) await step();
  });
  return (...more) => void steps.push(...more);
}

/** A fresh, migrated database from `open` and a folder object store, both gone after the file's tests. */
export async function freshAdapters(
  open: () => Promise<Database>,
  undo: (...steps: (() => unknown)[]) => void,
  prefix: string,
): Promise<Adapters> {
  const db = await open();
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  undo(
    () => db.close(),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  await migrate(db);
  return { db, objects: folderObjectStore(dir) };
}
