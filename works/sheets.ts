/**
 * Which scan stands for a sheet. The first page recognised with a sheet number stands for it; a later scan
 * of the same sheet (a rescan, a page fed twice) is kept and reported, its doubts held. An operator may make
 * the rescan the sheet's page: its held doubts open for verification, the other page's unfinished ones are
 * held in turn, and the sheet follows the new page (final at once if that page is).
 */

import type { Database } from '../platform/db.ts';
import { ServiceError } from '../platform/errors.ts';
import { audit } from '../platform/store/audit.ts';

export class SheetError extends ServiceError<'no-such-sheet' | 'not-this-sheet'> {}

export interface ScanChoice {
  sheetNumber: string;
  pageId: string;
  previous: string;
  status: 'final' | 'needs-verification';
}

export async function chooseScan(
  db: Database,
  sheetNumber: string,
  pageId: string,
  actor: string,
  reason: string,
): Promise<ScanChoice> {
  return db.transaction(async (tx) => {
    const [sheet] = await tx.query<{ page_id: string; status: ScanChoice['status'] }>(
      'select page_id, status from sheets where sheet_number = $1 for update',
      [sheetNumber],
    );
    if (!sheet) throw new SheetError('no-such-sheet', `no sheet ${sheetNumber}`);
    const [page] = await tx.query<{ status: string; form: string | null }>(
      'select status, form from pages where id = $1 and sheet_number = $2',
      [pageId, sheetNumber],
    );
    if (!page || page.status === 'rejected' || page.status === 'pending' || !page.form)
      throw new SheetError(
        'not-this-sheet',
        `page ${pageId} is not a recognised scan of sheet ${sheetNumber}`,
      );
    if (sheet.page_id === pageId) return { sheetNumber, pageId, previous: pageId, status: sheet.status };
    await tx.query(
      `update verification_tasks set status = 'held', leased_by = null, leased_until = null
       where page_id = $1 and status in ('open', 'leased')`,
      [sheet.page_id],
    );
    await tx.query(`update verification_tasks set status = 'open' where page_id = $1 and status = 'held'`, [
      pageId,
    ]);
    const status = page.status === 'final' || page.status === 'recognised' ? 'final' : 'needs-verification';
    await tx.query(
      `update sheets set page_id = $2, form = $3, status = $4, updated_at = now() where sheet_number = $1`,
      [sheetNumber, pageId, page.form, status],
    );
    await audit(tx, actor, 'sheet.scan-chosen', `sheet:${sheetNumber}`, {
      from: sheet.page_id,
      to: pageId,
      reason,
    });
    return { sheetNumber, pageId, previous: sheet.page_id, status };
  });
}
