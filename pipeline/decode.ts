/**
 * Decoding scanner output into greyscale pages. Bad input is a result, never a crash: each page either decodes
 * or carries the reason it was rejected, and one bad page never hides the others.
 */
import { crc32 } from 'node:zlib';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { halveByBlockMeans, isBilevel, isDithered } from './block-means.ts';
import type { GreyImage } from './image.ts';
import { DECODE_LIMITS, PageRejection } from './page-rejection.ts';
import { decodeBitsPng, pngChunks } from './png-bits.ts';

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

/**
 * A page decoded for a reading, full size unless the reading allowed less. The scale is kept beside the image,
 * not on it: every GreyImage has the same three fields, so the hot loops that read them stay monomorphic (a
 * fourth field on the page alone made registration and bubbles a third slower).
 */
export interface ReadablePage {
  image: GreyImage;
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
  /** Decodes one page (0-based) at full size; throws PageRejection for that page alone. */
  page(index: number): Promise<GreyImage>;
  /**
   * The same for a reading with these needs: a JPEG, or a black-and-white or dithered page at half size, may
   * come out smaller (`scale`), never below what the needs ask, assuming the page fills the image.
   */
  pageFor(index: number, needs: PageNeeds): Promise<ReadablePage>;
}

/**
 * Least reduction worth decoding smaller, by the JPEG's colour. Most of a grey JPEG's decoding is Huffman
 * decoding, which libjpeg's DCT scaling does not shorten, and sharp scales in the DCT only from a reduction
 * of 3 (by 2) or 5 (by 4): a grey 300-dpi page decoded at a third took as long as at full size, at a fifth
 * 20-30% less. A colour page is turned to grey after the reduction: half its size already saves a third.
 */
const MIN_REDUCTION = { grey: 5, colour: 2 } as const;

/** How much smaller than scanned the page may be read, by its size and the needs: 1 when no smaller. */
function allowedReduction(meta: Pick<Metadata, 'width' | 'height'>, needs: PageNeeds | undefined): number {
  if (!needs || needs.pxPerMm <= 0 || !meta.width || !meta.height) return 1;
  // A tenth above the need: the guess from the image's size is only as good as the scanner's framing.
  const need = Math.max(meta.width, meta.height) / needs.longSideMm / (needs.pxPerMm * 1.1);
  // Never below the smallest page decoding accepts: a form of large bubbles needs few pixels, but a page that
  // small would be refused as too small, not read.
  return Math.max(1, Math.min(need, Math.min(meta.width, meta.height) / (2 * DECODE_LIMITS.minSide)));
}

/** How much smaller than scanned a JPEG is decoded: 1 when full size. */
function reduction(format: ImageFormat, meta: Metadata, needs: PageNeeds | undefined): number {
  if (format !== 'jpeg') return 1;
  const factor = allowedReduction(meta, needs);
  return factor >= ((meta.channels ?? 1) >= 3 ? MIN_REDUCTION.colour : MIN_REDUCTION.grey) ? factor : 1;
}

/** Chunks of a grey PNG besides its pixels that a palette PNG's may carry over unchanged. */
const GREY_SAFE_CHUNKS = new Set(['IHDR', 'IDAT', 'IEND']);

/**
 * A palette PNG whose palette holds greys only, that `decodeBitsPng` leaves (2-8 bits, or interlaced): libvips
 * would expand it to colour and convert that to grey, half of its decoding time. `asGrey` is the same file as
 * a grey PNG when its palette is the grey ramp of its bit depth (black, white at 1 bit), whose bits libvips
 * expands straight to grey; otherwise one band of the colour it expands to is the page. Null for any other PNG.
 */
