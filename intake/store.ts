/** What the database knows about a batch: its pages by status and its count reconciliation. */

import { type KindCounts, type Reconciliation, reconcile } from '../domain/batch.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Queryable } from '../platform/db.ts';

export interface BatchReport {
  id: string;
  files: number;
  pagesByStatus: Record<string, number>;
  reconciliation: Reconciliation;
  /** Pages that could not be taken, with why: for the operator to rescan or set aside. */
  rejected: { pageId: string; file: string; page: number; reason: string | null; detail: string | null }[];
  /** Sheets scanned more than once: every page, and which one stands for the sheet. */
  rescans: { sheetNumber: string; pages: { pageId: string; status: string; standing: boolean }[] }[];
}

export async function batchReport(
  db: Queryable,
  forms: FormDefinition[],
  id: string,
): Promise<BatchReport | null> {
  const [batch] = await db.query<{ declared: KindCounts }>('select declared from batches where id = $1', [
    id,
  ]);
  if (!batch) return null;
  // Every page of every file the batch delivered, whichever delivery first stored it.
  const rows = await db.query<{ status: string; form: string | null; n: number }>(
    `select p.status, p.form, count(*)::int as n
     from (select distinct image_sha256 from batch_items where batch_id = $1) b
     join pages p on p.image_sha256 = b.image_sha256
     group by p.status, p.form`,
    [id],
  );
  const [files] = await db.query<{ n: number }>(
    'select count(*)::int as n from batch_items where batch_id = $1',
    [id],
  );
  // A sheet scanned twice (a rescan, a page fed again) shows as one sheet number on several pages; the
  // operator sees which of them stands for the sheet and may choose another (works/sheets.ts).
  const scans = await db.query<{ sheet_number: string; page_id: string; status: string; standing: boolean }>(
    `select p.sheet_number, p.id as page_id, p.status, s.page_id = p.id as standing
     from pages p left join sheets s on s.sheet_number = p.sheet_number
     where p.sheet_number in (
       select q.sheet_number from batch_items b join pages q on q.image_sha256 = b.image_sha256
       where b.batch_id = $1 and q.sheet_number is not null)
       and (select count(*) from pages x where x.sheet_number = p.sheet_number) > 1
     order by p.sheet_number, p.recognised_at, p.id`,
    [id],
  );
  const rescans: BatchReport['rescans'] = [];
  for (const r of scans) {
    let sheet = rescans.at(-1);
    if (sheet?.sheetNumber !== r.sheet_number) {
      sheet = { sheetNumber: r.sheet_number, pages: [] };
      rescans.push(sheet);
    }
    sheet.pages.push({ pageId: r.page_id, status: r.status, standing: r.standing === true });
  }
  const kindOf = new Map(forms.map((f) => [f.id, f.kind]));
  const pagesByStatus: Record<string, number> = {};
  const recognised: KindCounts = {};
  let received = 0;
  let pending = 0;
  for (const r of rows) {
    received += r.n;
    pagesByStatus[r.status] = (pagesByStatus[r.status] ?? 0) + r.n;
    if (r.status === 'pending') pending += r.n;
    else {
      const kind = (r.status !== 'rejected' && r.form && kindOf.get(r.form)) || 'unidentified';
      recognised[kind] = (recognised[kind] ?? 0) + r.n;
    }
  }
  const reconciliation = reconcile({
    declared: batch.declared,
    receivedPages: received,
    pendingPages: pending,
    recognised,
  });
  for (const r of rescans)
    reconciliation.discrepancies.push(`sheet ${r.sheetNumber} scanned ${r.pages.length} times`);
  const rejected = await db.query<BatchReport['rejected'][number]>(
    `select p.id as "pageId", min(b.source_name) as file, p.page_index + 1 as page, p.reason, p.detail
     from batch_items b join pages p on p.image_sha256 = b.image_sha256
     where b.batch_id = $1 and p.status = 'rejected'
     group by p.id, p.page_index, p.reason, p.detail order by 2, 3 limit 1000`,
    [id],
  );
  return { id, files: files?.n ?? 0, pagesByStatus, reconciliation, rejected, rescans };
}
