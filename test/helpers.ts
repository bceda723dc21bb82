/** Shared by tests. */
import { openSource } from '../pipeline/decode.ts';

export { compare, registrationErrorMm } from '../samples/truth.ts';

export async function decodeFirstPage(bytes: Uint8Array) {
  return (await openSource(bytes)).page(0);
}
