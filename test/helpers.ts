/** Shared by tests. */

import { join } from 'node:path';
import { truthFor } from '../cli/demo.ts';
import { openSource } from '../pipeline/decode.ts';
import { sha256 } from '../pipeline/page-job.ts';
import { CORPUS_DIR, type GoldenPage } from '../samples/make-corpus.ts';
import { SHEET_NUMBER_TASK } from '../storage/verification.ts';

export { compare, registrationErrorMm } from '../samples/truth.ts';

export async function decodeFirstPage(bytes: Uint8Array) {
  return (await openSource(bytes)).page(0);
}

/**
 * Verification tasks the service opens for a golden page: one per doubtful field, except a result that
 * only copies its doubtful answer (they share the answer's task), plus one for a doubtful sheet number.
 */
export function expectedTasks(page: GoldenPage): number {
  const copies = page.doubted.filter((n) => {
    const answer = n.replace(/^result\./, 'answer.');
    return answer !== n && page.doubted.includes(answer) && page.fields[n] === page.fields[answer];
  });
  return page.doubted.length - copies.length + (page.doubt.length > 0 ? 1 : 0);
}

/** The truth for a verification task on a corpus page: the generator's value for the field, or the sheet number. */
export function corpusTruth(
  files: { name: string; bytes: Uint8Array }[],
  pageId: string,
  field: string,
): string | undefined {
  const [hash, n] = pageId.split('#');
  const file = files.find((f) => sha256(f.bytes) === hash)!;
  const truth = truthFor(join(CORPUS_DIR, file.name), Number(n) - 1);
  if (field === SHEET_NUMBER_TASK) return truth?.sheetNumber ?? undefined;
  return truth?.fields[field]?.value;
}

/** The exam most tests process: EGE subject 02 on 1 June 2026, in Moscow. */
export const MOSCOW_EGE_02 = {
  id: '2026-ege-02',
  kind: 'EGE',
  subjectCode: '02',
  date: '2026-06-01',
  region: '77',
  timeZone: 'Europe/Moscow',
} as const;
