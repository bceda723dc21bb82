/**
 * The ingest stage: a batch's files into object storage and the database, once per SHA-256 of their bytes
 * however often they arrive. A file is stored before its rows are written, so a crash in between leaves an
 * object that the next delivery finds and records, never a row pointing at nothing.
 */

import { type BatchManifest, unprintable } from '../domain/batch.ts';
import { sniffFormat } from '../pipeline/decode.ts';
import { inspectPages, sha256 } from '../pipeline/page-job.ts';
import type { Adapters } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { objectKey } from '../platform/objects.ts';

export interface IncomingFile {
  name: string;
  /** The bytes, or how to read them when the file's turn comes, so a batch is never all in memory at once. */
  bytes: Uint8Array | (() => Promise<Uint8Array>);
}

export type BatchSource = 'hot-folder' | 'upload' | 'ppe-package';

export interface IngestResult {
  batchId: string;
  files: number;
  /** Files seen for the first time. */
  newImages: number;
  /** Files whose bytes were already stored, from this batch or another. */
  duplicates: number;
  /** Pages created by this delivery, waiting for recognition. */
  newPages: string[];
}

const MEDIA_TYPES = {
  tiff: 'image/tiff',
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  pdf: 'application/pdf',
} as const;

export class UnknownExamError extends ServiceError<'unknown-exam'> {
  constructor(message: string) {
    super('unknown-exam', message);
  }
}

/** A batch refused for what it holds, before anything of it is stored. */
export class BatchRefusedError extends ServiceError<'refused-batch'> {
  constructor(message: string) {
    super('refused-batch', message);
  }
}

export function pageId(imageSha256: string, index: number): string {
  return `${imageSha256}#${index + 1}`;
}

/**
 * Stores a batch's new files and records all of them. `queue` is given each new file's pages as soon as
 * they are committed, so a delivery that fails part-way (the store going away) leaves no stored page
 * waiting for a requeue pass; a delivery again records the rest.
 */
export async function ingestBatch(
  deps: Adapters,
  manifest: BatchManifest,
  source: BatchSource,
  files: IncomingFile[],
  queue?: (pageIds: string[]) => Promise<void>,
): Promise<IngestResult> {
  const { db, objects } = deps;
  for (const file of files) {
    const why = unprintable(file.name);
    if (why) throw new BatchRefusedError(`file ${JSON.stringify(file.name)}: ${why}`);
  }
  const [exam] = await db.query<{ year: number; date: string }>(
    `select year, to_char(exam_date, 'YYYY-MM-DD') as date from exams where id = $1`,
    [manifest.exam],
  );
  if (!exam) throw new UnknownExamError(`batch ${manifest.batch}: unknown exam ${manifest.exam}`);
  const batchId = `${manifest.station}:${manifest.batch}`;
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
  const result: IngestResult = { batchId, files: files.length, newImages: 0, duplicates: 0, newPages: [] };
  for (const file of files) {
    const bytes = typeof file.bytes === 'function' ? await file.bytes() : file.bytes;
    const hash = sha256(bytes);
    const [known] = await db.query('select 1 from images where sha256 = $1', [hash]);
    if (known) {
      result.duplicates++;
      await db.query(
        `insert into batch_items (batch_id, source_name, image_sha256) values ($1, $2, $3)
         on conflict (batch_id, source_name) do nothing`,
        [batchId, file.name, hash],
      );
      continue;
    }
    const format = sniffFormat(bytes);
    const contentType = format ? MEDIA_TYPES[format] : 'application/octet-stream';
    const key = objectKey(exam.year, 'scan-file', hash);
    await objects.put(key, bytes, {
      material: 'scan-file',
      examDate: exam.date,
      sha256: hash,
      contentType,
    });
    const pages = await inspectPages(bytes);
    const ids = Array.from({ length: pages.count }, (_, i) => pageId(hash, i));
    // One statement, so one round trip and all or nothing: the image, its object, its pages, the item.
    // Another delivery of the same bytes may have got there first: then its rows stand and none are added.
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
        hash,
        key,
        bytes.length,
        contentType,
        pages.count,
        pages.rejected ?? null,
        manifest.exam,
        ids,
        batchId,
        file.name,
      ],
    );
    if (row?.created) {
      result.newImages++;
      result.newPages.push(...ids);
      await queue?.(ids);
    } else result.duplicates++;
  }
  return result;
}
