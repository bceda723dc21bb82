import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { printProtocols, takeProtocol } from '../checking/protocols.ts';
import {
  type ExpertRegistration,
  openChecks,
  printedProtocol,
  pullChecks,
  registerExpert,
  submitScores,
  voidProtocol,
} from '../checking/store.ts';
import { type PrintedProtocol, scoreField } from '../domain/protocols.ts';
import { expandForm, shippedForms } from '../forms/definitions.ts';
import { ingestBatch } from '../intake/ingest.ts';
import type { Adapters } from '../platform/adapters.ts';
import type { Database } from '../platform/db.ts';
import type { StageJobs } from '../platform/queues.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { PROTOCOL_FORM, protocolPage } from '../print/protocols.ts';
import { recognisePageStage } from '../recognition/stage.ts';
import { fillForm } from '../samples/fill.ts';
import { createRng } from '../samples/rng.ts';
import { decide, takeNextTask } from '../verification/store.ts';
import { queueFollowUp } from '../works/follow-up.ts';
import { ELIGIBLE, fixtureRules, MOSCOW_EGE_02 } from './helpers.ts';
import { DATABASES, freshAdapters, undoAfterAll } from './services.ts';

/** Seven criteria a check (two lines on a protocol); a third check on a 2-point difference. */
const RULES = fixtureRules([
  { task: '13', criteria: [{ id: '13', max: 2 }] },
  { task: '14', criteria: [{ id: '14', max: 3 }] },
  {
    task: '15',
    criteria: [
      { id: '15.K1', max: 2 },
      { id: '15.K2', max: 2 },
      { id: '15.K3', max: 1 },
      { id: '15.K4', max: 3 },
      { id: '15.K5', max: 1 },
    ],
  },
]);
const rulesOf = () => RULES;
const forms = shippedForms();
const protocolForm = forms.find((f) => f.id === PROTOCOL_FORM)!;

const undo = undoAfterAll();

async function setUp(open: () => Promise<Database>): Promise<Adapters> {
  const deps = await freshAdapters(open, undo, 'rcoi-protocols');
  const { db } = deps;
  await registerExam(db, { ...MOSCOW_EGE_02, id: 'ege-02' });
  await issueUser(db, { id: 'chair', name: 'chair', role: 'chair' });
  for (const userId of ['anna', 'boris']) {
    await issueUser(db, { id: userId, name: userId, role: 'expert' });
    await registerExpert(db, {
      userId,
      year: 2026,
      subjectCode: '02',
      status: 'main',
      ...ELIGIBLE,
    } as ExpertRegistration);
  }
  for (const id of ['W001', 'W002', 'W003']) {
    await db.query(
      `insert into works (id, exam_id, status, route) values ($1, 'ege-02', 'complete', 'checking')`,
      [id],
    );
    await db.transaction((tx) => openChecks(tx, rulesOf, id, 'checking'));
  }
  return deps;
}

const codeOf = async (db: Database, userId: string) =>
  (await db.query<{ code: string }>('select code from experts where user_id = $1', [userId]))[0]!.code;

/**
 * The printed protocol filled in by hand with `scores` (check id to criterion to points) and `code`, scanned
 * in, recognised and verified against what was written. Returns the protocol stage's job, if one was queued.
 */
async function scanBack(
  deps: Adapters,
  p: PrintedProtocol,
  code: string,
  written: Map<number, Record<string, number>>,
  seed: number,
): Promise<StageJobs['protocol'] | undefined> {
  const values: Record<string, string> = { expert_code: code };
  for (const l of p.lines)
    l.criteria.forEach((k, i) => {
      values[scoreField(l.line, i + 1)] = String(written.get(l.checkId)![k]);
    });
  const page = await protocolPage(protocolForm, p, 'test');
  fillForm(page, expandForm(protocolForm), createRng(seed), { exactly: values });
  const png = await sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
    .png()
    .toBuffer();
  const batch = await ingestBatch(
    deps,
    { batch: `protocol-${seed}`, station: 's1', exam: 'ege-02', declared: { protocol: 1 } },
    'upload',
    [{ name: `${p.sheetNumber}.png`, bytes: new Uint8Array(png) }],
  );
  const pageId = batch.newPages[0]!;
  expect(await recognisePageStage(deps, forms, pageId)).not.toBe('rejected');
  // A verifier settles every doubtful cell against the written value, as they would against the image.
  for (;;) {
    const task = await takeNextTask(deps.db, { id: 'verifier', senior: true });
    if (!task) break;
    const truth = values[task.field] ?? '';
    await decide(
      deps.db,
      forms,
      { id: 'verifier', senior: true },
      task.id,
      task.value === truth ? { action: 'confirm' } : { action: 'correct', value: truth },
    );
  }
  const queued: StageJobs['protocol'][] = [];
  await queueFollowUp(
    deps.db,
    {
      add: async (stage, _id, data) => {
        if (stage === 'protocol') queued.push(data as StageJobs['protocol']);
      },
      again: async () => {},
    },
    pageId,
  );
  return queued[0];
}

const checksOf = (db: Database, ids: number[]) =>
  db.query<{ id: number; status: string; scores: Record<string, number> | null }>(
    `select c.id, c.status, (select json_object_agg(s.criterion, s.points) from scores s where s.check_id = c.id) as scores
     from checks c where c.id = any($1::bigint[]) order by c.id`,
    [ids],
  );

