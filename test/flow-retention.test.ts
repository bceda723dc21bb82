/**
 * The retention sweeper with an injected clock, on the embedded default and on PostgreSQL with the S3 server:
 * nothing is deleted before its day begins in its exam's region, holds keep objects and are reported on every
 * run, and each destruction is an act listing what went, when, by which policy, with the objects' hashes.
 * Rows too (issue 16.6): recognised values, personal data and results, per exam kind, in the same acts under
 * the same holds; and a training set chosen before 1 March outlives the AS2 originals as depersonalised copies.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shippedForms } from '../forms/definitions.ts';
import { ingestBatch } from '../intake/ingest.ts';
import type { Adapters } from '../platform/adapters.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { pageImage } from '../platform/images.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore, type ObjectStore, s3ObjectStore } from '../platform/objects.ts';
import { registerExam } from '../platform/store/exams.ts';
import { recognisePageStage } from '../recognition/stage.ts';
import { placeHold, releaseHold } from '../retention/holds.ts';
import { sweepRetention } from '../retention/stage.ts';
import { destructionAct } from '../retention/store.ts';
import { chooseTrainingSet } from '../retention/training.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { MOSCOW_EGE_02 } from './helpers.ts';
import { freshPostgresDatabase, testServices } from './services.ts';

const file = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(join(CORPUS_DIR, name))) });

/** Ingests the files for the exam and recognises their pages, as the intake and recognise stages do. */
async function recognised(deps: Adapters, exam: string, names: string[]): Promise<void> {
  await ingestBatch(
    deps,
    { batch: `${exam}-1`, station: 's', exam, declared: {} },
    'upload',
    names.map(file),
  );
  const pages = await deps.db.query<{ id: string }>(
    `select p.id from pages p join images i on i.sha256 = p.image_sha256
     join stored_objects o on o.object_key = i.object_key where o.exam_id = $1 and p.status = 'pending'`,
    [exam],
  );
  for (const p of pages) await recognisePageStage(deps, shippedForms(), p.id);
}

/**
 * What the regional import and the results leave of one participant of the exam (and one who refused
 * processing, under a code only), and a verifier's correction on one of the exam's pages.
 */
async function seedRows(db: Adapters['db'], exam: string): Promise<void> {
  const work = `W-${exam}`;
  await db.query(`insert into works (id, exam_id, status) values ($1, $2, 'complete')`, [work, exam]);
  const [p] = await db.query<{ id: number }>(
    `insert into personal.participants (exam_id, surname, name, patronymic, document, birth_date, code, school)
     values ($1, 'Иванова', 'Мария', 'Петровна', '4510 123456', '2008-04-01', $2, 'Школа № 5') returning id`,
    [exam, `P-${exam}`],
  );
  await db.query('insert into personal.participant_works (participant_id, work_id) values ($1, $2)', [
    p!.id,
    work,
  ]);
  await db.query(
    `insert into personal.participants (exam_id, code, refused_processing) values ($1, $2, true)`,
    [exam, `R-${exam}`],
  );
  const sha = createHash('sha256').update(exam).digest('hex');
  await db.query(
    `insert into scoring_sets (sha256, year, exam, subject_code, body) values ($1, 2026, 'EGE', '02', '{}')`,
    [sha],
  );
  await db.query(
    `insert into participant_results (work_id, exam_id, status, primary_score, score, scale, tasks, scoring_sha256)
     values ($1, $2, 'complete', 5, 64, 'test-score', '{"1": 1}', $3)`,
    [work, exam, sha],
  );
  const [field] = await db.query<{ page_id: string; name: string }>(
    `select f.page_id, f.name from fields f join pages p on p.id = f.page_id join images i on i.sha256 = p.image_sha256
     join stored_objects o on o.object_key = i.object_key where o.exam_id = $1 order by 1, 2 limit 1`,
    [exam],
  );
  const [task] = await db.query<{ id: number }>(
    `insert into verification_tasks (page_id, field, priority, allowed, status) values ($1, $2, 0, '0-9', 'done')
     on conflict (page_id, field) do update set status = 'done' returning id`,
    [field!.page_id, field!.name],
  );
  await db.query(
    `insert into corrections (task_id, page_id, field, action, old_value, new_value, actor)
     values ($1, $2, $3, 'correct', '7', '1', 'verifier-olga')`,
    [task!.id, field!.page_id, field!.name],
  );
}

