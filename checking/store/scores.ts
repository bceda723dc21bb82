/**
 * Scores and what follows them: final once given; a significant discrepancy between the first two
 * (domain/checking.ts) opens a third check, otherwise (or after the third) the work's result is recorded; an
 * appeal's re-check decides the appeal. A blank AS2's screening scores 0 or sends the work to two experts.
 * Chairs correct a keying slip and mark reference works.
 */
import type { AfterScore } from '../../contract/checking.ts';
import {
  checkScores,
  type Round,
  type RulesOf,
  resultScores,
  type Scores,
  type SubjectRules,
  thirdCheckDecision,
  total,
} from '../../domain/checking.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import { CheckingError } from '../errors.ts';
import { examOfWork, lockedCheck, openChecks, ownCheck, submittedScores } from './checks.ts';
import { dropDrafts, writeDraft } from './drafts.ts';

/** Scores checked against the subject's criteria: a misfit is the caller's `bad-scores`. */
function validScores(
  rules: SubjectRules,
  scores: Scores,
  tasks?: readonly string[],
  opts: { partial?: boolean } = {},
): void {
  try {
    checkScores(rules, scores, tasks, opts);
  } catch (err) {
    throw new CheckingError('bad-scores', (err as Error).message);
  }
}

/**
 * Saves the expert's draft of scores for a check they hold (drafts.ts): criteria may be left out, none may be
 * out of range. Not a submission: nothing follows from it.
 */
export function saveDraft(
  db: Database,
  rulesOf: RulesOf,
  expertId: string,
  checkId: number,
  scores: Scores,
  now = new Date(),
): Promise<{ savedAt: string }> {
  return db.transaction(async (tx) => {
    const c = await ownCheck(tx, checkId, expertId, now);
    if (c.round === 'screening')
      throw new CheckingError('not-allowed', 'a screening check is answered blank or not blank, not scored');
    validScores(rulesOf((await examOfWork(tx, c.work_id)).key), scores, c.tasks, { partial: true });
    await writeDraft(tx, checkId, expertId, scores, now);
    return { savedAt: now.toISOString() };
  });
}

/** Records an expert's scores for their check: final once given. Then the work moves on by the rules. */
export function submitScores(
  db: Database,
  rulesOf: RulesOf,
  expertId: string,
  checkId: number,
  scores: Scores,
  now = new Date(),
): Promise<AfterScore> {
  return db.transaction((tx) => scoreCheck(tx, rulesOf, expertId, checkId, scores, now));
}

/** `submitScores` inside the caller's transaction (a paper protocol's checks are scored together). */
export async function scoreCheck(
  tx: Queryable,
  rulesOf: RulesOf,
  expertId: string,
  checkId: number,
  scores: Scores,
  now = new Date(),
): Promise<AfterScore> {
  const c = await ownCheck(tx, checkId, expertId, now);
  if (c.round === 'screening')
    throw new CheckingError('not-allowed', 'a screening check is answered blank or not blank, not scored');
  const rules = rulesOf((await examOfWork(tx, c.work_id)).key);
  validScores(rules, scores, c.tasks);
  const criteria = Object.keys(scores);
  await tx.query(
    `insert into scores (check_id, criterion, points) select $1, * from unnest($2::text[], $3::int[])`,
    [checkId, criteria, criteria.map((k) => scores[k])],
  );
  await tx.query(`update checks set status = 'submitted', submitted_at = $2 where id = $1`, [checkId, now]);
  await dropDrafts(tx, checkId);
  await audit(tx, expertId, 'checking.score', `check:${checkId}`, { work: c.work_id, round: c.round });
  if (c.round === 'appeal') return recheckAppeal(tx, rules, checkId, scores);
  return settle(tx, rules, c.work_id, c.exam_id);
}

/**
 * The appeal re-check's scores are the re-checking expert's opinion for the conflict commission: kept apart
 * from its decision (appeals.ts, `decideAppeal`), which alone changes the work's result.
 */
async function recheckAppeal(
  tx: Queryable,
  rules: SubjectRules,
  checkId: number,
  scores: Scores,
): Promise<AfterScore> {
  const sum = total(rules, scores);
  await tx.query(`update appeals set status = 'rechecked', recheck_total = $2 where check_id = $1`, [
    checkId,
    sum,
  ]);
  return { next: 'hearing', total: sum };
}

/** After a score: a third check when the first two diverge, otherwise (or after the third) the result. */
async function settle(
  tx: Queryable,
  rules: SubjectRules,
  workId: string,
  examId: string,
): Promise<AfterScore> {
  // One work's scores settle one at a time: two experts sending theirs at once would each see the other's
  // check still open and leave the work waiting. The later one waits here, then reads both.
  await tx.query('select 1 from works where id = $1 for update', [workId]);
  const done = await submittedScores(tx, workId);
  const by = (round: Round) => done.find((d) => d.round === round);
  const first = by('first');
  const second = by('second');
  if (!first || !second) return { next: 'waiting' };
  const third = by('third');
  if (!third) {
    const decision = thirdCheckDecision(rules, first.scores, second.scores);
    if (decision.due) {
      await tx.query(
        `insert into checks (work_id, exam_id, round, tasks, reasons) values ($1, $2, 'third', $3, $4)
         on conflict (work_id, round) where round <> 'appeal' do nothing`,
        [workId, examId, decision.tasks, decision.reasons],
      );
      return { next: 'third-check', reasons: decision.reasons, tasks: decision.tasks };
    }
  }
  const result = resultScores(
    rules,
    first.scores,
    second.scores,
    third && { scores: third.scores, tasks: third.tasks },
  );
  return recordResult(tx, rules, workId, result, third ? 'third-check' : 'two-experts');
}

