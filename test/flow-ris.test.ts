/**
 * The regional information system's export into the database (issue 16.2), on PGlite and PostgreSQL: exam
 * points, participants and kits all or nothing in one transaction, references checked against what is
 * already there, and participants who refused processing of personal data (order L21, L561-562, L693) under
 * their code only: their names, document and birth date are nowhere in the database, the audit trail, the
 * error reports or the log, through the store, the CLI and the API.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMapping, type RisFile } from '../domain/ris.ts';
import { expandForm, shippedForms } from '../forms/definitions.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { importRis } from '../participants/store.ts';
import { allowedSymbols } from '../pipeline/derive.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore } from '../platform/objects.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { recognisePageStage } from '../recognition/stage.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { decide, releaseTask, takeNextTask } from '../verification/store.ts';
import { assembleKit } from '../works/store.ts';
import { finalSheet, MOSCOW_EGE_02 } from './helpers.ts';
import { DATABASES, freshPostgresDatabase, undoAfterAll } from './services.ts';

const root = new URL('..', import.meta.url);
const MAPPING_PATH = new URL('calibration/regional/2026/38-ege.json', root).pathname;
const mapping = parseMapping(JSON.parse(readFileSync(MAPPING_PATH, 'utf8')));
const SAMPLE_PATHS = ['ppe-38.csv', 'participants-38.xml', 'kits-38.csv'].map(
  (name) => new URL(`samples/regional/${name}`, root).pathname,
);
const samples = (): RisFile[] => SAMPLE_PATHS.map((name) => ({ name, bytes: readFileSync(name) }));

/** What the sample export says of P0003, who refused: none of it may be stored or shown anywhere. */
const REFUSED = ['Сидорова', 'Анна', 'Игоревна', '2512', '777001', '21.02.2008', '2008-02-21'];

/** Every row of every table of ours, as text: where a refused participant's data must not be. */
async function everything(db: Database): Promise<string> {
  const tables = await db.query<{ name: string }>(
    `select quote_ident(table_schema) || '.' || quote_ident(table_name) as name from information_schema.tables
     where table_schema in ('public', 'personal') and table_type = 'BASE TABLE' order by 1`,
  );
  expect(tables.length).toBeGreaterThan(20);
  const rows: string[] = [];
  for (const { name } of tables)
    for (const r of await db.query<{ row: string }>(`select t::text as row from ${name} t`)) rows.push(r.row);
  return rows.join('\n');
}

/**
 * Whether `text` holds `value` as a value of its own, not inside a longer run of letters or digits. A dump of
 * every row holds timestamps to the microsecond, random ids and hashes, in which a 4-digit document series
 * turns up by chance (`19:53:27.532761` holds `3276`): a plain substring test failed CI runs at random.
 */
function holdsValue(text: string, value: string): boolean {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(text);
}

const count = async (db: Database, table: string) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

const undo = undoAfterAll();

async function fresh(open: () => Promise<Database>): Promise<Database> {
  const db = await open();
  undo(() => db.close());
  await migrate(db);
  await registerExam(db, MOSCOW_EGE_02);
  return db;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

const REGISTRATION = shippedForms().find((f) => f.id === 'ege-registration')!;
const PERSONAL_IN_FORM_ORDER = REGISTRATION.fields.filter((f) => f.personal).map((f) => f.name);
const PERSONAL = [...PERSONAL_IN_FORM_ORDER].sort();

/** The corpus's registration form and what its writer wrote. */
const registration = (() => {
  const file = 'ege-registration-scanner-7.jpg';
  const truth = JSON.parse(readFileSync(join(CORPUS_DIR, file.replace('.jpg', '.json')), 'utf8')) as {
    sheetNumber: string;
    fields: Record<string, { value: string }>;
  };
  return { file, truth, value: (field: string) => truth.fields[field]!.value };
})();

/** The corpus's registration form ingested and recognised; its page's id. */
async function recogniseRegistration(db: Database): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rcoi-refused-'));
  undo(() => rmSync(dir, { recursive: true, force: true }));
  const deps = { db, objects: folderObjectStore(dir) };
  const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, registration.file)));
  const meta = { batch: 'b1', station: 's', exam: MOSCOW_EGE_02.id, declared: {} };
  const [page] = (await ingestBatch(deps, meta, 'upload', [{ name: registration.file, bytes }])).newPages;
  await recognisePageStage(deps, shippedForms(), page!);
  return page!;
}