/** What of the exam's rows is left to name or count: values, readings, people, links, results. */
async function rowsOf(db: Adapters['db'], exam: string) {
  const [r] = await db.query<Record<string, number | string[]>>(
    `with pg as (select p.id from pages p join images i on i.sha256 = p.image_sha256
       join stored_objects o on o.object_key = i.object_key where o.exam_id = $1)
     select (select count(*)::int from fields where page_id in (select id from pg)) as fields,
       (select count(*)::int from fields where page_id in (select id from pg)
          and (value <> '' or final_value <> '')) as values,
       (select count(*)::int from corrections where page_id in (select id from pg)) as corrections,
       (select count(*)::int from corrections where page_id in (select id from pg)
          and (old_value <> '' or new_value <> '')) as "correctedValues",
       (select count(*)::int from pages where id in (select id from pg) and recognition is not null) as readings,
       (select array_agg(coalesce(surname, '-') || '/' || coalesce(document, '-') || '/' || coalesce(code, '-')
          || '/' || coalesce(school, '-') order by id) from personal.participants where exam_id = $1) as people,
       (select count(*)::int from personal.participant_works w join works k on k.id = w.work_id
          where k.exam_id = $1) as links,
       (select count(*)::int from participant_results where exam_id = $1) as results`,
    [exam],
  );
  return r!;
}

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

const backends: [string, () => Promise<Adapters>][] = [
  [
    'embedded (PGlite, folder)',
    async () => {
      const db: Database = await pgliteDatabase();
      const dir = mkdtempSync(join(tmpdir(), 'rcoi-retention-'));
      cleanup.push(
        () => db.close(),
        () => rmSync(dir, { recursive: true, force: true }),
      );
      return { db, objects: folderObjectStore(dir) };
    },
  ],
  [
    'services (PostgreSQL, S3)',
    async () => {
      const db = postgresDatabase(await freshPostgresDatabase());
      cleanup.push(() => db.close());
      const objects: ObjectStore = await s3ObjectStore({
        ...testServices().s3,
        bucket: `rcoi-retention-${Date.now().toString(36)}`,
      });
      return { db, objects };
    },
  ],
];