export async function recordResult(
  tx: Queryable,
  rules: SubjectRules,
  workId: string,
  scores: Scores,
  basis: 'two-experts' | 'third-check' | 'screening' | 'appeal',
): Promise<{ next: 'result'; total: number }> {
  const sum = total(rules, scores);
  await tx.query(
    `insert into work_results (work_id, scores, total, basis) values ($1, $2, $3, $4)
     on conflict (work_id) do update set scores = $2, total = $3, basis = $4, decided_at = now()`,
    [workId, JSON.stringify(scores), sum, basis],
  );
  return { next: 'result', total: sum };
}

/** A screening expert's answer: blank (the work scores 0) or not blank (it goes to two experts). */
export async function submitScreening(
  db: Database,
  rulesOf: RulesOf,
  expertId: string,
  checkId: number,
  blank: boolean,
  now = new Date(),
): Promise<AfterScore | { next: 'checking' }> {
  return db.transaction(async (tx) => {
    const c = await ownCheck(tx, checkId, expertId, now);
    if (c.round !== 'screening')
      throw new CheckingError('not-allowed', `check ${checkId} is not a screening`);
    await tx.query(`update checks set status = 'submitted', submitted_at = $2 where id = $1`, [checkId, now]);
    await audit(tx, expertId, 'checking.screening', `check:${checkId}`, { work: c.work_id, blank });
    if (!blank) {
      await openChecks(tx, rulesOf, c.work_id, 'checking');
      return { next: 'checking' as const };
    }
    const rules = rulesOf((await examOfWork(tx, c.work_id)).key);
    const zeros = Object.fromEntries(rules.tasks.flatMap((t) => t.criteria.map((k) => [k.id, 0])));
    return recordResult(tx, rules, c.work_id, zeros, 'screening');
  });
}

/**
 * A chair's correction of a submitted first or second score (a keying slip, say): a new entry with the
 * reason, the expert's request and the chair's approval, audited; the work is then settled again. After a
 * third check or a result the scores stand, and a change is an appeal's business.
 */
export async function correctScore(
  db: Database,
  rulesOf: RulesOf,
  c: { checkId: number; criterion: string; points: number; reason: string; approvedBy: string },
): Promise<AfterScore> {
  if (c.reason.trim() === '') throw new CheckingError('not-allowed', 'a correction needs its reason');
  return db.transaction(async (tx) => {
    const check = await lockedCheck(tx, c.checkId);
    if (check?.status !== 'submitted')
      throw new CheckingError('no-such-check', `no submitted check ${c.checkId}`);
    if (check.round !== 'first' && check.round !== 'second')
      throw new CheckingError(
        'not-allowed',
        'only first and second checks are corrected; the rest is appealed',
      );
    const [settled] = await tx.query(
      `select 1 from work_results where work_id = $1 union all select 1 from checks where work_id = $1 and round = 'third'`,
      [check.work_id],
    );
    if (settled) throw new CheckingError('not-allowed', `work ${check.work_id} is past its first two checks`);
    const rules = rulesOf((await examOfWork(tx, check.work_id)).key);
    const [old] = await tx.query<{ points: number }>(
      'select points from scores where check_id = $1 and criterion = $2 for update',
      [c.checkId, c.criterion],
    );
    if (!old) throw new CheckingError('bad-scores', `${c.criterion}: not scored in check ${c.checkId}`);
    const current = Object.fromEntries(
      (
        await tx.query<{ criterion: string; points: number }>(
          'select criterion, points from scores where check_id = $1',
          [c.checkId],
        )
      ).map((r) => [r.criterion, r.points]),
    );
    validScores(rules, { ...current, [c.criterion]: c.points }, check.tasks);
    await tx.query('update scores set points = $3 where check_id = $1 and criterion = $2', [
      c.checkId,
      c.criterion,
      c.points,
    ]);
    await tx.query(
      `insert into score_corrections (check_id, criterion, old_points, new_points, reason, requested_by, approved_by)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [c.checkId, c.criterion, old.points, c.points, c.reason, check.expert_id, c.approvedBy],
    );
    await audit(tx, c.approvedBy, 'checking.correct', `check:${c.checkId}`, {
      criterion: c.criterion,
      old: old.points,
      new: c.points,
    });
    return settle(tx, rules, check.work_id, check.exam_id);
  });
}

/**
 * Marks a work as a reference work with its known scores: it goes through the pool like any other, and each
 * expert's scores on it are compared with these (expert statistics). Audited.
 */
export async function setReferenceScores(
  db: Database,
  rulesOf: RulesOf,
  workId: string,
  scores: Scores,
  by: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const rules = rulesOf((await examOfWork(tx, workId)).key);
    validScores(rules, scores);
    const criteria = Object.keys(scores);
    await tx.query('delete from reference_scores where work_id = $1', [workId]);
    await tx.query(
      `insert into reference_scores (work_id, criterion, points) select $1, * from unnest($2::text[], $3::int[])`,
      [workId, criteria, criteria.map((k) => scores[k])],
    );
    await audit(tx, by, 'checking.reference', `work:${workId}`, {});
  });
}
