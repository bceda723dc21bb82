/**
 * Decoding scanner output into greyscale pages. Bad input is a result, never a crash: each page either decodes
 * or carries the reason it was rejected, and one bad page never hides the others.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { GreyImage } from './image.ts';
import { DECODE_LIMITS, PageRejection } from './page-rejection.ts';

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

/** A decoded page: full size unless the reading it is for allowed less. */
export interface DecodedPage extends GreyImage {
  /** Source pixels per decoded pixel, across and down (1 at full size). */
  scale: [number, number];
}

/** What the page will be read for: the least resolution its candidate forms need (`pageNeeds`). */
export interface PageNeeds {
  pxPerMm: number;
  /** The forms' longest page side, mm: the scan's resolution is guessed from it before decoding. */
  longSideMm: number;
}

export interface DecodedSource {
  format: ImageFormat;
  pageCount: number;
  /**
   * Decodes one page (0-based); throws PageRejection for that page alone. Given what the page is read for, a
   * JPEG may come out smaller (`scale`), never below what the needs ask, assuming the page fills the image.
   */
  page(index: number, needs?: PageNeeds): Promise<DecodedPage>;
}

/**
 * Least reduction worth decoding smaller, by the JPEG's colour. Most of a grey JPEG's decoding is Huffman
 * decoding, which libjpeg's DCT scaling does not shorten, and sharp scales in the DCT only from a reduction
 * of 3 (by 2) or 5 (by 4): a grey 300-dpi page decoded at a third took as long as at full size, at a fifth
 * 20-30% less. A colour page is turned to grey after the reduction: half its size already saves a third.
 */
const MIN_REDUCTION = { grey: 5, colour: 2 } as const;

/** How much smaller than scanned a JPEG may be decoded: 1 when full size. */
function reduction(format: ImageFormat, meta: Metadata, needs: PageNeeds | undefined): number {
  if (format !== 'jpeg' || !needs || needs.pxPerMm <= 0 || !meta.width || !meta.height) return 1;
  // A tenth above the need: the guess from the image's size is only as good as the scanner's framing.
  const factor = Math.max(meta.width, meta.height) / needs.longSideMm / (needs.pxPerMm * 1.1);
  return factor >= ((meta.channels ?? 1) >= 3 ? MIN_REDUCTION.colour : MIN_REDUCTION.grey) ? factor : 1;
}

/**
 * Whether a PNG's palette holds greys only (a 1-bit scan's black and white): any one band of it is then the
 * grey page, and the colour conversion that otherwise turns it to grey (half of its decoding time) is skipped.
 */
export function pngPaletteIsGrey(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IDAT' || at + 12 + length > bytes.length) return false;
    if (type === 'PLTE') {
      for (let i = at + 8; i + 2 < at + 8 + length; i += 3) {
        if (bytes[i] !== bytes[i + 1] || bytes[i] !== bytes[i + 2]) return false;
      }
      return true;
    }
    at += 12 + length;
  }
  return false;
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
  if (format === 'pdf') {
    // pdf-lib is loaded by the first PDF only: it is half of what a process or worker thread loads at start.
    const { openPdf } = await import('./pdf.ts');
    const pdf = await openPdf(bytes);
    const full: [number, number] = [1, 1];
    return { format, pageCount: pdf.pageCount, page: async (i) => ({ ...(await pdf.page(i)), scale: full }) };
  }
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
    async page(index, needs) {
      let out: { data: Buffer; info: OutputInfo };
      const oriented = meta.autoOrient ?? { width: meta.width ?? 0, height: meta.height ?? 0 };
      const shrink = reduction(format, meta, needs);
      try {
        let pipeline = sharp(bytes, {
          page: index,
          limitInputPixels: DECODE_LIMITS.maxPixels,
          failOn: 'truncated',
        }).rotate(); // honour EXIF orientation of phone photos
        // sharp asks libjpeg to scale in the DCT ("shrink-on-load"), then reduces the rest with a triangle
        // filter, which keeps the ink of a thin line where the nearest pixel would drop it.
        if (shrink > 1) {
          pipeline = pipeline.resize(
            Math.ceil(oriented.width / shrink),
            Math.ceil(oriented.height / shrink),
            { fit: 'fill', kernel: 'linear' },
          );
        }
        pipeline =
          meta.isPalette && format === 'png' && pngPaletteIsGrey(bytes)
            ? pipeline.extractChannel(0)
            : pipeline.toColourspace('b-w');
        out = await pipeline.raw().toBuffer({ resolveWithObject: true });
      } catch (err) {
        throw rejectionFromSharp(err);
      }
      const { width, height, channels } = out.info;
      if (Math.min(width, height) < DECODE_LIMITS.minSide) {
        throw new PageRejection('too-small', `${width}x${height} px is too small for a form page`);
      }
      const scale: [number, number] =
        shrink > 1 ? [oriented.width / width, oriented.height / height] : [1, 1];
      const data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
      // A grey+alpha page comes back with two channels: keep the grey one.
      if (channels === 1) return { data, width, height, scale };
      const grey = new Uint8Array(width * height);
      for (let i = 0; i < grey.length; i++) grey[i] = data[i * channels]!;
      return { data: grey, width, height, scale };
    },
  };
}
