/**
 * One page of one file, from bytes to a result line: the unit of work of the CLI's thread pool (and of the
 * service's recognise stage). Never throws for bad input: a bad page is a rejected result.
 */
import { createHash } from 'node:crypto';
import type { SubjectAnswers } from '../forms/answer-types.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { openSource, PageRejection } from './decode.ts';
import { recognisePage } from './recognise.ts';
import type { RecognisedSheet } from './result.ts';

/** A results.jsonl line. */
export interface PageResult extends RecognisedSheet {
  source: string;
  /** 0-based page index within the source file. */
  page: number;
  /** SHA-256 of the source file's bytes; with `page` it names the page. */
  sha256: string;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function rejectedPage(source: string, page: number, hash: string, err: unknown, total: number): PageResult {
  const known = err instanceof PageRejection;
  return {
    source,
    page,
    sha256: hash,
    form: null,
    status: 'rejected',
    reason: known ? err.reason : 'internal-error',
    detail: err instanceof Error ? err.message : String(err),
    barcodes: [],
    doubt: [],
    fields: {},
    ms: { total },
  };
}

/**
 * How many pages a file holds, and why it cannot be opened when it cannot: such a file counts as one
 * (rejected) page.
 */
export async function inspectPages(bytes: Uint8Array): Promise<{ count: number; rejected?: string }> {
  try {
    return { count: (await openSource(bytes)).pageCount };
  } catch (err) {
    const why = err instanceof PageRejection ? `${err.reason}: ${err.message}` : String(err);
    return { count: 1, rejected: why };
  }
}

export async function countPages(bytes: Uint8Array): Promise<number> {
  return (await inspectPages(bytes)).count;
}

export async function recogniseFilePage(
  source: string,
  load: () => Promise<Uint8Array>,
  page: number,
  forms: FormDefinition[],
  /** The season's answer types (recognisePage's `answers`); default: the newest year shipped. */
  answers?: readonly SubjectAnswers[],
): Promise<PageResult> {
  const started = performance.now();
  let bytes: Uint8Array;
  try {
    bytes = await load();
  } catch (err) {
    const why = new PageRejection('unreadable-file', err instanceof Error ? err.message : String(err));
    return rejectedPage(source, page, '', why, Math.round(performance.now() - started));
  }
  const hash = sha256(bytes);
  try {
    const src = await openSource(bytes);
    const img = await src.page(page);
    const decodeMs = Math.round((performance.now() - started) * 10) / 10;
    const sheet = await recognisePage(img, answers ? { forms, answers } : { forms });
    sheet.ms = { ...sheet.ms, decode: decodeMs, total: Math.round((performance.now() - started) * 10) / 10 };
    return { source, page, sha256: hash, ...sheet };
  } catch (err) {
    return rejectedPage(source, page, hash, err, Math.round(performance.now() - started));
  }
}