export function greyPalettePng(bytes: Uint8Array): { asGrey: Uint8Array | null } | null {
  const depth = bytes[24] ?? 0;
  if (bytes.length < 33 || bytes[25] !== 3) return null;
  const keep: Uint8Array[] = [bytes.subarray(0, 8)];
  let grey = false;
  let ramp = true;
  for (const { type, data, whole } of pngChunks(bytes)) {
    if (type === 'PLTE') {
      const top = 2 ** depth - 1;
      for (let i = 0; i * 3 + 2 < data.length; i++) {
        const [r, g, b] = data.subarray(i * 3, i * 3 + 3);
        if (r !== g || r !== b) return null;
        if (r !== Math.round((i * 255) / top)) ramp = false;
      }
      grey = true;
    } else if (GREY_SAFE_CHUNKS.has(type)) keep.push(whole);
    else if (type === 'tRNS') ramp = false;
  }
  if (!grey) return null;
  if (!ramp) return { asGrey: null };
  const out = concat(keep);
  out[25] = 0; // colour type: grey, same bit depth
  new DataView(out.buffer).setUint32(29, crc32(out.subarray(12, 29)));
  return { asGrey: out };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
    const pageFor = async (i: number, needs: PageNeeds) => descreened(await pdf.page(i), needs);
    return { format, pageCount: pdf.pageCount, page: pdf.page, pageFor };
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
  const decode = async (index: number, needs?: PageNeeds): Promise<ReadablePage> => {
    let out: { data: Buffer; info: OutputInfo };
    const oriented = meta.autoOrient ?? { width: meta.width ?? 0, height: meta.height ?? 0 };
    const shrink = reduction(format, meta, needs);
    const bits = format === 'png' ? decodeBitsPng(bytes, allowedReduction(meta, needs) >= 2) : null;
    if (bits) {
      const { width, height } = oriented;
      const scale: [number, number] =
        bits.width === width ? FULL_SIZE : [width / bits.width, height / bits.height];
      return { image: largeEnough(bits), scale };
    }
    const palette = format === 'png' && meta.isPalette ? greyPalettePng(bytes) : null;
    try {
      let pipeline = sharp(palette?.asGrey ?? bytes, {
        page: index,
        limitInputPixels: DECODE_LIMITS.maxPixels,
        failOn: 'truncated',
      }).rotate(); // honour EXIF orientation of phone photos
      // sharp asks libjpeg to scale in the DCT ("shrink-on-load"), then reduces the rest with a triangle
      // filter, which keeps the ink of a thin line where the nearest pixel would drop it.
      if (shrink > 1) {
        pipeline = pipeline.resize(Math.ceil(oriented.width / shrink), Math.ceil(oriented.height / shrink), {
          fit: 'fill',
          kernel: 'linear',
        });
      }
      pipeline = palette ? pipeline.extractChannel(0) : pipeline.toColourspace('b-w');
      out = await pipeline.raw().toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw rejectionFromSharp(err);
    }
    const { width, height, channels } = out.info;
    const data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
    let image: GreyImage = { data, width, height };
    if (channels !== 1) {
      // A grey+alpha page comes back with two channels: keep the grey one.
      image = { data: new Uint8Array(width * height), width, height };
      for (let i = 0; i < image.data.length; i++) image.data[i] = data[i * channels]!;
    }
    if (shrink === 1) return descreened(image, needs);
    return { image: largeEnough(image), scale: [oriented.width / width, oriented.height / height] };
  };
  return {
    format,
    pageCount,
    page: async (index) => (await decode(index)).image,
    pageFor: decode,
  };
}

const FULL_SIZE: [number, number] = [1, 1];

/** Whether the page was decoded smaller than scanned. */
export const isReduced = (p: ReadablePage) => p.scale[0] !== 1 || p.scale[1] !== 1;

/**
 * A page decoded at full size, as read for `needs`: a black-and-white or dithered page at the half size the
 * forms allow, as `decodeBitsPng` reads a 1-bit PNG (the block means are the grey the dots stand for).
 */
function descreened(image: GreyImage, needs: PageNeeds | undefined): ReadablePage {
  if (allowedReduction(image, needs) >= 2 && (isBilevel(image) || isDithered(image))) {
    const half = halveByBlockMeans(image);
    return { image: largeEnough(half), scale: [image.width / half.width, image.height / half.height] };
  }
  return { image: largeEnough(image), scale: FULL_SIZE };
}

function largeEnough(image: GreyImage): GreyImage {
  if (Math.min(image.width, image.height) < DECODE_LIMITS.minSide)
    throw new PageRejection('too-small', `${image.width}x${image.height} px is too small for a form page`);
  return image;
}