/** The sample export with the corpus form as P0003's registration sheet (P0003 refused). */
const refusedOnForm = () =>
  samples().map((f) =>
    f.name.endsWith('kits-38.csv')
      ? {
          ...f,
          bytes: utf8(
            new TextDecoder().decode(f.bytes).replace('8261000000038', registration.truth.sheetNumber),
          ),
        }
      : f,
  );

/** As the recogniser leaves fields it doubted: no final value, a verification task each, the page not final. */
async function doubt(db: Database, page: string, fields: string[]) {
  const form = expandForm(REGISTRATION);
  await db.query(
    `update fields set final_value = null, status = 'doubtful', doubt = '{low-confidence}'
     where page_id = $1 and name = any($2)`,
    [page, fields],
  );
  for (const field of fields)
    await db.query(
      `insert into verification_tasks (page_id, field, priority, allowed) values ($1, $2, 0, $3)`,
      [page, field, allowedSymbols(form, field)],
    );
  await db.query(`update pages set status = 'needs-verification' where id = $1`, [page]);
  await db.query(`update sheets set status = 'needs-verification' where page_id = $1`, [page]);
}

/** A verifier settles the open tasks `wanted` says, each with what the writer wrote; the fields decided. */
async function verify(db: Database, wanted: (field: string) => boolean): Promise<string[]> {
  const verifier = { id: 'verifier-ana', senior: false };
  const skipped: number[] = [];
  const decided: string[] = [];
  const next = () => takeNextTask(db, verifier, new Date(), 60_000, skipped);
  for (let task = await next(); task; task = await next()) {
    if (!wanted(task.field)) {
      skipped.push(task.id);
      continue;
    }
    const truth =
      task.field === SHEET_NUMBER_TASK
        ? registration.truth.sheetNumber
        : (registration.truth.fields[task.field]?.value ?? task.value);
    await decide(db, shippedForms(), verifier, task.id, { action: 'correct', value: truth });
    decided.push(task.field);
  }
  // What was skipped goes back for the next call.
  for (const id of skipped) await releaseTask(db, verifier.id, id);
  return decided;
}

const pageAndSheet = (db: Database, page: string) =>
  db.query(
    'select p.status, s.status as sheet from pages p left join sheets s on s.page_id = p.id where p.id = $1',
    [page],
  );

/**
 * Nothing read of the form's personal fields is stored anywhere, their tasks are closed, and the page and its
 * sheet are final (every other field was verified), for its kit to be assembled; the erasure is audited.
 */
async function expectWithheld(db: Database, page: string, actor: string) {
  expect(await personalFields(db, page)).toEqual(PERSONAL.map((name) => ({ name, value: '', final: '' })));
  const stored = await everything(db);
  for (const name of PERSONAL) expect(holdsValue(stored, registration.value(name)), name).toBe(false);
  expect(
    await db.query(`select field from verification_tasks where page_id = $1 and status <> 'done'`, [page]),
  ).toEqual([]);
  expect(await pageAndSheet(db, page)).toEqual([{ status: 'final', sheet: 'final' }]);
  expect(
    await db.query(`select actor, detail from audit_events where action = 'verification.withhold'`),
  ).toEqual([{ actor, detail: { fields: PERSONAL_IN_FORM_ORDER } }]);
}

const personalFields = (db: Database, page: string) =>
  db.query<{ name: string; value: string; final: string | null }>(
    'select name, value, final_value as final from fields where page_id = $1 and name = any($2) order by name',
    [page, PERSONAL],
  );

const taskFields = async (db: Database, page: string) =>
  (await db.query<{ field: string }>('select field from verification_tasks where page_id = $1', [page])).map(
    (t) => t.field,
  );

