/**
 * Training sets for next year's experts (issue 16 item 6; order L207, L395): an administrator asks the
 * service over a real socket, or `rcoi retention training-set`, for N works of an exam with complete checks
 * drawn at random, and the set is kept as redacted copies; refused with codes once the originals may be gone,
 * for more works than are checked, for a page that is no AS2 of the exam. On PGlite and on PostgreSQL.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shippedForms } from '../forms/definitions.ts';
import { ingestBatch } from '../intake/ingest.ts';
import type { Adapters } from '../platform/adapters.ts';
import { configFromEnv } from '../platform/config.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore } from '../platform/objects.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { recognisePageStage } from '../recognition/stage.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { startService } from '../service/run.ts';
import { freshPostgresDatabase, undoAfterAll } from './services.ts';

const undo = undoAfterAll();
const BIN = new URL('../bin/rcoi.js', import.meta.url).pathname;
// Held today, or on the last day of the newest year with shipped retention policies: its AS2 originals stay
// until 1 March after it. From then on the suite fails until the new year's policies are shipped.
const POLICY_YEARS = readdirSync(new URL('../calibration/retention/', import.meta.url))
  .map((f) => /^(\d{4})\.json$/.exec(f)?.[1])
  .filter((y) => y !== undefined)
  .sort();
const HELD = [new Date().toISOString().slice(0, 10), `${POLICY_YEARS.at(-1)}-12-31`].sort()[0]!;
const EXAM = { id: 'ege-02', kind: 'EGE', subjectCode: '02', date: HELD, region: '77' } as const;
// An OGE exam of January 2026: its materials went half a year later (road map L453, L455).
const PAST = { ...EXAM, id: 'oge-02', kind: 'OGE', date: '2026-01-15' } as const;

const targets: [
  string,
  (dir: string) => Promise<Record<string, string>>,
  (env: Record<string, string>) => Promise<Database>,
][] = [
  ['PGlite', async () => ({}), (env) => pgliteDatabase(join(env.RCOI_DATA_DIR!, 'db'))],
  [
    'PostgreSQL',
    async () => ({ DATABASE_URL: await freshPostgresDatabase() }),
    async (env) => postgresDatabase(env.DATABASE_URL!),
  ],
];

/**
 * Three works made of the corpus's recognised pages: W1 (AS2 sheets 1 and 2) and W2 (an additional AS2)
 * have their checks complete, W3 (a registration form only) has not.
 */
async function seedWorks(deps: Adapters): Promise<{ registration: string }> {
  const { db } = deps;
  await migrate(db);
  for (const exam of [EXAM, PAST]) await registerExam(db, { ...exam, timeZone: 'Europe/Moscow' });
  const names = [
    'ege-as2-1-scanner-8.jpg',
    'ege-as2-2-scanner-9-blank.jpg',
    'ege-as2-additional-scanner-10.jpg',
    'ege-registration-scanner-7.jpg',
  ];
  const files = names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(CORPUS_DIR, name))) }));
  await ingestBatch(deps, { batch: 'b1', station: 's', exam: EXAM.id, declared: {} }, 'upload', files);
  for (const p of await db.query<{ id: string }>('select id from pages'))
    await recognisePageStage(deps, shippedForms(), p.id);
  const sheetOf = async (form: string) =>
    (
      await db.query<{ sheet_number: string; page_id: string }>(
        'select sheet_number, page_id from sheets where form like $1',
        [form],
      )
    )[0]!;
  const sheets: [string, string, string][] = [
    ['W1', (await sheetOf('ege-as2-1%')).sheet_number, 'as2-1'],
    ['W1', (await sheetOf('ege-as2-2%')).sheet_number, 'as2-2'],
    ['W2', (await sheetOf('ege-as2-add%')).sheet_number, 'additional-as2'],
    ['W3', (await sheetOf('ege-reg%')).sheet_number, 'registration'],
  ];
  for (const work of ['W1', 'W2', 'W3'])
    await db.query(`insert into works (id, exam_id, status, route) values ($1, $2, 'complete', 'checking')`, [
      work,
      EXAM.id,
    ]);
  for (const [work, sheet, role] of sheets)
    await db.query('insert into work_sheets (work_id, sheet_number, role) values ($1, $2, $3)', [
      work,
      sheet,
      role,
    ]);
  for (const work of ['W1', 'W2'])
    await db.query(
      `insert into work_results (work_id, scores, total, basis) values ($1, '{}', 0, 'two-experts')`,
      [work],
    );
  return { registration: (await sheetOf('ege-reg%')).page_id };
}

