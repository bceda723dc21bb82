/**
 * ZIP archives streamed as their files are made (a batch or an exam of images is hundreds of megabytes), by
 * fflate. Files are stored, not deflated: JPEG does not compress further.
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';

/** Adds one file; resolves when the reader has room for the next (a slow reader holds the making back). */
export type PutFile = (name: string, bytes: Uint8Array) => Promise<void>;

/** What stands in a ZIP for a page image that cannot be made (the page has no registration). */
export const NO_IMAGE = new TextEncoder().encode('Изображение недоступно: страница не зарегистрирована.\n');

/** The archive `fill` writes, streamed; a failure while filling destroys the stream with its error. */
export function zipStream(fill: (put: PutFile) => Promise<void>): Readable {
  const out = new PassThrough();
  const zip = new Zip((err, chunk, final) => {
    if (err) return void out.destroy(err);
    out.write(chunk);
    if (final) out.end();
  });
  const put: PutFile = async (name, bytes) => {
    const entry = new ZipPassThrough(name);
    zip.add(entry);
    entry.push(bytes, true);
    if (out.writableNeedDrain) await once(out, 'drain');
  };
  fill(put)
    .then(() => zip.end())
    .catch((err: Error) => out.destroy(err));
  return out;
}
