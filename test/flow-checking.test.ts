/**
 * Expert checking on PGlite and PostgreSQL: two different eligible experts per work, a third check only for
 * a leading or senior expert with first or second checks done this year who has not checked the work,
 * concurrent pulls that never hand one check (or one work) to two experts, leases, chair assignment,
 * blank-AS2 screening and final scores.
 */
import { describe, expect, it } from 'vitest';
import { expertStatistics } from '../checking/statistics.ts';
import {
  assignChecks,
  CheckingError,
  checkView,
  correctScore,
  decideAppeal,
  type ExpertRegistration,
  openChecks,
  registerAppeal,
  registerExpert,
  submitScores,
  submitScreening,
  takeNextCheck,
} from '../checking/store.ts';
import { loadExpertStandards } from '../domain/checking.ts';
import type { Database } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { ELIGIBLE, fixtureRules, MOSCOW_EGE_02 } from './helpers.ts';
import { DATABASES, undoAfterAll } from './services.ts';

/** A small subject: three tasks, a third check on a 2-point difference in any task, means rounded up. */
const RULES = fixtureRules([
  { task: '13', criteria: [{ id: '13', max: 2 }] },
  { task: '14', criteria: [{ id: '14', max: 3 }] },
  { task: '15', criteria: [{ id: '15', max: 2 }] },
]);
const rulesOf = () => RULES;

const undo = undoAfterAll();