describe.each(DATABASES)('paper checking on %s', (_name, open) => {
  it('prints protocols for an expert’s batch and takes the scanned protocol as their scores', async () => {
    const deps = await setUp(open);
    const { db } = deps;
    const { checks: ids } = await pullChecks(db, 'chair', 'anna', 3);
    expect(ids).toHaveLength(3);
    const [p, ...more] = await printProtocols(db, rulesOf, 'chair', 'anna', ids);
    expect(more).toEqual([]);
    expect(p!.sheetNumber).toMatch(/^6\d{12}$/);
    expect(p!.expertCode).toBe(await codeOf(db, 'anna'));
    expect(p!.lines.map((l) => [l.line, l.workCode, l.criteria.length])).toEqual([
      [1, 'W001', 6],
      [2, 'W001', 1],
      [3, 'W002', 6],
      [4, 'W002', 1],
      [5, 'W003', 6],
      [6, 'W003', 1],
    ]);
    // The same checks cannot go out on two protocols at once.
    await expect(printProtocols(db, rulesOf, 'chair', 'anna', [ids[0]!])).rejects.toThrow(/on protocol/);
    await expect(printProtocols(db, rulesOf, 'chair', 'boris', [ids[0]!])).rejects.toThrow(/not in boris/);
    expect(await printedProtocol(db, p!.sheetNumber)).toEqual(p);

    const written = new Map(
      ids.map((id, i) => [
        id,
        { '13': i % 3, '14': 3 - i, '15.K1': 2, '15.K2': i, '15.K3': 1, '15.K4': 0, '15.K5': (i + 1) % 2 },
      ]),
    );
    const job = await scanBack(deps, p!, p!.expertCode, written, 1);
    expect(job).toEqual({ sheetNumber: p!.sheetNumber });
    expect(await takeProtocol(db, rulesOf, p!.sheetNumber)).toEqual({ status: 'scored', checks: 3 });
    expect((await checksOf(db, ids)).map((c) => [c.status, c.scores])).toEqual(
      ids.map((id) => ['submitted', written.get(id)]),
    );
    // Taken once: the job run again changes nothing.
    expect(await takeProtocol(db, rulesOf, p!.sheetNumber)).toEqual({ status: 'already', was: 'scored' });
    // Boris's second check of W001 on screen, two points apart on task 13: the third check follows as usual.
    const {
      checks: [second],
    } = await pullChecks(db, 'chair', 'boris', 1);
    const anna = written.get(ids[0]!)!;
    expect(
      await submitScores(db, rulesOf, 'boris', second!, { ...anna, '13': anna['13'] + 2 }),
    ).toMatchObject({
      next: 'third-check',
      tasks: ['13'],
    });
    const audited = await db.query<{ actor: string; action: string }>(
      `select actor, action from audit_events where action in ('print.protocols', 'checking.protocol', 'checking.score')
       order by id`,
    );
    expect(audited.map((a) => `${a.actor} ${a.action}`)).toEqual([
      'chair print.protocols',
      'anna checking.score',
      'anna checking.score',
      'anna checking.score',
      'anna checking.protocol',
      'boris checking.score',
    ]);
  }, 120_000);

  it('rejects a protocol with another expert’s code or a score out of range, taking nothing of it', async () => {
    const deps = await setUp(open);
    const { db } = deps;
    const { checks: ids } = await pullChecks(db, 'chair', 'boris', 2);
    const [p] = await printProtocols(db, rulesOf, 'chair', 'boris', ids);
    const fine = { '13': 1, '14': 1, '15.K1': 1, '15.K2': 1, '15.K3': 1, '15.K4': 1, '15.K5': 1 };
    const written = new Map(ids.map((id) => [id, fine]));
    const job = await scanBack(deps, p!, await codeOf(db, 'anna'), written, 2);
    expect(await takeProtocol(db, rulesOf, job!.sheetNumber)).toEqual({
      status: 'rejected',
      reason: expect.stringMatching(/expert code written \(\d{5}\) is not \d{5}/),
    });
    expect((await checksOf(db, ids)).map((c) => c.status)).toEqual(['assigned', 'assigned']);
    // A rejected protocol is voided and printed again; the new one has a 5 where criterion 15.K3 allows 1.
    expect(await voidProtocol(db, 'chair', p!.sheetNumber, 'wrong expert code')).toBe(true);
    expect(await voidProtocol(db, 'chair', p!.sheetNumber, 'again')).toBe(false);
    const [again] = await printProtocols(db, rulesOf, 'chair', 'boris', ids);
    expect(again!.sheetNumber).not.toBe(p!.sheetNumber);
    written.set(ids[1]!, { ...fine, '15.K3': 5 });
    const job2 = await scanBack(deps, again!, again!.expertCode, written, 3);
    const outcome = await takeProtocol(db, rulesOf, job2!.sheetNumber);
    expect(outcome).toEqual({ status: 'rejected', reason: expect.stringMatching(/15\.K3/) });
    // The first check's scores were valid, but a protocol is taken whole or not at all.
    expect((await checksOf(db, ids)).map((c) => [c.status, c.scores])).toEqual([
      ['assigned', null],
      ['assigned', null],
    ]);
    const rows = await db.query<{ status: string; reason: string | null }>(
      'select status, reason from protocols order by printed_at, sheet_number',
    );
    expect(rows.map((r) => r.status)).toEqual(['void', 'rejected']);
  }, 120_000);
});
