/** What a page's becoming final sets going next, decided by the sheet it is. */
import type { Queryable } from '../platform/db.ts';
import { jobId, type StageQueues } from '../platform/queues.ts';

/**
 * What a page's becoming final sets going: the (re)assembly of the work its sheet belongs to, or, for a
 * checking protocol, the taking of its scores.
 */
export async function queueFollowUp(
  db: Queryable,
  queues: Pick<StageQueues, 'add'>,
  pageId: string,
): Promise<void> {
  // A sheet no kit names yet is assembled when its kit manifest is imported; an additional AS2 is in no kit
  // and finds its kit through the links.
  const [sheet] = await db.query<{ sheet_number: string; kind: string }>(
    `select s.sheet_number, s.kind from sheets s
     where s.page_id = $1 and s.status = 'final'
       and (s.kind in ('additional-answer-sheet-2', 'protocol')
            or exists (select 1 from kits k where k.sheet_number = s.sheet_number))`,
    [pageId],
  );
  if (!sheet) return;
  const { sheet_number: sheetNumber } = sheet;
  if (sheet.kind === 'protocol')
    await queues.add('protocol', jobId('protocol', sheetNumber), { sheetNumber });
  else await queues.add('assemble', jobId('sheet', sheetNumber), { sheetNumber });
}
