/** Shared by tests. */
import { openSource } from '../pipeline/decode.ts';
import type { GoldenPage } from '../samples/make-corpus.ts';

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