describe.each(backends)('retention sweeper on %s', (_name, make) => {
  it('destroys each object when its 1 March begins where its exam was sat, holds excepted', async () => {
    const deps = await make();
    const { db, objects } = deps;
    await migrate(db);
    const exam = { kind: 'EGE', subjectCode: '02', date: '2026-06-01' } as const;
    await registerExam(db, { ...exam, id: 'msk', region: '77', timeZone: 'Europe/Moscow' });
    await registerExam(db, { ...exam, id: 'kam', region: '41', timeZone: 'Asia/Kamchatka' });
    const batch = (exam: string, names: string[]) =>
      ingestBatch(deps, { batch: `${exam}-1`, station: 's', exam, declared: {} }, 'upload', names.map(file));
    await batch('msk', ['ege-as2-1-scanner-8.jpg', 'ege-as2-2-scanner-9-blank.jpg']);
    await batch('kam', ['ege-as2-additional-scanner-10.jpg']);
    const keysOf = async (exam: string) =>
      (
        await db.query<{ object_key: string }>(
          'select object_key from stored_objects where exam_id = $1 order by 1',
          [exam],
        )
      ).map((r) => r.object_key);
    const [msk1, msk2] = await keysOf('msk');
    const [kam1] = await keysOf('kam');
    const exists = async (key: string) => (await objects.stat(key)) !== null;
    const holdId = await placeHold(
      deps,
      { objectKey: msk2! },
      'admin-irina',
      'appeal pending in the conflict commission',
    );

    // A second before Kamchatka's 1 March: nothing goes, everything is listed as coming.
    let r = await sweepRetention(deps, new Date('2027-02-28T11:59:59Z'), 'sweeper');
    expect(r.destroyed).toEqual([]);
    expect(r.actId).toBeNull();
    expect(r.upcoming.map((u) => u.key).sort()).toEqual([msk1, msk2, kam1].sort());
    // The S3 store holds the held object itself, and expires the rest only after Moscow's 1 March ends.
    if (objects.kind === 's3') {
      expect(objects.enforcesHolds).toBe(true);
      await expect(objects.delete(msk2!)).rejects.toThrow(/legal hold/);
      expect(r.backstops).toEqual([{ prefix: '2026/scan-file/', from: '2027-03-02T00:00:00.000Z' }]);
    } else expect(r.backstops).toBeNull();
    for (const k of [msk1!, msk2!, kam1!]) expect(await exists(k)).toBe(true);

    // Kamchatka's 1 March has begun, Moscow's has not.
    r = await sweepRetention(deps, new Date('2027-02-28T12:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([{ key: kam1, material: 'scan-file', dueDay: '2027-03-01', late: false }]);
    expect(await exists(kam1!)).toBe(false);
    expect(await exists(msk1!)).toBe(true);

    // Moscow's has: the held object stays and is reported, with who holds it and why.
    r = await sweepRetention(deps, new Date('2027-02-28T21:00:00Z'), 'sweeper');
    expect(r.destroyed.map((d) => d.key)).toEqual([msk1]);
    expect(r.heldPastDate).toEqual([
      {
        key: msk2,
        material: 'scan-file',
        dueDay: '2027-03-01',
        holds: [{ by: 'admin-irina', reason: 'appeal pending in the conflict commission' }],
      },
    ]);
    expect(await exists(msk2!)).toBe(true);
    // Every run reports it again, and destroys nothing twice.
    r = await sweepRetention(deps, new Date('2027-03-01T09:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([]);
    expect(r.heldPastDate.map((h) => h.key)).toEqual([msk2]);

    // Released after the day: destroyed, and marked late.
    await releaseHold(deps, holdId, 'admin-irina');
    r = await sweepRetention(deps, new Date('2027-03-05T09:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([{ key: msk2, material: 'scan-file', dueDay: '2027-03-01', late: true }]);
    expect(await exists(msk2!)).toBe(false);
    if (objects.kind === 's3') expect(r.backstops).toEqual([]);

    // The acts: what, when, by whom, under which policy set, with each object's hash.
    const acts = await db.query<{ id: number; run_by: string; items: number; hashes: string[] }>(
      `select a.id, a.run_by, count(i.*)::int as items, array_agg(i.sha256 order by i.object_key) as hashes
       from destruction_acts a join destruction_act_items i on i.act_id = a.id group by a.id order by a.id`,
    );
    expect(acts.map((a) => a.items)).toEqual([1, 1, 1]);
    const stored = await db.query<{ sha256: string; destroyed_at: Date | null }>(
      'select sha256, destroyed_at from stored_objects order by object_key',
    );
    expect(stored.every((s) => s.destroyed_at !== null)).toBe(true);
    expect(acts.flatMap((a) => a.hashes).sort()).toEqual(stored.map((s) => s.sha256).sort());
    const [policies] = await db.query<{ n: number }>('select count(*)::int as n from retention_policy_sets');
    expect(policies?.n).toBe(1);
    const audits = await db.query<{ action: string }>(
      `select action from audit_events where action like 'retention.%' order by id`,
    );
    expect(audits.map((a) => a.action)).toEqual([
      'retention.hold',
      'retention.destroy',
      'retention.destroy',
      'retention.release',
      'retention.destroy',
    ]);
  });

  it('holds every object of an exam with one hold, and refuses a hold without a reason', async () => {
    const deps = await make();
    const { db } = deps;
    await migrate(db);
    await registerExam(db, { ...MOSCOW_EGE_02, id: 'msk' });
    await ingestBatch(
      deps,
      { batch: 'b', station: 's', exam: 'msk', declared: {} },
      'upload',
      ['ege-as2-1-scanner-8.jpg', 'ege-protocol-scanner-11.jpg'].map(file),
    );
    await expect(placeHold(deps, { examId: 'msk' }, 'admin', ' ')).rejects.toThrow(/reason/);
    await placeHold(deps, { examId: 'msk' }, 'gek-chair', 'annulment under review');
    const r = await sweepRetention(deps, new Date('2027-04-01T00:00:00Z'), 'sweeper');
    expect(r.destroyed).toEqual([]);
    expect(r.heldPastDate).toHaveLength(2);
  });

  it('erases recognised values and anonymises people per exam kind in the act, results kept as statistics; a hold stops it', async () => {
    const deps = await make();
    const { db } = deps;
    await migrate(db);
    const exam = { subjectCode: '02', date: '2026-06-01', region: '77', timeZone: 'Europe/Moscow' } as const;
    await registerExam(db, { ...exam, id: 'ege', kind: 'EGE' });
    await registerExam(db, { ...exam, id: 'oge', kind: 'OGE' });
    await recognised(deps, 'ege', ['ege-as1-2023-scanner-1.jpg']);
    await recognised(deps, 'oge', ['ege-as1-2023-phone-2.jpg']);
    for (const e of ['ege', 'oge']) await seedRows(db, e);
    const ege = await rowsOf(db, 'ege');
    const oge = await rowsOf(db, 'oge');
    expect(oge.values).toBeGreaterThan(0);
    expect(oge).toMatchObject({ readings: 1, correctedValues: 1, links: 1, results: 1 });
    expect(oge.people).toEqual(['Иванова/4510 123456/P-oge/Школа № 5', '-/-/R-oge/-']);

    // GIA-9 materials go half a year after the exam (road map L453, L455): not on 30 November...
    let r = await sweepRetention(deps, new Date('2026-11-30T09:00:00Z'), 'sweeper');
    expect(r.actId).toBeNull();
    expect(r.upcoming.map((u) => u.key)).toEqual(
      expect.arrayContaining(['rows:oge/recognition-data', 'rows:oge/personal-data']),
    );
    // ...but on 1 December, in one act with the OGE file; the EGE exam keeps everything until 1 March.
    r = await sweepRetention(deps, new Date('2026-12-01T09:00:00Z'), 'sweeper');
    expect(r.destroyed.map((d) => d.material)).toEqual(['scan-file']);
    const ogeAnonymised = [
      {
        examId: 'oge',
        material: 'recognition-data',
        action: 'anonymise',
        dueDay: '2026-12-01',
        late: false,
        rows: { fields: oge.values, corrections: 1, pages: 1 },
      },
      {
        examId: 'oge',
        material: 'personal-data',
        action: 'anonymise',
        dueDay: '2026-12-01',
        late: false,
        rows: { 'personal.participants': 1 },
      },
    ];
    expect(r.records).toEqual(ogeAnonymised);
    const act = await destructionAct(db, r.actId!);
    expect(act?.items.map((i) => i.material)).toEqual(['scan-file']);
    expect(act?.records).toEqual([...ogeAnonymised].reverse());
    // Nothing of the values or the person is left; every row is still there to be counted, per school too.
    expect(await rowsOf(db, 'oge')).toEqual({
      ...oge,
      values: 0,
      correctedValues: 0,
      readings: 0,
      people: ['-/-/-/Школа № 5', '-/-/R-oge/-'],
    });
    expect(await rowsOf(db, 'ege')).toEqual(ege);

    // A hold on the EGE exam keeps its rows past 1 March, reported with the files.
    const hold = await placeHold(deps, { examId: 'ege' }, 'gek-chair', 'annulment under review');
    r = await sweepRetention(deps, new Date('2027-03-01T09:00:00Z'), 'sweeper');
    expect(r.actId).toBeNull();
    expect(r.heldPastDate.map((h) => h.key)).toEqual(
      expect.arrayContaining(['rows:ege/recognition-data', 'rows:ege/personal-data']),
    );
    expect(r.heldPastDate.find((h) => h.key === 'rows:ege/personal-data')?.holds).toEqual([
      { by: 'gek-chair', reason: 'annulment under review' },
    ]);
    expect(await rowsOf(db, 'ege')).toEqual(ege);

    // Released: anonymised at the next run, late; a run after that finds nothing and records no act.
    await releaseHold(deps, hold, 'gek-chair');
    r = await sweepRetention(deps, new Date('2027-03-02T09:00:00Z'), 'sweeper');
    expect(r.records.map((x) => [x.examId, x.material, x.late])).toEqual([
      ['ege', 'recognition-data', true],
      ['ege', 'personal-data', true],
    ]);
    expect((await rowsOf(db, 'ege')).people).toEqual(['-/-/-/Школа № 5', '-/-/R-ege/-']);
    r = await sweepRetention(deps, new Date('2027-03-02T10:00:00Z'), 'sweeper');
    expect(r.actId).toBeNull();

    // Results without the person are statistics for five years, then deleted by an act too.
    r = await sweepRetention(deps, new Date('2031-05-31T09:00:00Z'), 'sweeper');
    expect(r.records).toEqual([]);
    r = await sweepRetention(deps, new Date('2031-06-01T09:00:00Z'), 'sweeper');
    expect(r.records.map((x) => [x.examId, x.material, x.action, x.rows])).toEqual([
      ['ege', 'participant-results', 'destroy', { participant_results: 1 }],
      ['oge', 'participant-results', 'destroy', { participant_results: 1 }],
    ]);
    expect((await rowsOf(db, 'oge')).results).toBe(0);
  });

  it('keeps a training set chosen before 1 March as redacted copies while the AS2 originals go (order L207, L395)', async () => {
    const deps = await make();
    const { db, objects } = deps;
    await migrate(db);
    await registerExam(db, { ...MOSCOW_EGE_02, id: 'msk' });
    await recognised(deps, 'msk', ['ege-as2-1-scanner-8.jpg', 'ege-registration-scanner-7.jpg']);
    const pageOf = async (form: string) =>
      (await db.query<{ id: string }>('select id from pages where form like $1', [form]))[0]!.id;
    const as2 = await pageOf('ege-as2%');
    const registration = await pageOf('ege-reg%');
    const forms = shippedForms();
    const choice = { examId: 'msk', by: 'chair-olga', purpose: 'experts’ training 2027, subject 02' };

    await expect(
      chooseTrainingSet(
        deps,
        forms,
        { ...choice, pageIds: [registration] },
        new Date('2027-02-01T00:00:00Z'),
      ),
    ).rejects.toThrow(/no answer sheet 2/);
    // Moscow's 1 March begins at 21:00 UTC the day before: from then on the originals may be gone.
    await expect(
      chooseTrainingSet(deps, forms, { ...choice, pageIds: [as2] }, new Date('2027-02-28T21:00:00Z')),
    ).rejects.toThrow(/before 2027-02-28T21:00:00.000Z/);

    const set = await chooseTrainingSet(
      deps,
      forms,
      { ...choice, pageIds: [as2] },
      new Date('2027-02-20T09:00:00Z'),
    );
    expect(set.copies).toHaveLength(1);
    const copy = set.copies[0]!;
    // The copy is the expert's redacted view, not the page as the appeal commission sees it.
    const expertView = await pageImage(deps, forms, as2, 'expert');
    expect(Buffer.from(await objects.get(copy)).equals(Buffer.from(expertView!))).toBe(true);
    const wholeView = await pageImage(deps, forms, as2, 'appeal-commission');
    expect(Buffer.from(expertView!).equals(Buffer.from(wholeView!))).toBe(false);
    const [audited] = await db.query<{ subject: string; detail: { copies: number } }>(
      `select subject, detail from audit_events where action = 'retention.training-set'`,
    );
    expect(audited).toEqual({
      subject: `training-set:${set.id}`,
      detail: expect.objectContaining({ copies: 1 }),
    });

    // 1 March: every original goes on time; the copy stays until the 1 March after the next season.
    let r = await sweepRetention(deps, new Date('2027-03-01T09:00:00Z'), 'sweeper');
    expect(r.destroyed.map((d) => d.material)).toEqual(['scan-file', 'scan-file']);
    expect(await objects.stat(copy)).not.toBeNull();
    r = await sweepRetention(deps, new Date('2028-03-01T09:00:00Z'), 'sweeper');
    expect(r.destroyed.map((d) => [d.key, d.material])).toEqual([[copy, 'training-copy']]);
    expect(await objects.stat(copy)).toBeNull();
  });
});