async function season(open: () => Promise<Database>, experts: Partial<ExpertRegistration>[], works: number) {
  const db = await open();
  undo(() => db.close());
  await migrate(db);
  await registerExam(db, { ...MOSCOW_EGE_02, id: 'ege-02' });
  for (const e of experts) {
    await issueUser(db, { id: e.userId!, name: e.userId!, role: 'expert' });
    await registerExpert(db, {
      year: 2026,
      subjectCode: '02',
      status: 'main',
      ...ELIGIBLE,
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

describe.each(DATABASES)('expert checking on %s', (_name, open) => {
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

  it('settles a work whose two experts send their scores at the same moment', async () => {
    // bench:season found works with both checks submitted and neither a result nor a third check: each
    // expert's transaction saw the other's check still open.
    const experts = Array.from({ length: 12 }, (_, i) => ({ userId: `e${i}` }));
    const { db } = await season(open, experts, 6);
    const taken = await Promise.all(experts.map((e) => takeNextCheck(db, e.userId!)));
    // Tasks 13 and 15 agree; task 14 differs by 2 on every sixth expert's check, so some works go third.
    await Promise.all(
      taken.map((id, i) =>
        submitScores(db, rulesOf, experts[i]!.userId!, id!, { '13': 1, '14': i % 6 === 0 ? 3 : 1, '15': 2 }),
      ),
    );
    const unsettled = await db.query<{ id: string }>(
      `select id from works w where not exists (select 1 from work_results r where r.work_id = w.id)
         and not exists (select 1 from checks c where c.work_id = w.id and c.round = 'third')`,
    );
    expect(unsettled).toEqual([]);
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
      refused: [{ id: second, code: 'may-not-take', params: { check: second, expert: 'anna' } }],
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

  it('re-checks an appeal by a senior who never checked the work; the commission’s decision sets the result', async () => {
    // Boris is a leading expert: his status would let him re-check appeals, but he checked this work.
    const { db } = await season(
      open,
      [
        { userId: 'anna' },
        { userId: 'boris', status: 'leading' },
        { userId: 'sergei', status: 'senior' },
        { userId: 'lena', status: 'leading' },
      ],
      2,
    );
    await issueUser(db, { id: 'chair-olga', name: 'Olga', role: 'chair' });
    const score = async (who: string, scores: Record<string, number>) =>
      submitScores(db, rulesOf, who, (await takeNextCheck(db, who))!, scores);
    await score('anna', { '13': 2, '14': 2, '15': 1 });
    expect(await score('boris', { '13': 2, '14': 3, '15': 1 })).toEqual({ next: 'result', total: 6 });
    await score('sergei', { '13': 1, '14': 1, '15': 1 });
    await score('lena', { '13': 1, '14': 1, '15': 1 });
    await expect(registerAppeal(db, rulesOf, 'W001', 'chair-olga', ' ')).rejects.toThrow(/reason/);
    await expect(
      registerAppeal(
        db,
        rulesOf,
        'W001',
        'chair-olga',
        'late',
        '2026-06-20',
        new Date('2026-06-19T09:00:00Z'),
      ),
    ).rejects.toThrow('filed on 2026-06-20 is still to come');
    await expect(registerAppeal(db, rulesOf, 'W001', 'chair-olga', 'early', '2026-05-31')).rejects.toThrow(
      'filed on 2026-05-31 comes before 2026-06-01',
    );
    const { appealId, checkId } = await registerAppeal(
      db,
      rulesOf,
      'W001',
      'chair-olga',
      'task 14 underscored',
    );
    await expect(registerAppeal(db, rulesOf, 'W001', 'chair-olga', 'again')).rejects.toThrow(/already/);
    await expect(decideAppeal(db, rulesOf, appealId, 'chair-olga', 'upheld')).rejects.toThrow(
      /still being re-checked/,
    );
    // Its experts may not re-check it, the leading one included; Sergei, a senior who never saw it, may.
    expect(await takeNextCheck(db, 'anna')).toBeNull();
    expect(await takeNextCheck(db, 'boris')).toBeNull();
    expect(await takeNextCheck(db, 'sergei')).toBe(checkId);
    const view = await checkView(db, rulesOf, checkId, 'sergei');
    expect(view.earlier.map((e) => e.round)).toEqual(['first', 'second']);
    // The re-check is the expert's opinion for the hearing: the result stands until the commission decides.
    expect(await submitScores(db, rulesOf, 'sergei', checkId, { '13': 2, '14': 3, '15': 2 })).toEqual({
      next: 'hearing',
      total: 7,
    });
    const resultOf = async (work: string) =>
      (await db.query(`select total, basis from work_results where work_id = $1`, [work]))[0];
    expect(await resultOf('W001')).toEqual({ total: 6, basis: 'two-experts' });
    await expect(registerAppeal(db, rulesOf, 'W001', 'chair-olga', 'again')).rejects.toThrow(
      'work W001 already has an appeal not yet decided',
    );
    const decided = await decideAppeal(db, rulesOf, appealId, 'chair-olga', 'upheld');
    expect(decided).toMatchObject({
      id: appealId,
      status: 'decided',
      outcome: 'upheld',
      decidedBy: 'chair-olga',
      totalBefore: 6,
      recheckTotal: 7,
      totalAfter: 7,
    });
    expect(decided.heardOn).toBe(decided.filedOn);
    expect(await resultOf('W001')).toEqual({ total: 7, basis: 'appeal' });
    await expect(decideAppeal(db, rulesOf, appealId, 'chair-olga', 'rejected')).rejects.toThrow(/is decided/);
    await expect(registerAppeal(db, rulesOf, 'W009', 'chair-olga', 'no such work')).rejects.toThrow(
      /no result/,
    );
  });

  it('keeps the result when the commission rejects an appeal, whatever the re-check gave', async () => {
    const { db } = await season(
      open,
      [{ userId: 'anna' }, { userId: 'boris' }, { userId: 'sergei', status: 'senior' }],
      2,
    );
    await issueUser(db, { id: 'chair-olga', name: 'Olga', role: 'chair' });
    const score = async (who: string, scores: Record<string, number>) =>
      submitScores(db, rulesOf, who, (await takeNextCheck(db, who))!, scores);
    await score('anna', { '13': 1, '14': 1, '15': 1 });
    await score('boris', { '13': 1, '14': 1, '15': 1 });
    await score('sergei', { '13': 1, '14': 1, '15': 1 });
    await score('anna', { '13': 1, '14': 1, '15': 1 });
    const { appealId, checkId } = await registerAppeal(db, rulesOf, 'W001', 'chair-olga', 'task 15');
    expect(await takeNextCheck(db, 'sergei')).toBe(checkId);
    await submitScores(db, rulesOf, 'sergei', checkId, { '13': 2, '14': 1, '15': 1 });
    await expect(decideAppeal(db, rulesOf, appealId, 'chair-olga', 'rejected', '2026-01-01')).rejects.toThrow(
      /comes before/,
    );
    expect(await decideAppeal(db, rulesOf, appealId, 'chair-olga', 'rejected')).toMatchObject({
      outcome: 'rejected',
      totalBefore: 3,
      recheckTotal: 4,
      totalAfter: 3,
    });
    expect(await db.query(`select total, basis from work_results where work_id = 'W001'`)).toEqual([
      { total: 3, basis: 'two-experts' },
    ]);
  });

  it('corrects a first score with a reason and the chair’s approval while the work is open, never after', async () => {
    const { db } = await season(open, [{ userId: 'anna' }, { userId: 'boris' }], 1);
    await issueUser(db, { id: 'chair-olga', name: 'Olga', role: 'chair' });
    const a = (await takeNextCheck(db, 'anna'))!;
    await submitScores(db, rulesOf, 'anna', a, { '13': 0, '14': 3, '15': 1 });
    const fix = (points: number) =>
      correctScore(db, rulesOf, {
        checkId: a,
        criterion: '13',
        points,
        reason: 'keyed 0 for 2',
        approvedBy: 'chair-olga',
      });
    await expect(fix(5)).rejects.toMatchObject({ code: 'bad-scores' });
    expect(await fix(2)).toEqual({ next: 'waiting' });
    const [row] = await db.query(
      'select criterion, old_points, new_points, requested_by, approved_by from score_corrections',
    );
    expect(row).toEqual({
      criterion: '13',
      old_points: 0,
      new_points: 2,
      requested_by: 'anna',
      approved_by: 'chair-olga',
    });
    // With the corrected 2 there is no discrepancy on task 13: the result follows without a third check.
    const b = (await takeNextCheck(db, 'boris'))!;
    expect(await submitScores(db, rulesOf, 'boris', b, { '13': 2, '14': 3, '15': 1 })).toEqual({
      next: 'result',
      total: 6,
    });
    await expect(fix(1)).rejects.toThrow(/past its first two checks/);
  });

  it('computes each expert’s figures for the year and the status they qualify for', async () => {
    const experts = [
      { userId: 'anna' },
      { userId: 'boris' },
      { userId: 'vera' },
      { userId: 'sergei', status: 'senior' as const },
    ];
    const { db } = await season(open, experts, 0);
    await issueUser(db, { id: 'chair-olga', name: 'Olga', role: 'chair' });
    const seed = async (work: string, checks: [string, string, Record<string, number>, string[]?][]) => {
      await db.query(
        `insert into works (id, exam_id, status, route) values ($1, 'ege-02', 'complete', 'checking')`,
        [work],
      );
      for (const [round, expert, scores, tasks] of checks) {
        const [c] = await db.query<{ id: number }>(
          `insert into checks (work_id, exam_id, round, tasks, status, expert_id, submitted_at)
           values ($1, 'ege-02', $2, $3, 'submitted', $4, now()) returning id`,
          [work, round, tasks ?? ['13', '14', '15'], expert],
        );
        for (const [k, v] of Object.entries(scores))
          await db.query('insert into scores (check_id, criterion, points) values ($1, $2, $3)', [
            c!.id,
            k,
            v,
          ]);
      }
    };
    const same = { '13': 1, '14': 1, '15': 1 };
    // W1: Boris is off by 2 on task 13, and the third expert agrees with Anna.
    await seed('W1', [
      ['first', 'anna', { '13': 2, '14': 3, '15': 2 }],
      ['second', 'boris', { '13': 0, '14': 3, '15': 2 }],
      ['third', 'sergei', { '13': 2 }, ['13']],
    ]);
    await seed('W2', [
      ['first', 'anna', same],
      ['second', 'vera', same],
    ]);
    await seed('W3', [
      ['first', 'boris', same],
      ['second', 'vera', same],
    ]);
    // W3's appeal was upheld: it counts against Boris and Vera.
    const [ap] = await db.query<{ id: number }>(
      `insert into checks (work_id, exam_id, round, tasks, status, expert_id) values ('W3', 'ege-02', 'appeal', '{13}', 'submitted', 'sergei') returning id`,
    );
    await db.query(
      `insert into appeals (work_id, registered_by, reason, check_id, status, outcome, total_before, total_after,
         filed_on) values ('W3', 'chair-olga', 'r', $1, 'decided', 'upheld', 3, 4, '2026-06-20')`,
      [ap!.id],
    );
    // W4 is a reference work: Anna matches all three criteria, Boris two.
    await seed('W4', [
      ['first', 'anna', { '13': 2, '14': 1, '15': 0 }],
      ['second', 'boris', { '13': 2, '14': 1, '15': 1 }],
    ]);
    for (const [k, v] of Object.entries({ '13': 2, '14': 1, '15': 0 }))
      await db.query(`insert into reference_scores (work_id, criterion, points) values ('W4', $1, $2)`, [
        k,
        v,
      ]);

    const stats = await expertStatistics(db, rulesOf, loadExpertStandards(2026), {
      year: 2026,
      kind: 'EGE',
      subjectCode: '02',
    });
    const pick = (id: string) => {
      const s = stats.find((x) => x.expertId === id)!;
      return [
        s.checked,
        s.thirdByFault,
        s.appealed,
        s.appealsUpheld,
        s.referenceScored,
        s.referenceMatched,
        s.qualifiesFor,
      ];
    };
    expect(pick('anna')).toEqual([3, 0, 0, 0, 3, 3, 'leading']);
    // A third of Boris's works went to a third check through his fault: below every status's 90%.
    expect(pick('boris')).toEqual([3, 1, 1, 1, 3, 2, null]);
    // Vera: every work consistent, but her one appealed work was upheld (100% > 31.5%).
    expect(pick('vera')).toEqual([2, 0, 1, 1, 0, 0, null]);
    // Sergei did only a third check and an appeal re-check: nothing to judge him by.
    expect(pick('sergei')).toEqual([0, 0, 0, 0, 0, 0, null]);
  });
});
