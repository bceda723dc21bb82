/**
 * How checks are handed out: an expert takes the next one from the pool (leased), a chair pulls a batch for
 * an expert or hands checks over (held without a lease). What an expert may take is domain/checking.ts
 * `mayTake` over their facts; two experts check each work independently. Checks are taken with
 * `FOR UPDATE SKIP LOCKED`, and a unique index keeps one expert to one check of a work whatever races.
 */

import type { assignChecks as assignEndpoint, PullShortfall } from '../../contract/checking.ts';
import type { Answer } from '../../contract/endpoint.ts';
import { mayTake, type Round } from '../../domain/checking.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import { expertExams, expertFacts } from './experts.ts';
import { pullShortfall } from './shortfall.ts';

/** The rounds the expert may take in the exam. */
const roundsFor = async (tx: Queryable, expertId: string, examId: string) =>
  mayTake(await expertFacts(tx, expertId, examId));

interface ExamRounds {
  examId: string;
  rounds: Round[];
}

/** The exams of the expert's subject they may check at all, in exam order, with the rounds they may take. */
async function eligibleExams(tx: Queryable, expertId: string): Promise<ExamRounds[]> {
  const eligible: ExamRounds[] = [];
  for (const examId of await expertExams(tx, expertId)) {
    const rounds = await roundsFor(tx, expertId, examId);
    if (rounds.length > 0) eligible.push({ examId, rounds });
  }
  return eligible;
}

/**
 * The next check of the pool an expert may take, locked: exam by exam (an expert's subject has one or a few
 * exam days), open checks in hand-out order along the pool index, then checks whose lease ran out. The query
 * reads only `checks`, so it walks the index and stops at the first check the expert may take instead of
 * sorting the pool.
 */
async function poolCheck(
  tx: Queryable,
  expertId: string,
  exams: ExamRounds[],
  now: Date,
): Promise<number | undefined> {
  for (const { examId, rounds } of exams) {
    for (const [pool, params] of [
      [`c.status = 'open' order by c.priority, c.id`, []],
      [
        `c.status = 'assigned' and c.assigned_by is null and c.leased_until < $4 order by c.leased_until`,
        [now],
      ],
    ] as const) {
      const [next] = await tx.query<{ id: number }>(
        `select c.id from checks c
         where c.exam_id = $2 and c.round = any($3::text[])
           and not exists (select 1 from checks o where o.work_id = c.work_id and o.expert_id = $1)
           and ${pool}
         limit 1
         for update of c skip locked`,
        [expertId, examId, rounds, ...params],
      );
      if (next) return next.id;
    }
  }
  return undefined;
}

/** Hands a check to an expert under a chair's name: held without a lease until scored or taken back. */
const holdFor = (tx: Queryable, checkId: number, expertId: string, chairId: string) =>
  tx.query(
    `update checks set status = 'assigned', expert_id = $2, assigned_by = $3, leased_until = null where id = $1`,
    [checkId, expertId, chairId],
  );

/** The check in hand (a chair's assignment, or an unexpired lease), else the next one of the pool. */
export async function takeNextCheck(
  db: Database,
  expertId: string,
  leaseMs = 3_600_000,
  now = new Date(),
): Promise<number | null> {
  const until = new Date(now.getTime() + leaseMs);
  return db.transaction(async (tx) => {
    const [held] = await tx.query<{ id: number }>(
      `update checks set leased_until = case when assigned_by is null then $3 else leased_until end
       where id = (select id from checks where expert_id = $1 and status = 'assigned'
                   and (assigned_by is not null or leased_until >= $2) order by id limit 1)
       returning id`,
      [expertId, now, until],
    );
    if (held) return held.id;
    const next = await poolCheck(tx, expertId, await eligibleExams(tx, expertId), now);
    if (next === undefined) return null;
    await tx.query(`update checks set status = 'assigned', expert_id = $2, leased_until = $3 where id = $1`, [
      next,
      expertId,
      until,
    ]);
    await audit(tx, expertId, 'checking.take', `check:${next}`, {});
    return next;
  });
}

/**
 * A chair pulls up to `count` checks from the pool for one expert (a batch to mark, on screen or on paper):
 * the checks a pull by that expert would get, in the same order, held by the chair's assignment (no lease);
 * when fewer come than asked, why.
 */
export async function pullChecks(
  db: Database,
  chairId: string,
  expertId: string,
  count: number,
  now = new Date(),
): Promise<{ checks: number[]; shortfall: PullShortfall[] }> {
  return db.transaction(async (tx) => {
    const pulled: number[] = [];
    // Eligibility is the expert's for the whole pull; the checks are picked one at a time, so each assignment
    // is visible to the next pick and no work is handed to the expert twice.
    const exams = await eligibleExams(tx, expertId);
    while (pulled.length < count) {
      const next = await poolCheck(tx, expertId, exams, now);
      if (next === undefined) break;
      await holdFor(tx, next, expertId, chairId);
      pulled.push(next);
    }
    if (pulled.length > 0)
      await audit(tx, chairId, 'checking.pull', `expert:${expertId}`, { checks: pulled });
    const shortfall = pulled.length < count ? await pullShortfall(tx, expertId, now) : [];
    return { checks: pulled, shortfall };
  });
}

/** A chair hands checks to an expert (or back to the pool with `expertId` null); each one audited. */
export async function assignChecks(
  db: Database,
  chairId: string,
  checkIds: number[],
  expertId: string | null,
): Promise<Answer<typeof assignEndpoint>> {
  const assigned: number[] = [];
  const refused: Answer<typeof assignEndpoint>['refused'] = [];
  for (const id of checkIds) {
    await db.transaction(async (tx) => {
      const [c] = await tx.query<{ status: string; expert_id: string | null; exam_id: string }>(
        'select status, expert_id, exam_id from checks where id = $1 for update',
        [id],
      );
      if (!c)
        return void refused.push({
          id,
          code: 'no-such-check',
          params: { check: id },
          reason: 'no such check',
        });
      if (c.status === 'submitted')
        return void refused.push({
          id,
          code: 'already-scored',
          params: { check: id },
          reason: 'already scored',
        });
      if (expertId === null) {
        await tx.query(
          `update checks set status = 'open', expert_id = null, assigned_by = null, leased_until = null where id = $1`,
          [id],
        );
      } else {
        // The same rules as a pull, for this one check and this expert (their own earlier hold aside).
        const [ok] = await tx.query(
          `select 1 from checks c where c.id = $2 and c.round = any($3::text[])
             and not exists (select 1 from checks o where o.work_id = c.work_id and o.expert_id = $1 and o.id <> c.id)`,
          [expertId, id, await roundsFor(tx, expertId, c.exam_id)],
        );
        if (!ok)
          return void refused.push({
            id,
            code: 'may-not-take',
            params: { check: id, expert: expertId },
            reason: `${expertId} may not take this check`,
          });
        await holdFor(tx, id, expertId, chairId);
      }
      await audit(tx, chairId, 'checking.assign', `check:${id}`, { expert: expertId, before: c.expert_id });
      assigned.push(id);
    });
  }
  return { assigned, refused };
}
