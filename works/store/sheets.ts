/**
 * Which scan stands for a sheet. The first page recognised with a sheet number stands for it; a later scan
 * of the same sheet (a rescan, a page fed twice) is kept and reported, its doubts held. An operator may make
 * the rescan the sheet's page: its held doubts open for verification, the other page's unfinished ones are
 * held in turn, and the sheet follows the new page (final at once if that page is). Sheets are entered as
 * their pages are recognised and become final with them.
 */

import type { ScanChoice } from '../../contract/works.ts';
import type { FormDefinition } from '../../forms/schema.ts';
import type { Database, Queryable } from '../../platform/db.ts';
import { ServiceError } from '../../platform/errors.ts';
import { audit } from '../../platform/store/audit.ts';

export class SheetError extends ServiceError<'no-such-sheet' | 'not-this-sheet'> {}

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

/**
 * Whether a sheet is the registration form of a participant who refused processing of personal data (order
 * L21, L561-562, L693): nothing read of its personal fields may then be stored.
 */
export async function refusedRegistration(tx: Queryable, sheetNumber: string): Promise<boolean> {
  const rows = await tx.query(
    'select 1 from personal.participants where registration_sheet = $1 and refused_processing',
    [sheetNumber],
  );
  return rows.length > 0;
}

/**
 * Enters a recognised page's sheet: the page stands for it unless another page already does (a rescan).
 * Final at once when the page was recognised without doubt. Whether this page now stands for the sheet.
 */
export async function enterSheet(
  tx: Queryable,
  sheet: { sheetNumber: string; pageId: string; form: Pick<FormDefinition, 'id' | 'kind'>; final: boolean },
): Promise<boolean> {
  const standing = await tx.query(
    `insert into sheets (sheet_number, page_id, form, kind, status) values ($1, $2, $3, $4, $5)
     on conflict (sheet_number) do nothing returning sheet_number`,
    [
      sheet.sheetNumber,
      sheet.pageId,
      sheet.form.id,
      sheet.form.kind,
      sheet.final ? 'final' : 'needs-verification',
    ],
  );
  return standing.length > 0;
}

/**
 * A page became final: so does its sheet, if the page stands for it (or the sheet is new: its number was
 * entered by a verifier).
 */
export async function sheetBecameFinal(
  tx: Queryable,
  sheet: { sheetNumber: string; pageId: string; form: Pick<FormDefinition, 'id' | 'kind'> },
): Promise<void> {
  await tx.query(
    `insert into sheets (sheet_number, page_id, form, kind, status) values ($1, $2, $3, $4, 'final')
     on conflict (sheet_number) do update set status = 'final', updated_at = now() where sheets.page_id = $2`,
    [sheet.sheetNumber, sheet.pageId, sheet.form.id, sheet.form.kind],
  );
}

/**
 * The final sheet a page stands for, when its becoming final sets something going: a protocol, an
 * additional AS2 (in no kit: it finds its kit through the links) or a sheet some imported kit names (the
 * others are assembled when their kit manifest comes).
 */
export async function sheetToFollow(
  db: Queryable,
  pageId: string,
): Promise<{ sheetNumber: string; kind: string } | null> {
  const [sheet] = await db.query<{ sheetNumber: string; kind: string }>(
    `select s.sheet_number as "sheetNumber", s.kind from sheets s
     where s.page_id = $1 and s.status = 'final'
       and (s.kind in ('additional-answer-sheet-2', 'protocol')
            or exists (select 1 from kits k where k.sheet_number = s.sheet_number))`,
    [pageId],
  );
  return sheet ?? null;
}
