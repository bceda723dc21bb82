/**
 * Expert checking on PGlite and PostgreSQL: two different eligible experts per work, a third check only for
 * a leading or senior expert with first or second checks done this year who has not checked the work,
 * concurrent pulls that never hand one check (or one work) to two experts, leases, chair assignment,
 * blank-AS2 screening and final scores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SubjectRules } from '../domain/checking.ts';
import {
  assignChecks,
  CheckingError,
  checkView,
  type ExpertRegistration,
  openChecks,
  registerExpert,
  submitScores,
  submitScreening,
  takeNextCheck,
} from '../storage/checking.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../storage/db.ts';
import { registerExam } from '../storage/exams.ts';
import { migrate } from '../storage/migrate.ts';
import { issueUser } from '../storage/users.ts';
import { freshPostgresDatabase } from './services.ts';

/** A small subject: three tasks, a third check on a 2-point difference in any task, means rounded up. */
const RULES: SubjectRules = {
  year: 2026,
  exam: 'EGE',
  subjectCode: '02',
  subject: 'test',
  example: true,
  basis: 'test fixture',
  standardsSubject: 'Mathematics',
  tasks: [
    { task: '13', criteria: [{ id: '13', max: 2 }] },
    { task: '14', criteria: [{ id: '14', max: 3 }] },
    { task: '15', criteria: [{ id: '15', max: 2 }] },
  ],
  thirdCheck: [{ kind: 'task-difference', atLeast: 2 }],
  combine: { kind: 'mean', rounding: 'up' },
};
const rulesOf = () => RULES;

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

const backends: [string, () => Promise<Database>][] = [
  ['PGlite', () => pgliteDatabase()],
  ['PostgreSQL', async () => postgresDatabase(await freshPostgresDatabase())],
];

const eligible = { trained: true, qualified: true, briefed: true, seminar: true };

async function season(open: () => Promise<Database>, experts: Partial<ExpertRegistration>[], works: number) {
  const db = await open();
  cleanup.push(() => db.close());
  await migrate(db);
  await registerExam(db, {
    id: 'ege-02',
    kind: 'EGE',
    subjectCode: '02',
    date: '2026-06-01',
    region: '77',
    timeZone: 'Europe/Moscow',
  });
  for (const e of experts) {
    await issueUser(db, { id: e.userId!, name: e.userId!, role: 'expert' });
    await registerExpert(db, {
      year: 2026,
      subjectCode: '02',
      status: 'main',
      ...eligible,
      ...e,
    } as ExpertRegistration);
  }
  const ids = Array.from({ length: works }, (_, i) => `W${String(i + 1).padStart(3, '0')}`);
  for (const id of ids) {
    await db.query(
      `insert into works (id, exam_id, status, route) values ($1, 'ege-02', 'complete', 'checking')`,
      [id],
    );
    await db.transaction((tx) => openChecks(tx, rulesOf, id, 'checking'));
  }
  return { db, works: ids };
}

const workOf = async (db: Database, checkId: number) =>
  (
    await db.query<{ work_id: string; round: string }>('select work_id, round from checks where id = $1', [
      checkId,
    ])
  )[0]!;

