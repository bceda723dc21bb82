/**
 * Participants' results on PGlite and PostgreSQL (issue 16 item 1): each work's final AS1 values scored by
 * its variant's key, the experts' AS2 part from real checks (two experts, means rounded up), the total
 * converted by the 100-point table; incomplete with a reason while checks are pending, an appeal is being
 * re-checked or the AS1 is not final; a corrected key recomputes the results, says per work what changed
 * (old → new) and audits it.
 */
import { describe, expect, it } from 'vitest';
import {
  openChecks,
  registerAppeal,
  registerExpert,
  submitScores,
  takeNextCheck,
} from '../checking/store.ts';
import type { SubjectScoring } from '../domain/scoring.ts';
import type { SubjectAnswers } from '../forms/answer-types.ts';
import type { Database, Queryable } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { type ScoringBasis, shippedBasis } from '../results/basis.ts';
import { ResultsError } from '../results/errors.ts';
import { exportResults, shippedLayouts } from '../results/export.ts';
import { computeResults, listResults, recomputeStale, setVariant, staleExams } from '../results/store.ts';
import { ELIGIBLE, fixtureRules, MOSCOW_EGE_02, seedAs1Work } from './helpers.ts';
import { DATABASES, undoAfterAll } from './services.ts';

/** Tasks 1-3 on AS1 (two numbers, a set for 2 points), task 4 (max 3) checked by experts: 7 points in all. */
const RULES = fixtureRules([{ task: '4', criteria: [{ id: '4', max: 3 }] }]);
const SCORING: SubjectScoring = {
  year: 2026,
  exam: 'EGE',
  subjectCode: '02',
  subject: 'test',
  example: true,
  basis: 'test fixture',
  tasks: [
    { from: 1, to: 2, compare: 'exact', points: [1] },
    { from: 3, to: 3, compare: 'set', points: [2, 1] },
  ],
  variants: {
    '7': { '1': '2,5', '2': '12', '3': '135' },
    '8': { '1': '-4', '2': '0,3', '3': '24' },
  },
  primaryMax: 7,
  scale: { kind: 'test-score', table: [0, 14, 27, 40, 52, 64, 76, 100] },
};
const TYPES: SubjectAnswers = {
  year: 2026,
  exam: 'EGE',
  subjectCode: '02',
  subject: 'test',
  example: true,
  basis: 'test fixture',
  tasks: [
    { from: 1, to: 2, type: 'decimal' },
    { from: 3, to: 3, type: 'digits' },
  ],
};
const basisOf = (scoring: SubjectScoring): ScoringBasis => ({
  scoring: () => scoring,
  rules: () => RULES,
  answers: () => TYPES,
});
const BASIS = basisOf(SCORING);
/** The key of variant 7 corrected after results exist: task 2's answer is 13, not 12. */
const CORRECTED = basisOf({
  ...SCORING,
  variants: { ...SCORING.variants, '7': { ...SCORING.variants['7']!, '2': '13' } },
});

const EXAM = 'ege-02';
const undo = undoAfterAll();

/** A work of the exam with its AS1 sheet holding these `result.N` values, its checks opened. */
async function work(db: Database, id: string, as1: { final: boolean; values: Record<string, string> }) {
  await seedAs1Work(db, EXAM, id, as1);
  await db.transaction((tx) => openChecks(tx, () => RULES, id, 'checking'));
}

/** An expert's score for task 4 on the next check they pull, which must be of this work. */
async function check(db: Database, expert: string, workId: string, points: number) {
  const id = (await takeNextCheck(db, expert))!;
  const [pulled] = await db.query<{ work_id: string }>('select work_id from checks where id = $1', [id]);
  expect(pulled!.work_id).toBe(workId);
  await submitScores(db, () => RULES, expert, id, { '4': points });
}

const audits = (db: Queryable, action: string) =>
  db.query<{ subject: string; actor: string; detail: Record<string, unknown> }>(
    'select subject, actor, detail from audit_events where action = $1 order by id',
    [action],
  );