describe.each(DATABASES)('the RIS import on %s', (_name, open) => {
  it('takes the sample export, the refused participant under the code only, and takes it again unchanged', async () => {
    const db = await fresh(open);
    const result = await importRis(db, mapping, samples(), 'admin-ivan');
    expect(result).toEqual({
      imported: true,
      ppes: 2,
      participants: 3,
      refused: 1,
      kits: 3,
      kitIds: ['K1', 'K2', 'K3'],
    });
    const people = await db.query(
      `select code, ppe_code, school, refused_processing as refused, surname, name, patronymic, document,
         to_char(birth_date, 'YYYY-MM-DD') as born, registration_sheet
       from personal.participants order by code`,
    );
    expect(people).toEqual([
      {
        code: 'P0001',
        ppe_code: '0101',
        school: '3800101',
        refused: false,
        surname: 'Иванова',
        name: 'Мария',
        patronymic: 'Петровна',
        document: '2510 123456',
        born: '2008-05-12',
        registration_sheet: '8261000000014',
      },
      expect.objectContaining({ code: 'P0002', patronymic: null, document: '2511 654321' }),
      {
        code: 'P0003',
        ppe_code: '0102',
        school: '3800102',
        refused: true,
        surname: null,
        name: null,
        patronymic: null,
        document: null,
        born: null,
        registration_sheet: '8261000000038',
      },
    ]);
    expect(await count(db, 'kits')).toBe(12);
    const [event] = await db.query<{ actor: string; detail: object }>(
      `select actor, detail from audit_events where action = 'ris.import'`,
    );
    expect(event).toMatchObject({ actor: 'admin-ivan', detail: { participants: 3, refused: 1, kits: 3 } });
    const stored = await everything(db);
    expect(stored).toContain('Иванова');
    for (const value of REFUSED) expect(holdsValue(stored, value), value).toBe(false);

    // An export sent twice changes nothing: its records are registered already.
    expect(await importRis(db, mapping, samples(), 'admin-ivan')).toMatchObject({ imported: true });
    expect(await count(db, 'personal.participants')).toBe(3);
    expect(await count(db, 'kits')).toBe(12);
  });

  it('takes nothing of an export with one bad row, and lists every error', async () => {
    const db = await fresh(open);
    const [ppe, participants, kits] = samples();
    const bad = new TextDecoder()
      .decode(kits!.bytes)
      .replace('K2;02;P0002', 'K2;02;P0009')
      .replace(/8264000000039/, '8264000000030');
    const result = await importRis(db, mapping, [ppe!, participants!, { ...kits!, bytes: utf8(bad) }], 'a');
    expect(result.imported ? [] : result.errors.map((e) => [e.row, e.field, e.code])).toEqual([
      [3, 'participant', 'unknown-participant'],
      [4, 'as2-2', 'bad-format'],
    ]);
    for (const table of ['ppes', 'personal.participants', 'kits', 'audit_events'])
      expect(await count(db, table), table).toBe(0);
  });

  it('checks references against what is registered already: a later kit export, a sheet of another kit', async () => {
    const db = await fresh(open);
    const [ppe, participants, kits] = samples();
    expect(await importRis(db, mapping, [ppe!, participants!], 'a')).toMatchObject({ participants: 3 });
    expect(await importRis(db, mapping, [kits!], 'a')).toMatchObject({ imported: true, kits: 3 });
    const moved = new TextDecoder().decode(kits!.bytes).replace(/^K1;/m, 'K9;');
    const result = await importRis(db, mapping, [{ name: 'kits-2.csv', bytes: utf8(moved) }], 'a');
    expect(result.imported ? [] : result.errors.map((e) => `${e.field} ${e.code} ${e.params.kit}`)).toEqual([
      'registration sheet-in-other-kit K1',
      'as1 sheet-in-other-kit K1',
      'as2-1 sheet-in-other-kit K1',
      'as2-2 sheet-in-other-kit K1',
    ]);
  });

  it('erases what was stored of a participant who refuses later, and the database refuses a name on one', async () => {
    const db = await fresh(open);
    const [ppe, participants] = samples();
    await importRis(db, mapping, [ppe!, participants!], 'a');
    const refusing = new TextDecoder()
      .decode(participants!.bytes)
      .replace('<PDRefused>Нет</PDRefused>', '<PDRefused>Да</PDRefused>');
    await importRis(db, mapping, [{ ...participants!, bytes: utf8(refusing) }], 'a');
    expect(
      await db.query(`select surname, document from personal.participants where code = 'P0001'`),
    ).toEqual([{ surname: null, document: null }]);
    await expect(
      db.query(`update personal.participants set surname = 'Иванова' where code = 'P0001'`),
    ).rejects.toThrow(/participants_refused_under_code_only/);
  });

  it('keeps a registered participant over the registration form’s reading, and a refused one nameless', async () => {
    const db = await fresh(open);
    await importRis(db, mapping, samples(), 'a');
    const forms = shippedForms();
    // The refused participant's kit with a registration form read with a name on it.
    await finalSheet(db, '8261000000038', 'ege-registration', {
      surname: 'СИДОРОВА',
      name: 'АННА',
      patronymic: '',
      document_series: '2512',
      document_number: '777001',
    });
    const work = await db.transaction((tx) => assembleKit(tx, forms, 'K3'));
    expect(
      await db.query(
        `select p.code, p.surname, p.document, l.work_id from personal.participants p
           join personal.participant_works l on l.participant_id = p.id`,
      ),
    ).toEqual([{ code: 'P0003', surname: null, document: null, work_id: work!.id }]);
  });

  it('stores nothing read of the personal fields of a refused participant’s registration form, and asks no verifier', async () => {
    /** The form scanned as the registration sheet of participant `code`'s kit. */
    const scanned = async (code: string) => {
      const db = await fresh(open);
      await importRis(db, mapping, samples(), 'a');
      await db.query('update personal.participants set registration_sheet = $1 where code = $2', [
        registration.truth.sheetNumber,
        code,
      ]);
      const page = await recogniseRegistration(db);
      return { db, fields: await personalFields(db, page), tasks: await taskFields(db, page) };
    };
    // P0001 did not refuse: the form's names are read (what lets the refused case below fail).
    const kept = await scanned('P0001');
    expect(kept.fields.find((f) => f.name === 'surname')?.value).toBe(registration.value('surname'));
    // P0003 refused (order L21, L561-562, L693): the same form scanned anyway keeps those fields empty.
    expect(PERSONAL).toEqual(['document_number', 'document_series', 'name', 'patronymic', 'surname']);
    const refused = await scanned('P0003');
    expect(refused.fields).toEqual(PERSONAL.map((name) => ({ name, value: '', final: '' })));
    expect(refused.tasks.filter((t) => PERSONAL.includes(t))).toEqual([]);
    const stored = await everything(refused.db);
    for (const name of PERSONAL) expect(holdsValue(stored, registration.value(name)), name).toBe(false);
  });

  it('erases what was read and verified of a registration form when a later export says its participant refused', async () => {
    const db = await fresh(open);
    const page = await recogniseRegistration(db);
    // Read as anyone's form, the surname and name doubted (the corpus form's are read without doubt): the
    // surname verified, the name's task still open. The names are stored, in fields and corrections.
    await doubt(db, page, ['surname', 'name']);
    expect(await verify(db, (field) => field !== 'name')).toContain('surname');
    expect(holdsValue(await everything(db), registration.value('surname'))).toBe(true);
    expect(await pageAndSheet(db, page)).toEqual([
      { status: 'needs-verification', sheet: 'needs-verification' },
    ]);
    // The export names the form as P0003's registration sheet: P0003 refused.
    expect(await importRis(db, mapping, refusedOnForm(), 'admin-ivan')).toMatchObject({ refused: 1 });
    await expectWithheld(db, page, 'admin-ivan');
    // The same export again finds nothing more to erase.
    await importRis(db, mapping, refusedOnForm(), 'admin-ivan');
    expect(await count(db, `audit_events where action = 'verification.withhold'`)).toBe(1);
  });

  it('erases what was read of a registration form when its participant refuses in a later export without kits', async () => {
    const db = await fresh(open);
    const files = refusedOnForm();
    const xml = files.find((f) => f.name.endsWith('participants-38.xml'))!;
    const refusing = new TextDecoder().decode(xml.bytes);
    const consenting = refusing.replace('<PDRefused>Да</PDRefused>', '<PDRefused>Нет</PDRefused>');
    expect(consenting).not.toBe(refusing);
    // P0003 consents at first: the form, P0003's registration sheet, is read with its names.
    await importRis(
      db,
      mapping,
      files.map((f) => (f === xml ? { ...f, bytes: utf8(consenting) } : f)),
      'a',
    );
    const page = await recogniseRegistration(db);
    await verify(db, () => true);
    expect(holdsValue(await everything(db), registration.value('surname'))).toBe(true);
    // The participants alone, P0003 refusing now: the kit came before.
    expect(await importRis(db, mapping, [xml], 'admin-ivan')).toMatchObject({ refused: 1, kits: 0 });
    await expectWithheld(db, page, 'admin-ivan');
  });

  it('erases what was read of a refused participant’s registration form once a verifier enters its unread number', async () => {
    const db = await fresh(open);
    const page = await recogniseRegistration(db);
    // As the stage leaves a page whose number was not read: no number, no sheet entered, a task for the number.
    // Its names are read, as nothing says whose form it is; nor can the export, which comes next.
    await db.query(`update pages set sheet_number = null, status = 'needs-verification' where id = $1`, [
      page,
    ]);
    await db.query('delete from sheets where page_id = $1', [page]);
    await db.query(
      `insert into verification_tasks (page_id, field, priority, allowed) values ($1, $2, 0, '0123456789')
       on conflict (page_id, field) do update set status = 'open'`,
      [page, SHEET_NUMBER_TASK],
    );
    await importRis(db, mapping, refusedOnForm(), 'admin-ivan');
    await verify(db, (field) => !PERSONAL.includes(field) && field !== SHEET_NUMBER_TASK);
    expect(holdsValue(await everything(db), registration.value('surname'))).toBe(true);
    // The number entered is P0003's registration sheet: the names go with that decision.
    expect(await verify(db, (field) => field === SHEET_NUMBER_TASK)).toEqual([SHEET_NUMBER_TASK]);
    await expectWithheld(db, page, 'verifier-ana');
  });

  it('moves a work assembled before the export to the registered participant, dropping the form’s reading', async () => {
    const db = await fresh(open);
    await finalSheet(db, '8261000000014', 'ege-registration', { surname: 'ИВАНОВА', name: 'МАРИЯ' });
    await db.query(
      `insert into kits (kit_id, role, sheet_number) values ('K1', 'registration', '8261000000014'),
         ('K1', 'as1', '8262000000011'), ('K1', 'as2-1', '8263000000018'), ('K1', 'as2-2', '8264000000015')`,
    );
    const work = await db.transaction((tx) => assembleKit(tx, shippedForms(), 'K1'));
    expect(await count(db, 'personal.participants')).toBe(1);
    await importRis(db, mapping, samples(), 'a');
    expect(
      await db.query(
        `select p.code, p.surname, l.work_id from personal.participants p
           join personal.participant_works l on l.participant_id = p.id`,
      ),
    ).toEqual([{ code: 'P0001', surname: 'Иванова', work_id: work!.id }]);
    expect(await count(db, 'personal.participants')).toBe(3);
  });
});

