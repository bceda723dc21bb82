/**
 * The directions ARCHITECTURE.md draws, enforced: every relative import of every source file is checked
 * against the rooms its folder may use, and the drivers of the database, object store and queues are
 * imported by the platform room alone. A new import that breaks a direction fails here, naming the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The pure rooms at the bottom, every later room built on earlier ones only. */
const PURE = ['forms', 'pipeline', 'domain', 'contract'];
const STAGE_BASE = [...PURE, 'platform'];

/** The rooms each room may import from (besides itself). */
const MAY_IMPORT: Record<string, string[]> = {
  forms: [],
  contract: [],
  pipeline: ['forms'],
  domain: ['forms'],
  render: ['forms', 'pipeline'],
  samples: ['forms', 'pipeline', 'render'],
  calibration: ['forms', 'pipeline', 'domain', 'render', 'samples'],
  platform: PURE,
  works: STAGE_BASE,
  verification: [...STAGE_BASE, 'works'],
  // Recognising a page opens its doubts for verification and enters its sheet.
  recognition: [...STAGE_BASE, 'verification', 'works'],
  intake: [...STAGE_BASE, 'recognition'],
  retention: STAGE_BASE,
  // The regional system's kits are kits: saved as the printing system's are; a refusal it brings erases
  // what verification holds of a registration form read before.
  participants: [...STAGE_BASE, 'verification', 'works'],
  print: [...STAGE_BASE, 'render', 'works'],
  checking: [...STAGE_BASE, 'works', 'print'],
  // Results read the facts of works and checks from the database, not through those rooms; their protocols
  // and publication package are drawn by print.
  results: [...STAGE_BASE, 'print'],
  workers: [
    ...STAGE_BASE,
    'intake',
    'recognition',
    'verification',
    'works',
    'checking',
    'retention',
    'results',
  ],
  // web/routes.ts serves the stations; the stations themselves (web/app) are checked apart below.
  web: [],
  service: [
    ...STAGE_BASE,
    'intake',
    'recognition',
    'verification',
    'works',
    'participants',
    'checking',
    'retention',
    'print',
    'results',
    'workers',
    'web',
    'samples',
  ],
  cli: [
    ...STAGE_BASE,
    'render',
    'samples',
    'calibration',
    'intake',
    'recognition',
    'verification',
    'participants',
    'results',
    'retention',
    'workers',
    'service',
  ],
  bin: ['cli'],
  scripts: ['web'],
};

/** Drivers of the adapters behind the platform's small interfaces. */
const DRIVERS = ['pg', '@electric-sql/pglite', 'minio', 'bullmq', 'ioredis'];
/** Only the HTTP edge knows Fastify: each room's routes, the service, access and routing, the stations' server. */
const HTTP_FILES = /^(\w+\/routes(\/[\w-]+)?\.ts|service\/.*|platform\/(access|http)\.ts|web\/routes\.ts)$/;

/** Where SQL may be written: a room's store (`store.ts` or `store/`), the platform's database and migrations. */
const SQL_FILES = /^(\w+\/store\.ts|\w+\/store\/.*|platform\/(db|migrate)\.ts)$/;
/** A string or template that starts like a statement. */
const SQL =
  /[`'"]\s*(select\s[^`'"]*\sfrom\s|insert\s+into\s|update\s+\w+(\s+\w+)?\s+set\s|delete\s+from\s)/gi;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return /\.(ts|tsx|js)$/.test(name) ? [path] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

const roomOf = (path: string) => normalize(path).split('/')[0]!;

/** The imports of `file` (as written) that leave its room for one it may not use. */
function brokenDirections(file: string, specs: string[]): string[] {
  const room = roomOf(file);
  const allowed = file.startsWith('web/app/') ? ['contract'] : MAY_IMPORT[room]!;
  return specs
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, join(ROOT, dirname(file), spec)))
    .filter((target) => roomOf(target) !== room && !allowed.includes(roomOf(target)))
    .map((target) => `${file} imports ${target} (${room} may not use ${roomOf(target)})`);
}

const files = Object.keys(MAY_IMPORT).flatMap(sources);

describe('the directions between rooms', () => {
  it('finds the source files it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const room of Object.keys(MAY_IMPORT)) expect(sources(room).length, room).toBeGreaterThan(0);
  });

  it('has every room import only from the rooms it may', () => {
    expect(files.flatMap((file) => brokenDirections(file, importsOf(file)))).toEqual([]);
  });

  it('keeps the stations to their own code and the contract’s types: every datum comes over the API', () => {
    const outside = sources('web/app').flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return importsOf(file)
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => ({ spec, target: relative(ROOT, join(ROOT, dirname(file), spec)) }))
        .filter(({ spec, target }) => {
          if (target.startsWith('web/app/')) return false;
          // The contract's types only: its zod schemas stay on the server, out of the stations' bundle.
          return !(target.startsWith('contract/') && new RegExp(`import type [^;]*'${spec}'`).test(text));
        })
        .map(({ target }) => `${file} imports ${target}`);
    });
    expect(outside).toEqual([]);
  });

  it('lets only the platform room touch the database, object store and queue drivers', () => {
    const offenders = files
      .filter((file) => roomOf(file) !== 'platform')
      .flatMap((file) =>
        importsOf(file)
          .filter((spec) => DRIVERS.includes(spec))
          .map((d) => `${file}: ${d}`),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps HTTP at the edge: Fastify only in routes, the service, the platform’s access and routing, and the stations’ server', () => {
    const offenders = files.filter(
      (file) => !HTTP_FILES.test(file) && importsOf(file).some((spec) => spec === 'fastify'),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps SQL in the stores: none in routes, stage handlers, the CLI, the service or print', () => {
    const offenders = files
      .filter((file) => !SQL_FILES.test(file))
      .flatMap((file) => {
        const text = readFileSync(join(ROOT, file), 'utf8');
        return [...text.matchAll(SQL)].map((m) => `${file}: ${m[0].trim()}`);
      });
    expect(offenders).toEqual([]);
    expect('await db.query(`select id from pages`)').toMatch(SQL);
    expect("tx.query('update pages set status = $1')").toMatch(SQL);
  });

  it('catches a broken direction (the check itself works)', () => {
    expect(brokenDirections('pipeline/register.ts', ['../platform/db.ts', './geometry.ts'])).toEqual([
      'pipeline/register.ts imports platform/db.ts (pipeline may not use platform)',
    ]);
    expect(brokenDirections('web/app/verify.tsx', ['../../verification/store.ts'])).toHaveLength(1);
    expect(brokenDirections('checking/routes.ts', ['../works/store.ts', 'fastify'])).toEqual([]);
  });
});