describe.each(DATABASES)('participants results on %s', (_name, open) => {
  it('scores AS1 by the key, adds the experts AS2, converts, and recomputes on a corrected key', async () => {
    const db = await open();
    undo(() => db.close());
    await migrate(db);
    await registerExam(db, { ...MOSCOW_EGE_02, id: EXAM });
    for (const [id, status] of [
      ['anna', 'main'],
      ['boris', 'main'],
      ['sergei', 'senior'],
    ] as const) {
      await issueUser(db, { id, name: id, role: 'expert' });
      await registerExpert(db, { userId: id, year: 2026, subjectCode: '02', status, ...ELIGIBLE });
    }
    // W1: all AS1 right but task 2 (13 against the key's 12), the set in another order; experts 2 and 3 → 3.
    await work(db, 'W1', { final: true, values: { '1': '2,50', '2': '13', '3': '531' } });
    // W2: variant 8, one set error; only the first check in.
    await work(db, 'W2', { final: true, values: { '1': '-4', '2': ',3', '3': '2' } });
    // W3: its AS1 still being verified, no variant known.
    await work(db, 'W3', { final: false, values: { '1': '2,5' } });
    await setVariant(db, 'W1', '7', 'admin');
    await setVariant(db, 'W2', '8', 'admin');
    await setVariant(db, 'W2', '8', 'operator-2');
    // Who recorded which variant, and what it was before: a variant decides which key scores the sheet.
    expect((await audits(db, 'results.variant')).map((a) => [a.subject, a.actor, a.detail])).toEqual([
      ['work:W1', 'admin', { from: null, to: '7' }],
      ['work:W2', 'admin', { from: null, to: '8' }],
      ['work:W2', 'operator-2', { from: '8', to: '8' }],
    ]);
    await check(db, 'anna', 'W1', 2);
    await check(db, 'boris', 'W1', 3);
    await check(db, 'anna', 'W2', 1);

    const first = await computeResults(db, BASIS, EXAM, 'admin');
    expect(first).toMatchObject({ examId: EXAM, replaced: [], complete: 1, incomplete: 2, changes: [] });
    const results = await listResults(db, EXAM);
    expect(results.map(({ scoring, ...r }) => r)).toEqual([
      {
        workId: 'W1',
        status: 'complete',
        reasons: [],
        variant: '7',
        as1: 3,
        as2: 3,
        primary: 6,
        score: 76,
        scale: 'test-score',
        tasks: [
          { part: 'as1', task: '1', points: 1, max: 1 },
          { part: 'as1', task: '2', points: 0, max: 1 },
          { part: 'as1', task: '3', points: 2, max: 2 },
          { part: 'as2', task: '4', points: 3, max: 3 },
        ],
      },
      {
        workId: 'W2',
        status: 'incomplete',
        reasons: ['checks-pending'],
        variant: '8',
        as1: 3,
        as2: null,
        primary: null,
        score: null,
        scale: 'test-score',
        tasks: [
          { part: 'as1', task: '1', points: 1, max: 1 },
          { part: 'as1', task: '2', points: 1, max: 1 },
          { part: 'as1', task: '3', points: 1, max: 2 },
        ],
      },
      {
        workId: 'W3',
        status: 'incomplete',
        reasons: ['no-variant', 'as1-not-final', 'checks-pending'],
        variant: null,
        as1: null,
        as2: null,
        primary: null,
        score: null,
        scale: 'test-score',
        tasks: [],
      },
    ]);

    // Computing again under the same key changes nothing and says so.
    expect((await computeResults(db, BASIS, EXAM, 'admin')).changes).toEqual([]);
    expect(await staleExams(db, BASIS)).toEqual([]);
    expect(await audits(db, 'results.changed')).toEqual([]);

    // The key of variant 7 is corrected: the exam's results are stale and recomputed, W1 gains a point.
    expect(await staleExams(db, CORRECTED)).toEqual([EXAM]);
    const [recomputed] = await recomputeStale(db, CORRECTED, 'chair-1');
    expect(recomputed!.replaced).toEqual([first.scoring]);
    expect(recomputed!.changes).toEqual([
      {
        workId: 'W1',
        scoring: [first.scoring, recomputed!.scoring],
        status: ['complete', 'complete'],
        primary: [6, 7],
        score: [76, 100],
        tasks: [{ part: 'as1', task: '2', points: [0, 1] }],
      },
    ]);
    expect(await staleExams(db, CORRECTED)).toEqual([]);
    expect((await listResults(db, EXAM)).find((r) => r.workId === 'W1')).toMatchObject({
      primary: 7,
      score: 100,
      scoring: recomputed!.scoring,
    });
    // Audited: the change per work, old → new, and each run with its counts.
    expect(await audits(db, 'results.changed')).toEqual([
      {
        subject: 'work:W1',
        actor: 'chair-1',
        detail: {
          exam: EXAM,
          scoring: [first.scoring, recomputed!.scoring],
          status: ['complete', 'complete'],
          primary: [6, 7],
          score: [76, 100],
          tasks: [{ part: 'as1', task: '2', points: [0, 1] }],
        },
      },
    ]);
    expect((await audits(db, 'results.computed')).map((a) => [a.subject, a.detail.changed])).toEqual([
      [`exam:${EXAM}`, 0],
      [`exam:${EXAM}`, 0],
      [`exam:${EXAM}`, 1],
    ]);

    // W2's second check comes in: its result completes; then an appeal on W1 holds W1's result open.
    await check(db, 'boris', 'W2', 1);
    await registerAppeal(db, () => RULES, 'W1', 'sergei', 'disagrees with task 4');
    const later = await computeResults(db, CORRECTED, EXAM, 'admin');
    expect(later.changes.map((c) => [c.workId, c.status, c.primary])).toEqual([
      ['W1', ['complete', 'incomplete'], [7, null]],
      ['W2', ['incomplete', 'complete'], [null, 4]],
    ]);
    expect((await listResults(db, EXAM)).find((r) => r.workId === 'W1')!.reasons).toEqual(['appeal-pending']);

    // Retention erases the exam's recognised values: a key corrected after that rescoring nothing is refused,
    // and the exam is no longer stale, so the recurring stage leaves its results as computed.
    const [act] = await db.query<{ id: number }>(
      `insert into destruction_acts (run_by, policy_year, policy_sha256) values ('retention', 2026, 'x') returning id`,
    );
    await db.query(
      `insert into destruction_act_records (act_id, exam_id, material, action, due_day, late, rows)
       values ($1, $2, 'recognition-data', 'anonymise', '2027-03-01', false, '{}')`,
      [act!.id, EXAM],
    );
    expect(await staleExams(db, BASIS)).toEqual([]);
    await expect(computeResults(db, BASIS, EXAM, 'admin')).rejects.toMatchObject({ code: 'not-allowed' });
  });

  it('gives a subject with no short answers its mark from the experts alone, waiting for no variant', async () => {
    const db = await open();
    undo(() => db.close());
    await migrate(db);
    // GVE-9 written Russian (shipped example files): a summary and a creative task, nothing on AS1.
    await registerExam(db, { ...MOSCOW_EGE_02, id: 'gve-01', kind: 'GVE', subjectCode: '01', grade: 9 });
    const basis = shippedBasis();
    const rules = basis.rules({ year: 2026, kind: 'GVE', subjectCode: '01' });
    const full = Object.fromEntries(rules.tasks.flatMap((t) => t.criteria.map((c) => [c.id, c.max])));
    for (const id of ['G1', 'G2'])
      await db.query(
        `insert into works (id, exam_id, status, route) values ($1, 'gve-01', 'complete', 'checking')`,
        [id],
      );
    await db.query(
      `insert into work_results (work_id, scores, total, basis) values ('G1', $1, 20, 'two-experts')`,
      [JSON.stringify(full)],
    );
    expect(await computeResults(db, basis, 'gve-01', 'admin')).toMatchObject({ complete: 1, incomplete: 1 });
    const [g1, g2] = await listResults(db, 'gve-01');
    expect(g1).toMatchObject({ status: 'complete', variant: null, as1: 0, as2: 20, primary: 20, score: 5 });
    expect(g1!.scale).toBe('mark');
    expect(g2).toMatchObject({ status: 'incomplete', reasons: ['checks-pending'], as1: 0, primary: null });
    // The regional file names the exam's form with its grade; part 1 is empty, the mark the experts'.
    const file = await exportResults(db, shippedLayouts(), 'gve-01', 'regional', 'admin');
    const [, row] = new TextDecoder('windows-1251').decode(file.bytes).split('\r\n');
    expect(row).toMatch(/^G1;+ГВЭ-9;01;2026-06-01;;;;;[0-9,]+;20;5$/);
  });

  it('refuses an unknown exam or work and a malformed variant', async () => {
    const db = await open();
    undo(() => db.close());
    await migrate(db);
    await expect(computeResults(db, BASIS, 'nope', 'admin')).rejects.toMatchObject({ code: 'no-such-exam' });
    await expect(listResults(db, 'nope')).rejects.toThrow(ResultsError);
    await expect(setVariant(db, 'W9', '7', 'admin')).rejects.toMatchObject({ code: 'no-such-work' });
    await expect(setVariant(db, 'W9', 'seven and a half', 'admin')).rejects.toMatchObject({
      code: 'bad-value',
    });
  });
});