describe.each(backends)('expert checking on %s', (_name, open) => {
  it('has each work checked by two experts, and a third, senior, on the tasks they disagree on', async () => {
    const { db } = await season(
      open,
      [{ userId: 'anna' }, { userId: 'boris' }, { userId: 'vera' }, { userId: 'sergei', status: 'senior' }],
      2,
    );
    const a = (await takeNextCheck(db, 'anna'))!;
    // The check in hand comes back until it is scored.
    expect(await takeNextCheck(db, 'anna')).toBe(a);
    const b = (await takeNextCheck(db, 'boris'))!;
    expect([await workOf(db, a), await workOf(db, b)]).toEqual([
      { work_id: 'W001', round: 'first' },
      { work_id: 'W001', round: 'second' },
    ]);
    // Neither sees the other's scores: a first or second check shows no earlier scores.
    expect((await checkView(db, rulesOf, a, 'anna')).earlier).toEqual([]);
    await expect(checkView(db, rulesOf, a, 'boris')).rejects.toThrow(CheckingError);

    expect(await submitScores(db, rulesOf, 'anna', a, { '13': 2, '14': 3, '15': 0 })).toEqual({
      next: 'waiting',
    });
    expect(await submitScores(db, rulesOf, 'boris', b, { '13': 0, '14': 3, '15': 1 })).toEqual({
      next: 'third-check',
      reasons: ['task 13: scores differ by 2'],
      tasks: ['13'],
    });
    // A main expert may not do the third check; nor may a senior with no first or second check this year.
    const vera = await takeNextCheck(db, 'vera');
    expect((await workOf(db, vera!)).round).not.toBe('third');
    const sergeiFirst = (await takeNextCheck(db, 'sergei'))!;
    expect(await workOf(db, sergeiFirst)).toMatchObject({ work_id: 'W002' });
    await submitScores(db, rulesOf, 'sergei', sergeiFirst, { '13': 1, '14': 1, '15': 1 });
    // Now he has: the third check comes before anything else, and shows the earlier scores.
    const third = (await takeNextCheck(db, 'sergei'))!;
    expect(await workOf(db, third)).toEqual({ work_id: 'W001', round: 'third' });
    const view = await checkView(db, rulesOf, third, 'sergei');
    expect(view.tasks.map((t) => t.task)).toEqual(['13']);
    expect(view.earlier).toEqual([
      { round: 'first', scores: { '13': 2, '14': 3, '15': 0 } },
      { round: 'second', scores: { '13': 0, '14': 3, '15': 1 } },
    ]);
    // The third expert scores only what they check; that is final, the rest is the mean rounded up.
    await expect(submitScores(db, rulesOf, 'sergei', third, { '13': 1, '14': 2 })).rejects.toThrow(/14/);
    expect(await submitScores(db, rulesOf, 'sergei', third, { '13': 1 })).toEqual({
      next: 'result',
      total: 5,
    });
    const [result] = await db.query<{ scores: Record<string, number>; basis: string }>(
      `select scores, basis from work_results where work_id = 'W001'`,
    );
    expect(result).toEqual({ scores: { '13': 1, '14': 3, '15': 1 }, basis: 'third-check' });
    // A submitted score is final.
    await expect(submitScores(db, rulesOf, 'anna', a, { '13': 1, '14': 3, '15': 0 })).rejects.toThrow(
      /not assigned to you/,
    );
    const audited = await db.query<{ n: number }>(
      `select count(*)::int as n from audit_events where action = 'checking.score'`,
    );
    expect(audited[0]?.n).toBe(4);
  });

  it('gives nothing to experts without training or with an unresolved conflict, and refuses bad scores', async () => {
    const { db } = await season(
      open,
      [
        { userId: 'untrained', trained: false },
        { userId: 'declared', conflict: 'declared' },
        { userId: 'barred', conflict: 'barred' },
        { userId: 'cleared', conflict: 'cleared' },
      ],
      1,
    );
    for (const who of ['untrained', 'declared', 'barred']) expect(await takeNextCheck(db, who)).toBeNull();
    const c = (await takeNextCheck(db, 'cleared'))!;
    const bads: Record<string, number>[] = [
      { '13': 3, '14': 0, '15': 0 },
      { '13': 1, '14': 0 },
      { '13': 1, '14': 0, '15': 0, '99': 1 },
    ];
    for (const bad of bads)
      await expect(submitScores(db, rulesOf, 'cleared', c, bad)).rejects.toMatchObject({
        code: 'bad-scores',
      });
  });

  it('never hands one check, or two checks of one work, to two experts when they pull at once', async () => {
    const experts = Array.from({ length: 12 }, (_, i) => ({ userId: `e${i}` }));
    const { db } = await season(open, experts, 5);
    const taken = await Promise.all(experts.map((e) => takeNextCheck(db, e.userId!)));
    const ids = taken.filter((t): t is number => t !== null);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    const rows = await db.query<{ work_id: string; experts: number }>(
      `select work_id, count(distinct expert_id)::int as experts from checks group by work_id`,
    );
    expect(rows.every((r) => r.experts === 2)).toBe(true);
  });

  it('returns an abandoned check to the pool when its lease ends', async () => {
    const { db } = await season(open, [{ userId: 'anna' }, { userId: 'boris' }, { userId: 'vera' }], 1);
    const t0 = new Date('2026-06-05T10:00:00Z');
    const a = (await takeNextCheck(db, 'anna', 60_000, t0))!;
    await takeNextCheck(db, 'boris', 60_000, t0);
    expect(await takeNextCheck(db, 'vera', 60_000, new Date(t0.getTime() + 59_000))).toBeNull();
    expect(await takeNextCheck(db, 'vera', 60_000, new Date(t0.getTime() + 61_000))).toBe(a);
    await expect(
      submitScores(db, rulesOf, 'anna', a, { '13': 1, '14': 1, '15': 1 }, new Date(t0.getTime() + 62_000)),
    ).rejects.toThrow(/not assigned to you/);
  });

  it('lets a chair assign and take back checks, within the same rules', async () => {
    const { db } = await season(open, [{ userId: 'anna' }, { userId: 'untrained', trained: false }], 1);
    await issueUser(db, { id: 'chair-olga', name: 'Olga', role: 'chair' });
    const [first, second] = (await db.query<{ id: number }>('select id from checks order by id')).map(
      (r) => r.id,
    );
    expect(await assignChecks(db, 'chair-olga', [first!], 'anna')).toEqual({
      assigned: [first],
      refused: [],
    });
    // Anna may not hold both checks of one work, and the untrained expert none.
    expect(await assignChecks(db, 'chair-olga', [second!], 'anna')).toMatchObject({
      assigned: [],
      refused: [{ id: second }],
    });
    expect(await assignChecks(db, 'chair-olga', [second!], 'untrained')).toMatchObject({
      refused: [{ id: second }],
    });
    expect(await takeNextCheck(db, 'anna')).toBe(first);
    expect(await assignChecks(db, 'chair-olga', [first!], null)).toEqual({ assigned: [first], refused: [] });
    const audits = await db.query<{ n: number }>(
      `select count(*)::int as n from audit_events where action = 'checking.assign' and actor = 'chair-olga'`,
    );
    expect(audits[0]?.n).toBe(2);
  });

  it('screens a blank answer sheet: confirmed blank scores 0, otherwise two experts check it', async () => {
    const { db } = await season(open, [{ userId: 'screener', screening: true }, { userId: 'anna' }], 0);
    for (const id of ['B1', 'B2']) {
      await db.query(
        `insert into works (id, exam_id, status, route) values ($1, 'ege-02', 'complete', 'blank-screening')`,
        [id],
      );
      await db.transaction((tx) => openChecks(tx, rulesOf, id, 'blank-screening'));
    }
    // Only an appointed screener takes screening checks.
    expect(await takeNextCheck(db, 'anna')).toBeNull();
    const s1 = (await takeNextCheck(db, 'screener'))!;
    expect(await submitScreening(db, rulesOf, 'screener', s1, true)).toEqual({ next: 'result', total: 0 });
    const s2 = (await takeNextCheck(db, 'screener'))!;
    expect(await submitScreening(db, rulesOf, 'screener', s2, false)).toEqual({ next: 'checking' });
    const rounds = await db.query<{ work_id: string; round: string }>(
      `select work_id, round from checks where round <> 'screening' order by work_id, round`,
    );
    expect(rounds).toEqual([
      { work_id: 'B2', round: 'first' },
      { work_id: 'B2', round: 'second' },
    ]);
    // The screener saw this work: they will not check it.
    expect(await takeNextCheck(db, 'screener')).toBeNull();
    expect(await takeNextCheck(db, 'anna')).not.toBeNull();
  });
});
