/**
 * GVE's grade (issue 16 items 6, 7; domain brief "The rest of the season"), on PGlite and PostgreSQL: a GVE
 * exam is registered with its grade (9 or 11) or refused with a code; the exam list shows it; the checking
 * rules of the grade apply; GIA-9's materials, GVE-9's among them, are kept half a year (road map L453, L455)
 * while GVE-11's stay until 1 March with EGE's (order L395); an upheld appeal is recalculated by the RCOI for
 * GVE-9 and by the federal centre for GVE-11 (order L129-131).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appealStepsOf } from '../checking/store.ts';
import { ingestBatch } from '../intake/ingest.ts';
import { configFromEnv } from '../platform/config.ts';
import { issueUser } from '../platform/store/users.ts';
import { sweepRetention } from '../retention/stage.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { startService } from '../service/run.ts';
import { freshPostgresDatabase, undoAfterAll } from './services.ts';

const undo = undoAfterAll();
const EXAM = { date: '2026-06-20', region: '77', timeZone: 'Europe/Moscow' };

const targets: [string, () => Promise<Record<string, string>>][] = [
  ['PGlite', async () => ({})],
  ['PostgreSQL', async () => ({ DATABASE_URL: await freshPostgresDatabase() })],
];

describe.each(targets)('GVE-9 and GVE-11 on %s', (_name, envOf) => {
  it('are registered apart and kept, checked and recalculated by their own rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rcoi-grade-'));
    undo(() => rmSync(dir, { recursive: true, force: true }));
    const service = await startService(configFromEnv({ RCOI_DATA_DIR: dir, ...(await envOf()) }), {
      pollMs: 60_000,
    });
    undo(() => service.stop());
    const { db } = service.adapters;
    const admin = await issueUser(db, { id: 'admin-irina', name: 'Ирина', role: 'admin' });
    const call = (method: 'GET' | 'POST', payload?: object) =>
      service.app.inject({
        method,
        url: '/api/exams',
        headers: { authorization: `Bearer ${admin}` },
        ...(payload && { payload }),
      });

    const refused = async (exam: object) => {
      const r = await call('POST', { ...EXAM, ...exam });
      return [r.statusCode, r.json().code, r.json().params];
    };
    expect(await refused({ id: 'gve', kind: 'GVE', subjectCode: '02' })).toEqual([
      422,
      'exam-grade',
      { kind: 'GVE' },
    ]);
    expect(await refused({ id: 'ege', kind: 'EGE', subjectCode: '02', grade: 11 })).toEqual([
      422,
      'exam-grade',
      { kind: 'EGE' },
    ]);
    expect(
      (await call('POST', { ...EXAM, id: 'gve', kind: 'GVE', subjectCode: '02', grade: 10 })).statusCode,
    ).toBe(400);
    for (const exam of [
      { id: 'gve-9-02', kind: 'GVE', grade: 9, subjectCode: '02' },
      { id: 'gve-11-52', kind: 'GVE', grade: 11, subjectCode: '52' },
      // GVE-11 under GVE-9's code: the rules of mathematics-nine name grade 9, so they are not this exam's.
      { id: 'gve-11-02', kind: 'GVE', grade: 11, subjectCode: '02' },
      { id: 'ege-02', kind: 'EGE', subjectCode: '02' },
    ])
      expect((await call('POST', { ...EXAM, ...exam })).statusCode).toBe(201);
    const listed = (await call('GET')).json() as {
      id: string;
      grade: number | null;
      subjectName: string | null;
    }[];
    expect(listed.map((e) => [e.id, e.grade ?? null, e.subjectName])).toEqual([
      ['ege-02', null, 'Математика (профильный уровень)'],
      ['gve-11-02', 11, null],
      ['gve-11-52', 11, 'Математика (ГВЭ-11, письменная форма)'],
      ['gve-9-02', 9, 'Математика (ГВЭ-9, письменная форма)'],
    ]);
    // The database holds the rule too: no grade for an EGE exam.
    await expect(db.query(`update exams set grade = 9 where id = 'ege-02'`)).rejects.toThrow(
      /exams_grade_gve/,
    );

    // One scanned file of each GVE exam; on 10 January 2027 GVE-9's is half a year old, GVE-11's waits.
    for (const [exam, name] of [
      ['gve-9-02', 'ege-as2-1-scanner-8.jpg'],
      ['gve-11-52', 'ege-as2-additional-scanner-10.jpg'],
    ] as const)
      await ingestBatch(service.adapters, { batch: exam, station: 's', exam, declared: {} }, 'upload', [
        { name, bytes: new Uint8Array(readFileSync(join(CORPUS_DIR, name))) },
      ]);
    const keysOf = async (exam: string) =>
      (
        await db.query<{ k: string }>('select object_key as k from stored_objects where exam_id = $1', [exam])
      ).map((r) => r.k);
    const [nine] = await keysOf('gve-9-02');
    const [eleven] = await keysOf('gve-11-52');
    let swept = await sweepRetention(service.adapters, new Date('2027-01-10T09:00:00Z'), 'sweeper');
    expect(swept.destroyed.map((d) => [d.key, d.dueDay])).toEqual([[nine, '2026-12-20']]);
    swept = await sweepRetention(service.adapters, new Date('2027-03-01T09:00:00Z'), 'sweeper');
    expect(swept.destroyed.map((d) => [d.key, d.dueDay])).toEqual([[eleven, '2027-03-01']]);

    // An upheld appeal on each: who recalculates it is the exam form's.
    const recalculatedBy = async (exam: string) => {
      const work = `W-${exam}`;
      await db.query(
        `insert into works (id, exam_id, status, route) values ($1, $2, 'complete', 'checking')`,
        [work, exam],
      );
      const [check] = await db.query<{ id: number }>(
        `insert into checks (work_id, exam_id, round, tasks) values ($1, $2, 'appeal', '{}') returning id`,
        [work, exam],
      );
      const [appeal] = await db.query<{ id: number }>(
        `insert into appeals (work_id, registered_by, reason, check_id, status, outcome, total_before, filed_on,
           heard_on) values ($1, 'admin-irina', 'task 9', $2, 'decided', 'upheld', 3, '2026-07-01', '2026-07-02')
         returning id`,
        [work, check!.id],
      );
      const { steps } = await appealStepsOf(db, appeal!.id, new Date('2026-07-03T09:00:00Z'));
      return steps.find((s) => s.step === 'recalculation')!.by;
    };
    expect(await recalculatedBy('gve-9-02')).toBe('rcoi');
    expect(await recalculatedBy('gve-11-52')).toBe('federal-centre');
  }, 120_000);
});
