/**
 * Decoding scanner output into greyscale pages. Bad input is a result, never a crash: each page either decodes
 * or carries the reason it was rejected, and one bad page never hides the others.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { GreyImage } from './image.ts';
import { DECODE_LIMITS, PageRejection } from './page-rejection.ts';
import { openPdf } from './pdf.ts';

export { DECODE_LIMITS, PageRejection };

export type ImageFormat = 'tiff' | 'png' | 'jpeg' | 'webp' | 'pdf';

export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const b = (i: number) => bytes[i] ?? -1;
  if (b(0) === 0x49 && b(1) === 0x49 && b(2) === 0x2a && b(3) === 0) return 'tiff';
  if (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && b(3) === 0x2a) return 'tiff';
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45)
    return 'webp';
  if (b(0) === 0x25 && b(1) === 0x50 && b(2) === 0x44 && b(3) === 0x46) return 'pdf';
  return null;
}

export interface DecodedSource {
  format: ImageFormat;
  pageCount: number;
  /** Decodes one page (0-based); throws PageRejection for that page alone. */
  page(index: number): Promise<GreyImage>;
}

function rejectionFromSharp(err: unknown): PageRejection {
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) return new PageRejection('too-many-pixels', msg);
  return new PageRejection('corrupt-image', msg.split('\n')[0] ?? msg);
}

/** Opens a file's bytes: checks the type and the page count without decoding any page yet. */
export async function openSource(bytes: Uint8Array): Promise<DecodedSource> {
  if (bytes.length === 0) throw new PageRejection('empty-file', 'the file is empty');
  const format = sniffFormat(bytes);
  if (!format) throw new PageRejection('unsupported-format', 'not a TIFF, PNG, JPEG, WebP or PDF file');
  if (format === 'pdf') return { format, ...(await openPdf(bytes)) };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: DECODE_LIMITS.maxPixels }).metadata();
  } catch (err) {
    throw rejectionFromSharp(err);
  }
  const pageCount = meta.pages ?? 1;
  if (pageCount > DECODE_LIMITS.maxPages) {
    throw new PageRejection('too-many-pages', `${pageCount} pages; at most ${DECODE_LIMITS.maxPages}`);
  }
  return {
    format,
    pageCount,
    async page(index) {
      let out: { data: Buffer; info: OutputInfo };
      try {
        out = await sharp(bytes, {
          page: index,
          limitInputPixels: DECODE_LIMITS.maxPixels,
          failOn: 'truncated',
        })
          .rotate() // honour EXIF orientation of phone photos
          .toColourspace('b-w')
          .raw()
          .toBuffer({ resolveWithObject: true });
      } catch (err) {
        throw rejectionFromSharp(err);
      }
      const { width, height, channels } = out.info;
      if (Math.min(width, height) < DECODE_LIMITS.minSide) {
        throw new PageRejection('too-small', `${width}x${height} px is too small for a form page`);
      }
      const data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
      // A grey+alpha page comes back with two channels: keep the grey one.
      if (channels === 1) return { data, width, height };
      const grey = new Uint8Array(width * height);
      for (let i = 0; i < grey.length; i++) grey[i] = data[i * channels]!;
      return { data: grey, width, height };
    },
  };
}
