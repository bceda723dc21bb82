/** Intake for operators: batches, their upload and reconciliation, and a page's preview. */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';
import { Message } from './messages.ts';

export const BatchRow = z.object({
  id: z.string(),
  station: z.string(),
  external_id: z.string(),
  exam_id: z.string().nullable(),
  source: z.string(),
  created_at: z.iso.datetime(),
  files: z.number(),
});
export type BatchRow = z.infer<typeof BatchRow>;

export const listBatches = endpoint({ method: 'GET', url: '/api/batches', answer: z.array(BatchRow) });

/**
 * A batch upload: multipart/form-data with a `manifest` field (the batch.json) and the page files, read by
 * the route as it streams (no body schema). 201.
 */
export const uploadBatch = endpoint({
  method: 'POST',
  url: '/api/batches',
  answer: z.object({
    batchId: z.string(),
    files: z.number(),
    newImages: z.number(),
    duplicates: z.number(),
    /** How many pages this delivery created. */
    newPages: z.number(),
  }),
});
export type UploadAnswer = z.infer<typeof uploadBatch.answer>;

export const BatchReport = z.object({
  id: z.string(),
  files: z.number(),
  pagesByStatus: z.record(z.string(), z.number()),
  reconciliation: z.object({
    declaredPages: z.number(),
    receivedPages: z.number(),
    pendingPages: z.number(),
    byKind: z.array(z.object({ kind: z.string(), declared: z.number(), recognised: z.number() })),
    /** Discrepancies in English (for logs and API callers); empty when the batch adds up. */
    discrepancies: z.array(z.string()),
    /** The same discrepancies as codes with parameters: the stations show them in Russian. */
    notes: z.array(Message),
  }),
  /** Pages that could not be taken, with why: for the operator to rescan or set aside. */
  rejected: z.array(
    z.object({
      pageId: z.string(),
      file: z.string(),
      page: z.number(),
      reason: z.string().nullable(),
      detail: z.string().nullable(),
    }),
  ),
  /** Sheets scanned more than once: every page, and which one stands for the sheet. */
  rescans: z.array(
    z.object({
      sheetNumber: z.string(),
      pages: z.array(z.object({ pageId: z.string(), status: z.string(), standing: z.boolean() })),
    }),
  ),
});
export type BatchReport = z.infer<typeof BatchReport>;

export const getBatch = endpoint({
  method: 'GET',
  url: '/api/batches/:id',
  params: z.object({ id: z.string() }),
  answer: BatchReport,
});

/** The page as scanned, JPEG: for an operator looking at why it was rejected. */
export const previewPage = endpoint({
  method: 'GET',
  url: '/api/pages/:id/preview',
  params: z.object({ id: z.string() }),
});
