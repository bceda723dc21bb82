/** What a page's becoming final sets going next, decided by the sheet it is. */
import type { Queryable } from '../platform/db.ts';
import { jobId, type StageQueues } from '../platform/queues.ts';
import { sheetToFollow } from './store/sheets.ts';
import { kitOfSheet } from './store.ts';

/**
 * Assembles each kit (again) once everything before this call is committed. Its runs coalesce: sheets of one
 * kit becoming final while its assembly waits make one assembly, not one each.
 */
export async function queueAssembly(queues: Pick<StageQueues, 'again'>, kitIds: Iterable<string>) {
  for (const kitId of kitIds) await queues.again('assemble', jobId('kit', kitId), { kitId });
}

/**
 * What a page's becoming final sets going: the (re)assembly of the work its sheet belongs to, or, for a
 * checking protocol, the taking of its scores.
 */
export async function queueFollowUp(
  db: Queryable,
  queues: Pick<StageQueues, 'add' | 'again'>,
  pageId: string,
): Promise<void> {
  const sheet = await sheetToFollow(db, pageId);
  if (!sheet) return;
  const { sheetNumber } = sheet;
  if (sheet.kind === 'protocol') {
    await queues.add('protocol', jobId('protocol', sheetNumber), { sheetNumber });
    return;
  }
  const kitId = await kitOfSheet(db, sheetNumber);
  if (kitId) await queueAssembly(queues, [kitId]);
}
