/** What a page's becoming final sets going next, decided by the sheet it is. */
import type { Queryable } from '../platform/db.ts';
import { jobId, type StageQueues } from '../platform/queues.ts';
import { sheetToFollow } from './store/sheets.ts';

/**
 * What a page's becoming final sets going: the (re)assembly of the work its sheet belongs to, or, for a
 * checking protocol, the taking of its scores.
 */
export async function queueFollowUp(
  db: Queryable,
  queues: Pick<StageQueues, 'add'>,
  pageId: string,
): Promise<void> {
  const sheet = await sheetToFollow(db, pageId);
  if (!sheet) return;
  const { sheetNumber } = sheet;
  if (sheet.kind === 'protocol')
    await queues.add('protocol', jobId('protocol', sheetNumber), { sheetNumber });
  else await queues.add('assemble', jobId('sheet', sheetNumber), { sheetNumber });
}
