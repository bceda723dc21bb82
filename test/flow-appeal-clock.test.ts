/**
 * Appeals and processing on the regulation's clock, on PGlite and PostgreSQL: an appeal's steps counted from
 * its filing and hearing days (road map L408-409, order L125-131), recorded once each, overdue ones listed
 * for chairs and counted in /metrics; an exam without a processing deadline takes the regulation's 10 days
 * (road map L415, L444), and its unscored first and second checks go overdue the day before.
 */
import { describe, expect, it } from 'vitest';
import {
  appealStepsOf,
  checkingProgress,
  decideAppeal,
  openChecks,
  overdue,
  recordAppealStep,
  registerAppeal,
  registerExpert,
  submitScores,
  takeNextCheck,
} from '../checking/store.ts';
import type { Database } from '../platform/db.ts';
import { migrate, shippedMigrations } from '../platform/migrate.ts';
import { inProcessStages } from '../platform/queues.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { metricsText } from '../service/metrics.ts';
import { ELIGIBLE, fixtureRules, MOSCOW_EGE_02 } from './helpers.ts';
import { DATABASES, undoAfterAll } from './services.ts';

const RULES = fixtureRules([
  { task: '13', criteria: [{ id: '13', max: 2 }] },
  { task: '14', criteria: [{ id: '14', max: 3 }] },
]);
const rulesOf = () => RULES;
const EXAM = MOSCOW_EGE_02.id;

const undo = undoAfterAll();

/** Noon in Moscow on a day: the exam region's date is that day. */
const at = (day: string) => new Date(`${day}T09:00:00Z`);

async function exam(open: () => Promise<Database>) {
  const db = await open();
  undo(() => db.close());
  await migrate(db);
  await registerExam(db, MOSCOW_EGE_02);
  await issueUser(db, { id: 'chair-olga', name: 'Olga', role: 'chair' });
  return db;
}

/** Works routed to checking: each opens its first and second checks. */
async function routed(db: Database, ...works: string[]) {
  for (const id of works) {
    await db.query(`insert into works (id, exam_id, status, route) values ($1, $2, 'complete', 'checking')`, [
      id,
      EXAM,
    ]);
    await db.transaction((tx) => openChecks(tx, rulesOf, id, 'checking'));
  }
}

/** Metrics as /metrics serves them, on stage queues that have run nothing. */
async function metrics(db: Database, now: Date) {
  const idle = async () => undefined;
  const queues = inProcessStages({
    recognise: idle,
    assemble: idle,
    route: idle,
    protocol: idle,
    retention: idle,
    requeue: idle,
    results: idle,
  });
  undo(() => queues.close());
  return metricsText({ db, queues }, now);
}

