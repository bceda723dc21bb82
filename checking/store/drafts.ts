/**
 * An expert's draft of a check's scores: saved as they go, restored when the check is opened again, replaced
 * by each save and dropped when the scores are sent. A draft is not a submission: the check stays in hand.
 * (Saving checks the draft against the check first: `saveDraft` in scores.ts.)
 */
import type { Scores } from '../../domain/checking.ts';
import type { Queryable } from '../../platform/db.ts';

export async function writeDraft(
  tx: Queryable,
  checkId: number,
  expertId: string,
  scores: Scores,
  now: Date,
): Promise<void> {
  await tx.query(
    `insert into check_drafts (check_id, expert_id, scores, saved_at) values ($1, $2, $3, $4)
     on conflict (check_id, expert_id) do update set scores = $3, saved_at = $4`,
    [checkId, expertId, JSON.stringify(scores), now],
  );
}

/** The expert's draft for the check, or null. */
export async function draftOf(tx: Queryable, checkId: number, expertId: string): Promise<Scores | null> {
  const [d] = await tx.query<{ scores: Scores }>(
    'select scores from check_drafts where check_id = $1 and expert_id = $2',
    [checkId, expertId],
  );
  return d?.scores ?? null;
}

/** Drops a check's drafts once its scores are sent. */
export async function dropDrafts(tx: Queryable, checkId: number): Promise<void> {
  await tx.query('delete from check_drafts where check_id = $1', [checkId]);
}