describe('rcoi import ris', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rcoi-ris-'));
  undo(() => rmSync(dir, { recursive: true, force: true }));
  const BIN = new URL('bin/rcoi.js', root).pathname;
  const rcoi = (env: Record<string, string>, ...args: string[]) => {
    const { DATABASE_URL: _, RCOI_DATA_DIR: __, ...rest } = process.env;
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { ...rest, LOG_LEVEL: 'trace', ...env },
      encoding: 'utf8',
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const targets = [
    {
      name: 'the embedded database',
      env: async () => ({ RCOI_DATA_DIR: join(dir, 'data') }),
      open: (env: Record<string, string>) => pgliteDatabase(join(env.RCOI_DATA_DIR!, 'db')),
    },
    {
      name: 'PostgreSQL',
      env: async () => ({ DATABASE_URL: await freshPostgresDatabase(), RCOI_DATA_DIR: join(dir, 'unused') }),
      open: async (env: Record<string, string>) => postgresDatabase(env.DATABASE_URL!),
    },
  ];

  for (const target of targets)
    it(`imports into ${target.name}, printing and storing nothing of a refused participant`, async () => {
      const env = await target.env();
      const setup = await target.open(env);
      await migrate(setup);
      await registerExam(setup, MOSCOW_EGE_02);
      await setup.close();

      // A bad row first: every error printed, nothing taken, exit 1.
      const badKits = join(dir, 'kits-bad.csv');
      writeFileSync(badKits, readFileSync(SAMPLE_PATHS[2]!, 'utf8').replace('K2;02;P0002', 'K2;02;P0009'));
      const bad = rcoi(
        env,
        'import',
        'ris',
        '--mapping',
        MAPPING_PATH,
        SAMPLE_PATHS[0]!,
        SAMPLE_PATHS[1]!,
        badKits,
      );
      expect(bad.code).toBe(1);
      expect(bad.err).toBe(
        `${badKits}:3 column "Участник" (participant): unknown-participant value="P0009" exam="2026-ege-02"\n` +
          'rcoi import ris: 1 errors: nothing imported\n',
      );

      const good = rcoi(env, 'import', 'ris', '--mapping', MAPPING_PATH, ...SAMPLE_PATHS);
      expect(good.err).toBe('');
      expect(good.out).toMatch(/^imported 2 exam points, 3 participants \(1 under their code only\), 3 kits/);
      expect(good.code).toBe(0);

      const db = await target.open(env);
      try {
        const stored = await everything(db);
        expect(stored).toContain('P0003');
        for (const value of REFUSED) {
          expect(holdsValue(stored, value), value).toBe(false);
          expect(holdsValue(bad.out + bad.err + good.out + good.err, value), value).toBe(false);
        }
      } finally {
        await db.close();
      }
    });
});