describe.each(DATABASES)('appeals and processing on the clock, on %s', (_name, open) => {
  it('road map L408, order L125-L127: counts each step from its day, records it once, lists and counts what is overdue', async () => {
    const db = await exam(open);
    for (const userId of ['anna', 'boris', 'sergei']) {
      await issueUser(db, { id: userId, name: userId, role: 'expert' });
      await registerExpert(db, {
        userId,
        year: 2026,
        subjectCode: '02',
        status: userId === 'sergei' ? 'senior' : 'main',
        ...ELIGIBLE,
      });
    }
    await routed(db, 'W001', 'W002');
    const score = async (who: string, scores: Record<string, number>) =>
      submitScores(db, rulesOf, who, (await takeNextCheck(db, who))!, scores);
    await score('anna', { '13': 1, '14': 1 });
    await score('boris', { '13': 1, '14': 1 });
    await score('sergei', { '13': 1, '14': 1 });
    await score('anna', { '13': 1, '14': 1 });

    // Filed on Thursday 18 June, registered here on Friday.
    const { appealId, checkId } = await registerAppeal(
      db,
      rulesOf,
      'W001',
      'chair-olga',
      'task 14',
      '2026-06-18',
      at('2026-06-19'),
    );
    const state = async (now: string) =>
      Object.fromEntries(
        (await appealStepsOf(db, appealId, at(now))).steps.map((s) => [s.step, [s.state, s.dueDay]]),
      );
    expect(await state('2026-06-19')).toMatchObject({
      'ris-entry': ['open', '2026-06-19'],
      'protocols-to-rcoi': ['waiting', null],
    });
    // Saturday: the entry into the regional system is a day late (road map L408).
    expect(await overdue(db, at('2026-06-20'))).toEqual({
      appealSteps: [
        {
          appealId,
          workCode: 'W001',
          examId: EXAM,
          step: 'ris-entry',
          what: 'the appeal entered into the regional information system',
          rule: 'road map L408',
          by: 'rcoi',
          dueDay: '2026-06-19',
        },
      ],
      exams: [],
    });
    const saturday = await metrics(db, at('2026-06-20'));
    expect(saturday).toContain('rcoi_appeal_steps_overdue{step="ris-entry"} 1');
    expect(saturday).toContain('# TYPE rcoi_appeal_steps_late_total counter');
    expect(saturday).toContain('rcoi_appeal_steps_late_total{step="ris-entry"} 0');

    const steps = await recordAppealStep(
      db,
      appealId,
      'ris-entry',
      'chair-olga',
      undefined,
      at('2026-06-20'),
    );
    expect(steps.steps[0]).toMatchObject({ step: 'ris-entry', doneOn: '2026-06-20', state: 'late' });
    await expect(
      recordAppealStep(db, appealId, 'ris-entry', 'chair-olga', '2026-06-20', at('2026-06-20')),
    ).rejects.toThrow('ris-entry was recorded as done on 2026-06-20');
    await expect(
      recordAppealStep(db, appealId, 'decision-entry', 'chair-olga', '2026-06-20', at('2026-06-20')),
    ).rejects.toThrow('decision-entry waits for protocols-to-rcoi');
    await expect(
      recordAppealStep(db, appealId, 'lunch', 'chair-olga', undefined, at('2026-06-20')),
    ).rejects.toThrow('no appeal step "lunch"');
    const afterEntry = await metrics(db, at('2026-06-20'));
    expect(afterEntry).toContain('rcoi_appeal_steps_overdue{step="ris-entry"} 0');
    expect(afterEntry).toContain('rcoi_appeal_steps_late_total{step="ris-entry"} 1');

    // Heard on Friday 19 June: protocols due Saturday (order L125); entry due Monday (order L127).
    expect(await takeNextCheck(db, 'sergei', 3_600_000, at('2026-06-22'))).toBe(checkId);
    await submitScores(db, rulesOf, 'sergei', checkId, { '13': 2, '14': 1 }, at('2026-06-22'));
    await decideAppeal(db, rulesOf, appealId, 'chair-olga', 'upheld', '2026-06-19', at('2026-06-22'));
    await recordAppealStep(db, appealId, 'protocols-to-rcoi', 'chair-olga', '2026-06-20', at('2026-06-22'));
    expect(await state('2026-06-22')).toMatchObject({
      'protocols-to-rcoi': ['done', '2026-06-20'],
      'decision-entry': ['open', '2026-06-22'],
      'outcome-entry': ['overdue', '2026-06-21'],
      recalculation: ['waiting', null],
    });
    const tuesday = await overdue(db, at('2026-06-23'));
    expect(tuesday.appealSteps.map((s) => [s.step, s.dueDay])).toEqual([
      ['outcome-entry', '2026-06-21'],
      ['decision-entry', '2026-06-22'],
    ]);
    const audited = await db.query<{ action: string }>(
      `select action from audit_events where subject = $1 order by id`,
      [`appeal:${appealId}`],
    );
    expect(audited.map((a) => a.action)).toEqual([
      'appeal.register',
      'appeal.step',
      'appeal.decide',
      'appeal.step',
    ]);
  });

  it('keeps the days of appeals from before the clock: filed when registered, heard when decided, in the region', async () => {
    const db = await open();
    undo(() => db.close());
    const shipped = shippedMigrations();
    await migrate(
      db,
      shipped.filter((m) => m.name !== 'appeal_clock'),
    );
    await registerExam(db, MOSCOW_EGE_02);
    await issueUser(db, { id: 'chair-olga', name: 'Olga', role: 'chair' });
    await routed(db, 'W001');
    // Registered at 01:30 and decided at 00:30 Moscow time: the previous day in UTC.
    await db.query(
      `insert into appeals (work_id, registered_by, registered_at, reason, check_id, status, outcome, total_before,
         total_after, decided_at)
       values ('W001', 'chair-olga', '2026-06-18T22:30:00Z', 'r', (select min(id) from checks), 'decided',
         'upheld', 3, 4, '2026-06-21T21:30:00Z')`,
    );
    expect(await migrate(db, shipped)).toEqual(
      shipped.filter((m) => m.name === 'appeal_clock').map((m) => m.version),
    );
    expect(
      await db.query(
        `select to_char(filed_on, 'YYYY-MM-DD') as filed, to_char(heard_on, 'YYYY-MM-DD') as heard, recheck_total
         from appeals`,
      ),
    ).toEqual([{ filed: '2026-06-19', heard: '2026-06-22', recheck_total: 4 }]);
  });

  it('road map L415, L444: without a deadline the exam is processed within 10 days; checks overdue the day before', async () => {
    const db = await exam(open);
    await routed(db, 'W001');
    // Exam on 1 June, no deadline set: processing by 11 June, first and second checks by 10 June.
    expect(await overdue(db, at('2026-06-10'))).toEqual({ appealSteps: [], exams: [] });
    expect(await overdue(db, at('2026-06-11'))).toEqual({
      appealSteps: [],
      exams: [
        {
          examId: EXAM,
          processingDeadline: '2026-06-11',
          defaulted: true,
          dueDay: '2026-06-10',
          overdueChecks: 2,
        },
      ],
    });
    expect((await checkingProgress(db, EXAM, at('2026-06-11'))).overdue.map((o) => o.dueDay)).toEqual([
      '2026-06-10',
      '2026-06-10',
    ]);
    expect(await metrics(db, at('2026-06-11'))).toContain(`rcoi_checks_overdue{exam="${EXAM}"} 2`);
    expect(await metrics(db, at('2026-06-10'))).not.toContain('rcoi_checks_overdue{');
  });
});
