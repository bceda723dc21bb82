/**
 * One page of one file, from bytes to a result line: the unit of work of the CLI's thread pool (and of the
 * service's recognise stage). Never throws for bad input: a bad page is a rejected result.
 */
import { createHash } from 'node:crypto';
import { type SubjectAnswers, shippedAnswers } from '../forms/answer-types.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { isReduced, openSource, PageRejection } from './decode.ts';
import type { Matrix3 } from './geometry.ts';
import { recognisePage } from './recognise.ts';
import { formPxPerMm, pageNeeds } from './resolution.ts';
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
    // Decoding, as always counted: from the file's bytes to the page's pixels.
    let decodeMs = 0;
    const read = async (needs: ReturnType<typeof pageNeeds>, from = performance.now()) => {
      const decoded = await src.pageFor(page, needs);
      decodeMs += performance.now() - from;
      return { decoded, sheet: await recognisePage(decoded.image, answers ? { forms, answers } : { forms }) };
    };
    let { decoded, sheet } = await read(pageNeeds(forms), started);
    // The resolution was guessed from the image's size as if the page filled it; a photo's page may not,
    // and a page that does not register may be one the smaller copy lost. Either is read again at full size.
    const chosen = forms.find((f) => f.id === sheet.form);
    const short = chosen && sheet.registration && sheet.registration.dpi / 25.4 < formPxPerMm(chosen);
    const lost = sheet.status === 'rejected' && sheet.reason !== 'wrong-form';
    if (isReduced(decoded) && (short || lost)) ({ decoded, sheet } = await read(FULL_SIZE));
    sheet.ms = {
      ...sheet.ms,
      decode: Math.round(decodeMs * 10) / 10,
      total: Math.round((performance.now() - started) * 10) / 10,
    };
    return { source, page, sha256: hash, ...inSourcePixels(sheet, decoded.scale) };
  } catch (err) {
    return rejectedPage(source, page, hash, err, Math.round(performance.now() - started));
  }
}

/** A page whose file's bytes are in hand: a stored scan (`source` its object key) of an exam held in `examYear`. */
export interface PageBytes {
  source: string;
  bytes: Uint8Array;
  page: number;
  examYear: number | null;
}

/** `recogniseFilePage` on bytes in hand, with the answer types of the exam's year (unknown: the newest). */
export function recognisePageBytes(p: PageBytes, forms: FormDefinition[]): Promise<PageResult> {
  const answers = p.examYear === null ? undefined : shippedAnswers(p.examYear);
  return recogniseFilePage(p.source, async () => p.bytes, p.page, forms, answers);
}

/** No reduction asked: a page read again at the size it was scanned. */
const FULL_SIZE = { pxPerMm: 0, longSideMm: 0 };

/** A result on a page decoded smaller, told in the source image's pixels, as results always are. */
function inSourcePixels(sheet: RecognisedSheet, [sx, sy]: [number, number]): RecognisedSheet {
  const r = sheet.registration;
  if (!r || (sx === 1 && sy === 1)) return sheet;
  const t = r.transform;
  const transform = [sx * t[0], sx * t[1], sx * t[2], sy * t[3], sy * t[4], sy * t[5], t[6], t[7], t[8]];
  return {
    ...sheet,
    registration: {
      ...r,
      dpi: Math.round((r.dpi * (sx + sy)) / 2),
      transform: transform.map((v) => Number(v.toPrecision(9))) as Matrix3,
    },
  };
}
