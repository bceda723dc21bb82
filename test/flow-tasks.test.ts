/**
 * Routine tasks of the stations in the store, on PGlite and PostgreSQL: an expert's draft of scores saved
 * and restored, never a submission; why a chair's pull came short (as codes and parameters); the users a
 * chair may register as experts; a refused hand-over's code.
 */
import { describe, expect, it } from 'vitest';
import {
  assignChecks,
  checkView,
  type ExpertRegistration,
  expertCandidates,
  openChecks,
  pullChecks,
  registerExpert,
  saveDraft,
  submitScores,
  takeNextCheck,
} from '../checking/store.ts';
import type { Database } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { registerExam } from '../platform/store/exams.ts';
import { disableUser, issueUser } from '../platform/store/users.ts';
import { ELIGIBLE, fixtureRules, MOSCOW_EGE_02 } from './helpers.ts';
import { DATABASES, undoAfterAll } from './services.ts';

const RULES = fixtureRules([
  { task: '13', criteria: [{ id: '13', max: 2 }] },
  { task: '14', criteria: [{ id: '14', max: 3 }] },
]);
const rulesOf = () => RULES;
const undo = undoAfterAll();

/** One exam, the experts registered as given (eligible main experts unless said), one work with its checks. */
async function setUp(open: () => Promise<Database>, experts: Partial<ExpertRegistration>[]) {
  const db = await open();
  undo(() => db.close());
  await migrate(db);
  await registerExam(db, MOSCOW_EGE_02);
  await issueUser(db, { id: 'chair', name: 'Chair', role: 'chair' });
  for (const e of experts) {
    await issueUser(db, { id: e.userId!, name: e.userId!, role: 'expert' });
    await registerExpert(db, { year: 2026, subjectCode: '02', status: 'main', ...ELIGIBLE, ...e } as never);
  }
  await db.query(
    `insert into works (id, exam_id, status, route) values ('W001', $1, 'complete', 'checking')`,
    [MOSCOW_EGE_02.id],
  );
  await db.transaction((tx) => openChecks(tx, rulesOf, 'W001', 'checking'));
  return db;
}

describe.each(DATABASES)('station tasks on %s', (_name, open) => {
  it("keeps an expert's draft with the check until the scores are sent; a draft is not a submission", async () => {
    const db = await setUp(open, [{ userId: 'anna' }, { userId: 'boris' }]);
    const check = (await takeNextCheck(db, 'anna'))!;
    expect((await checkView(db, rulesOf, check, 'anna')).draft).toBeNull();
    await saveDraft(db, rulesOf, 'anna', check, { '13': 1 });
    await saveDraft(db, rulesOf, 'anna', check, { '13': 2, '14': 0 });
    expect((await checkView(db, rulesOf, check, 'anna')).draft).toEqual({ '13': 2, '14': 0 });
    const [row] = await db.query<{ status: string; scores: number }>(
      `select status, (select count(*)::int from scores where check_id = c.id) as scores from checks c
       where id = $1`,
      [check],
    );
    expect(row).toEqual({ status: 'assigned', scores: 0 });
    // Out of range, unknown, or someone else's check: refused, the draft as it was.
    await expect(saveDraft(db, rulesOf, 'anna', check, { '14': 4 })).rejects.toMatchObject({
      code: 'bad-scores',
    });
    await expect(saveDraft(db, rulesOf, 'anna', check, { '99': 1 })).rejects.toMatchObject({
      code: 'bad-scores',
    });
    await expect(saveDraft(db, rulesOf, 'boris', check, { '13': 0 })).rejects.toMatchObject({
      code: 'not-yours',
    });
    expect((await checkView(db, rulesOf, check, 'anna')).draft).toEqual({ '13': 2, '14': 0 });
    await submitScores(db, rulesOf, 'anna', check, { '13': 2, '14': 1 });
    const left = await db.query<{ n: number }>('select count(*)::int as n from check_drafts');
    expect(left[0]!.n).toBe(0);
  });

  it('says why a pull came short: registration, admission, conflict, rounds, own works, an empty pool', async () => {
    const db = await setUp(open, [
      { userId: 'anna' },
      { userId: 'boris' },
      { userId: 'lead', status: 'leading' },
      { userId: 'untrained', trained: false, seminar: false },
      { userId: 'barred', conflict: 'barred' },
    ]);
    await issueUser(db, { id: 'newcomer', name: 'Newcomer', role: 'expert' });
    const short = async (expertId: string) => (await pullChecks(db, 'chair', expertId, 5)).shortfall;
    expect(await short('newcomer')).toEqual([{ code: 'not-registered', params: {} }]);
    expect(await short('untrained')).toEqual([
      { code: 'not-admitted', params: { missing: ['trained', 'seminar'] } },
    ]);
    expect(await short('barred')).toEqual([{ code: 'conflict', params: { conflict: 'barred' } }]);
    // Anna holds the first check; the second is of the same work.
    const first = (await takeNextCheck(db, 'anna'))!;
    expect(await short('anna')).toEqual([{ code: 'own-works', params: { checks: 1 } }]);
    const second = (await takeNextCheck(db, 'boris'))!;
    await submitScores(db, rulesOf, 'anna', first, { '13': 2, '14': 3 });
    await submitScores(db, rulesOf, 'boris', second, { '13': 0, '14': 3 });
    // A third check waits; the leading expert has done no first or second check this year, so gets nothing.
    const lead = await pullChecks(db, 'chair', 'lead', 5);
    expect(lead).toEqual({
      checks: [],
      shortfall: [
        {
          code: 'rounds-not-allowed',
          params: { rounds: { third: 1 }, status: 'leading', checkedThisYear: false },
        },
      ],
    });
    // Nothing left to check: the pool is empty.
    await db.query(`update checks set status = 'submitted' where round = 'third'`);
    expect(await short('lead')).toEqual([{ code: 'pool-empty', params: {} }]);
  });

  it('lists the users a chair may register as experts, with their registration; refuses a hand-over by code', async () => {
    const db = await setUp(open, [{ userId: 'anna', status: 'senior' }]);
    await issueUser(db, { id: 'boris', name: 'Boris', role: 'expert' });
    await issueUser(db, { id: 'gone', name: 'Gone', role: 'expert' });
    await disableUser(db, 'gone');
    await issueUser(db, { id: 'olga', name: 'Olga', role: 'operator' });
    const listed = await expertCandidates(db, 2026, '02');
    expect(listed.map((c) => c.userId).sort()).toEqual(['anna', 'boris', 'chair']);
    const anna = listed.find((c) => c.userId === 'anna');
    expect(anna).toEqual({
      userId: 'anna',
      name: 'anna',
      role: 'expert',
      registration: {
        status: 'senior',
        ...ELIGIBLE,
        conflict: 'none',
        screening: false,
      },
    });
    expect(listed.find((c) => c.userId === 'boris')!.registration).toBeNull();
    expect((await expertCandidates(db, 2027, '02'))[0]!.registration).toBeNull();
    const [c] = await db.query<{ id: number }>('select id from checks order by id limit 1');
    expect((await assignChecks(db, 'chair', [c!.id], 'boris')).refused).toEqual([
      {
        id: c!.id,
        code: 'may-not-take',
        params: { check: c!.id, expert: 'boris' },
        reason: 'boris may not take this check',
      },
    ]);
  });
});
