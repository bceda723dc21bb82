/**
 * Legal holds: an administrator holds one object or every object of an exam, with a reason, past its
 * retention date; placing and releasing one is audited. Where the object store can (S3 object lock), a hold
 * binds the store too, kept in line with the database here and on every sweep.
 */
import type { Adapters } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { audit } from '../platform/store/audit.ts';
import { insertHold, markHoldReleased, recordStoreHold, storeHoldsToSync } from './store.ts';

/** What an administrator's request about holds and training sets can meet. */
export class RetentionError extends ServiceError<
  | 'no-such-hold'
  | 'bad-request'
  | 'no-such-exam'
  | 'training-set-too-late'
  | 'training-set-too-few'
  | 'training-page-unfit'
> {}

/**
 * Brings the store's own holds in line with the database's: on for every held object that lacks it (and for
 * `recheck`, held objects an expiry rule may have reached), off where the last hold was released.
 */
export async function syncStoreHolds(deps: Adapters, recheck: string[] = []): Promise<void> {
  const { db, objects } = deps;
  if (!objects.enforcesHolds) return;
  for (const r of await storeHoldsToSync(db, recheck)) {
    await objects.setLegalHold(r.objectKey, r.held);
    await recordStoreHold(db, r.objectKey, r.held);
  }
}

/** Places a legal hold on one object or on every object of an exam, in the store too; audited. */
export async function placeHold(
  deps: Adapters,
  target: { objectKey: string } | { examId: string },
  by: string,
  reason: string,
): Promise<number> {
  const { db } = deps;
  if (reason.trim() === '') throw new RetentionError('bad-request', 'a legal hold needs a reason');
  const id = await insertHold(db, target, by, reason);
  await audit(db, by, 'retention.hold', 'objectKey' in target ? target.objectKey : `exam:${target.examId}`, {
    reason,
  });
  await syncStoreHolds(deps);
  return id;
}

export async function releaseHold(deps: Adapters, id: number, by: string): Promise<void> {
  const { db } = deps;
  if (!(await markHoldReleased(db, id, by)))
    throw new RetentionError('no-such-hold', `no active legal hold ${id}`);
  await audit(db, by, 'retention.release', `hold:${id}`, {});
  await syncStoreHolds(deps);
}