function rcoi(env: Record<string, string>, ...args: string[]) {
  const { DATABASE_URL: _, RCOI_DATA_DIR: __, REDIS_URL: ___, ...rest } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...rest, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.each(targets)('training sets on %s', (_name, envOf, open) => {
  it('are drawn from checked works by an administrator over HTTP and by the CLI, refused with codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rcoi-training-'));
    undo(() => rmSync(dir, { recursive: true, force: true }));
    const env = { RCOI_DATA_DIR: dir, ...(await envOf(dir)) };
    const db = await open(env);
    const { registration } = await seedWorks({ db, objects: folderObjectStore(join(dir, 'objects')) });
    const admin = await issueUser(db, { id: 'admin-irina', name: 'Ирина', role: 'admin' });
    const chair = await issueUser(db, { id: 'chair-olga', name: 'Ольга', role: 'chair' });
    await db.close();

    const service = await startService(configFromEnv({ ...env, PORT: '0' }), {
      listen: true,
      pollMs: 60_000,
    });
    // Stopped in the test before the CLI opens the same database, and after it should the test fail first.
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= service.stop());
    undo(stop);
    const { port } = service.app.server.address() as AddressInfo;
    const post = async (token: string, body: object) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/retention/training-sets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.json() };
    };
    const purpose = 'подготовка экспертов 2027, математика';

    expect((await post(chair, { examId: EXAM.id, purpose, works: 1 })).status).toBe(403);
    const refusal = async (body: object) => {
      const r = await post(admin, { purpose, ...body });
      return [r.status, r.body.code, r.body.params];
    };
    expect(await refusal({ examId: EXAM.id, works: 3 })).toEqual([
      422,
      'training-set-too-few',
      { asked: 3, eligible: 2 },
    ]);
    expect(await refusal({ examId: EXAM.id, pageIds: [registration] })).toEqual([
      422,
      'training-page-unfit',
      {},
    ]);
    expect(await refusal({ examId: 'none', works: 1 })).toEqual([404, 'no-such-exam', { exam: 'none' }]);
    // Moscow's 15 July 2026 began at 21:00 UTC the day before: the OGE originals may be gone since.
    expect(await refusal({ examId: PAST.id, works: 1 })).toEqual([
      422,
      'training-set-too-late',
      { at: '2026-07-14T21:00:00.000Z' },
    ]);
    expect((await post(admin, { examId: EXAM.id, purpose, pageIds: ['x'], works: 1 })).status).toBe(400);

    // Both checked works: all three AS2 pages, never the registration form; the answer names the seed.
    const both = await post(admin, { examId: EXAM.id, purpose, works: 2 });
    expect(both.status).toBe(201);
    expect(both.body.copies).toHaveLength(3);
    expect(both.body.seed).toMatch(/^[0-9a-f]{16}$/);
    // One work drawn by a seed: the same seed draws it again.
    const one = await post(admin, { examId: EXAM.id, purpose, works: 1, seed: 'experts-2027' });
    const again = await post(admin, { examId: EXAM.id, purpose, works: 1, seed: 'experts-2027' });
    expect(one.body.copies.length).toBeGreaterThan(0);
    expect(again.body.copies).toEqual(one.body.copies);
    expect(both.body.copies).toEqual(expect.arrayContaining(one.body.copies));
    await stop();

    const cli = rcoi(
      env,
      'retention',
      'training-set',
      '--exam',
      EXAM.id,
      '--purpose',
      purpose,
      '--works',
      '1',
      '--seed',
      'experts-2027',
    );
    expect([cli.code, cli.err]).toEqual([0, '']);
    expect(cli.out).toBe(
      `training set 4: ${one.body.copies.length} redacted copies kept (works drawn with seed experts-2027)\n`,
    );
    const list = join(dir, 'pages.txt');
    writeFileSync(list, `# chosen on the screen\n${registration}\n`);
    const unfit = rcoi(
      env,
      'retention',
      'training-set',
      '--exam',
      EXAM.id,
      '--purpose',
      purpose,
      '--pages',
      list,
    );
    expect([unfit.code, unfit.err]).toEqual([
      1,
      `rcoi retention training-set: page ${registration} is no answer sheet 2 an expert may see\n`,
    ]);
    const late = rcoi(
      env,
      'retention',
      'training-set',
      '--exam',
      PAST.id,
      '--purpose',
      purpose,
      '--works',
      '1',
    );
    expect(late.code).toBe(1);
    expect(late.err).toMatch(/must be chosen before 2026-07-14T21:00:00.000Z/);
    expect(rcoi(env, 'retention', 'training-set', '--exam', EXAM.id, '--purpose', purpose).code).toBe(2);

    const check = await open(env);
    try {
      const audited = await check.query<{ actor: string; works: number | null; seed: string | null }>(
        `select actor, (detail->>'works')::int as works, detail->>'seed' as seed from audit_events
         where action = 'retention.training-set' order by id`,
      );
      expect(audited).toEqual([
        { actor: 'admin-irina', works: 2, seed: both.body.seed },
        { actor: 'admin-irina', works: 1, seed: 'experts-2027' },
        { actor: 'admin-irina', works: 1, seed: 'experts-2027' },
        { actor: 'cli', works: 1, seed: 'experts-2027' },
      ]);
    } finally {
      await check.close();
    }
  }, 240_000);
});