describe('POST /api/ris/import', () => {
  it('takes an export from an administrator, answers every error of a bad one with 422, and logs nothing of a refused participant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rcoi-ris-api-'));
    undo(() => rmSync(dir, { recursive: true, force: true }));
    const databaseUrl = await freshPostgresDatabase();
    const db = postgresDatabase(databaseUrl);
    undo(() => db.close());
    await migrate(db);
    await registerExam(db, MOSCOW_EGE_02);
    const admin = await issueUser(db, { id: 'admin-ivan', name: 'Иван', role: 'admin' });
    const operator = await issueUser(db, { id: 'op', name: 'Оператор', role: 'operator' });
    // The service as deployed, in its own process, its log (every level) kept to be searched.
    const port = await freePort();
    const { DATABASE_URL: _, RCOI_DATA_DIR: __, REDIS_URL: ___, ...env } = process.env;
    const server = spawn(process.execPath, [new URL('bin/rcoi.js', root).pathname, 'serve'], {
      env: { ...env, DATABASE_URL: databaseUrl, RCOI_DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'trace' },
    });
    let output = '';
    server.stdout.on('data', (b) => (output += b));
    server.stderr.on('data', (b) => (output += b));
    const exited = new Promise((resolve) => server.once('exit', resolve));
    undo(() => {
      if (server.exitCode === null) server.kill('SIGTERM');
      return exited;
    });
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', () => output.includes('rcoi service on') && resolve());
      server.once('exit', () => reject(new Error(`the service stopped:\n${output}`)));
    });

    const rawMapping = JSON.parse(readFileSync(MAPPING_PATH, 'utf8'));
    const payload = (files: RisFile[]) => ({
      mapping: rawMapping,
      files: files.map((f) => ({
        name: f.name.split('/').pop(),
        content: Buffer.from(f.bytes).toString('base64'),
      })),
    });
    const post = async (token: string, body: object) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/ris/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.text() };
    };

    expect((await post(operator, payload(samples()))).status).toBe(403);
    const wrongMapping = await post(admin, { ...payload(samples()), mapping: { ...rawMapping, files: [] } });
    expect(wrongMapping.status).toBe(422);
    expect(JSON.parse(wrongMapping.body)).toMatchObject({
      code: 'bad-value',
      error: expect.stringMatching(/files/),
    });

    const [ppe, participants, kits] = samples();
    const badKits = utf8(new TextDecoder().decode(kits!.bytes).replace('K3;02;P0003', 'K3;02;P0033'));
    const refused = await post(admin, payload([ppe!, participants!, { ...kits!, bytes: badKits }]));
    expect(refused.status).toBe(422);
    expect(JSON.parse(refused.body)).toEqual({
      imported: false,
      errors: [
        {
          file: 'kits-38.csv',
          row: 4,
          column: 'Участник',
          field: 'participant',
          code: 'unknown-participant',
          params: { value: 'P0033', exam: '2026-ege-02' },
        },
      ],
    });

    const taken = await post(admin, payload(samples()));
    expect(taken.status).toBe(200);
    expect(JSON.parse(taken.body)).toEqual({ imported: true, ppes: 2, participants: 3, refused: 1, kits: 3 });
    server.kill('SIGTERM');
    await exited;
    // The log is there to be searched: it names the route, and nothing of the refused participant.
    expect(output).toContain('/api/ris/import');
    const stored = await everything(db);
    for (const value of REFUSED)
      expect(holdsValue(`${stored}\n${refused.body}\n${taken.body}\n${output}`, value), value).toBe(false);
  });
});

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
