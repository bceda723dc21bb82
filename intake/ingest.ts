/**
 * Ingest: a batch's files into object storage and the database, once per SHA-256 of their bytes
 * however often they arrive. A file is stored before its rows are written, so a crash in between leaves an
 * object that the next delivery finds and records, never a row pointing at nothing.
 */

import { type BatchManifest, unprintable } from '../domain/batch.ts';
import { sniffFormat } from '../pipeline/decode.ts';
import { inspectPages, sha256 } from '../pipeline/page-job.ts';
import type { Adapters } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { objectKey } from '../platform/objects.ts';
import { examDay } from '../platform/store/exams.ts';
import { imageStored, recordBatch, recordBatchItem, recordNewFile } from './store.ts';

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
  constructor(message: string, exam: string) {
    super('unknown-exam', message, { exam });
  }
}

/** A batch refused for what it holds, before anything of it is stored. */
export class BatchRefusedError extends ServiceError<'refused-batch'> {
  constructor(message: string, file: string) {
    super('refused-batch', message, { file });
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
  /** A stopping service's: no further file is taken (what is stored stays; the batch is taken again). */
  signal?: AbortSignal,
): Promise<IngestResult> {
  const { db, objects } = deps;
  for (const file of files) {
    const why = unprintable(file.name);
    if (why) throw new BatchRefusedError(`file ${JSON.stringify(file.name)}: ${why}`, file.name);
  }
  const exam = await examDay(db, manifest.exam);
  if (!exam)
    throw new UnknownExamError(`batch ${manifest.batch}: unknown exam ${manifest.exam}`, manifest.exam);
  const batchId = `${manifest.station}:${manifest.batch}`;
  await recordBatch(db, batchId, manifest, source);
  const result: IngestResult = { batchId, files: files.length, newImages: 0, duplicates: 0, newPages: [] };
  for (const file of files) {
    signal?.throwIfAborted();
    const bytes = typeof file.bytes === 'function' ? await file.bytes() : file.bytes;
    const hash = sha256(bytes);
    if (await imageStored(db, hash)) {
      result.duplicates++;
      await recordBatchItem(db, batchId, file.name, hash);
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
    const created = await recordNewFile(db, {
      batchId,
      examId: manifest.exam,
      sourceName: file.name,
      sha256: hash,
      objectKey: key,
      bytes: bytes.length,
      mediaType: contentType,
      pageCount: pages.count,
      rejectedReason: pages.rejected ?? null,
      pageIds: ids,
    });
    if (created) {
      result.newImages++;
      result.newPages.push(...ids);
      await queue?.(ids);
    } else result.duplicates++;
  }
  return result;
}
