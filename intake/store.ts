/**
 * What the database knows about batches: each batch, its files and pages, its pages by status and its count
 * reconciliation.
 */

import type { BatchReport, BatchRow } from '../contract/intake.ts';
import { type BatchManifest, type KindCounts, noteText, reconcile } from '../domain/batch.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Queryable } from '../platform/db.ts';
import type { BatchSource } from './ingest.ts';

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
  // operator sees which of them stands for the sheet and may choose another (works/store/sheets.ts).
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
  for (const r of rescans) {
    const note = {
      code: 'batch-sheet-rescanned',
      params: { sheet: r.sheetNumber, scans: r.pages.length },
    } as const;
    reconciliation.notes.push(note);
    reconciliation.discrepancies.push(noteText(note));
  }
  const rejected = await db.query<BatchReport['rejected'][number]>(
    `select p.id as "pageId", min(b.source_name) as file, p.page_index + 1 as page, p.reason, p.detail
     from batch_items b join pages p on p.image_sha256 = b.image_sha256
     where b.batch_id = $1 and p.status = 'rejected'
     group by p.id, p.page_index, p.reason, p.detail order by 2, 3 limit 1000`,
    [id],
  );
  return { id, files: files?.n ?? 0, pagesByStatus, reconciliation, rejected, rescans };
}

/** The latest batches, newest first, with how many files each delivered. */
export async function recentBatches(db: Queryable, limit = 500): Promise<BatchRow[]> {
  const rows = await db.query<Omit<BatchRow, 'created_at'> & { created_at: Date }>(
    `select b.id, b.station, b.external_id, b.exam_id, b.source, b.created_at,
       (select count(*)::int from batch_items i where i.batch_id = b.id) as files
     from batches b order by b.created_at desc limit $1`,
    [limit],
  );
  return rows.map((b) => ({ ...b, created_at: new Date(b.created_at).toISOString() }));
}

/** Records a batch once, by its station and name; a delivery again keeps the first record. */
export async function recordBatch(
  db: Queryable,
  batchId: string,
  manifest: BatchManifest,
  source: BatchSource,
): Promise<void> {
  await db.query(
    `insert into batches (id, station, external_id, exam_id, ppe_code, room, source, declared)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (station, external_id) do nothing`,
    [
      batchId,
      manifest.station,
      manifest.batch,
      manifest.exam,
      manifest.ppe ?? null,
      manifest.room ?? null,
      source,
      JSON.stringify(manifest.declared),
    ],
  );
}

export async function imageStored(db: Queryable, sha256: string): Promise<boolean> {
  return (await db.query('select 1 from images where sha256 = $1', [sha256])).length > 0;
}

/** Lists a file already stored as an item of this batch too (under the name it has here). */
export async function recordBatchItem(
  db: Queryable,
  batchId: string,
  sourceName: string,
  sha256: string,
): Promise<void> {
  await db.query(
    `insert into batch_items (batch_id, source_name, image_sha256) values ($1, $2, $3)
     on conflict (batch_id, source_name) do nothing`,
    [batchId, sourceName, sha256],
  );
}

export interface NewFile {
  batchId: string;
  examId: string;
  sourceName: string;
  sha256: string;
  objectKey: string;
  bytes: number;
  mediaType: string;
  pageCount: number;
  rejectedReason: string | null;
  pageIds: string[];
}

/**
 * A stored file's rows in one statement, so one round trip and all or nothing: the image, its object, its
 * pages, the batch item. Another delivery of the same bytes may have got there first: then its rows stand,
 * none are added, and this answers false.
 */
export async function recordNewFile(db: Queryable, f: NewFile): Promise<boolean> {
  const [row] = await db.query<{ created: boolean }>(
    `with image as (
       insert into images (sha256, object_key, bytes, media_type, page_count, rejected_reason)
       values ($1, $2, $3, $4, $5, $6) on conflict (sha256) do nothing returning sha256
     ), object as (
       insert into stored_objects (object_key, material, exam_id, sha256, bytes)
       select $2, 'scan-file', $7, sha256, $3 from image on conflict (object_key) do nothing
     ), page as (
       insert into pages (id, image_sha256, page_index)
       select t.id, image.sha256, t.ord - 1 from image, unnest($8::text[]) with ordinality as t(id, ord)
     ), item as (
       insert into batch_items (batch_id, source_name, image_sha256) values ($9, $10, $1)
       on conflict (batch_id, source_name) do nothing
     )
     select exists (select 1 from image) as created`,
    [
      f.sha256,
      f.objectKey,
      f.bytes,
      f.mediaType,
      f.pageCount,
      f.rejectedReason,
      f.examId,
      f.pageIds,
      f.batchId,
      f.sourceName,
    ],
  );
  return row?.created === true;
}
