/**
 * A 1-bit grey PNG decoded here instead of by libvips: a dithered 300-dpi scan is 10 Mpx of bits, and libvips
 * took 35 ms (quiet core) to expand them to the grey page, most of it per-pixel work that here is inflating a
 * megabyte, undoing the row filters on it and writing eight pixels at a time from a table.
 *
 * Where the forms read need half the resolution, the page comes out half size, each pixel the mean of a 2x2
 * block of dots. A dithered page is a halftone, and the bubble reader's samples (every 0.2 mm, 2.4 px at
 * 300 dpi) hit single dots: an empty bubble's fill then scatters up to 0.08 above its level, and on lettered
 * sheets about one answer in fifteen was doubted as a faint mark. The block means are the grey the dots
 * stand for (99.5-100% accepted, as on a blurred page; BENCHMARKS.md), and a quarter of the pixels.
 *
 * Only the plain case is taken: bit depth 1, grey or a palette whose two entries are greys (black and white in
 * either order: what scanners and sharp write for 1 bit), not interlaced, no colour profile and no EXIF
 * orientation. Anything else is left to libvips (null). At full size the page is what libvips makes of the
 * same file: grey 0 and 255, or the palette's grey (the red band of the colours libvips expands a palette to).
 */
import { inflateSync } from 'node:zlib';
import type { GreyImage } from './image.ts';
import { DECODE_LIMITS, PageRejection } from './page-rejection.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Chunks that would make libvips read the pixels otherwise than as plain grey. */
const LEFT_TO_LIBVIPS = new Set(['iCCP', 'eXIf']);

export interface PngChunk {
  type: string;
  /** The chunk's data. */
  data: Uint8Array;
  /** The whole chunk: length, type, data and CRC. */
  whole: Uint8Array;
}

/** A PNG's chunks after its signature, in order, up to the first that runs past the file's end. */
export function* pngChunks(bytes: Uint8Array): Generator<PngChunk> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const end = at + 12 + view.getUint32(at);
    if (end > bytes.length) return;
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    yield { type, data: bytes.subarray(at + 8, end - 4), whole: bytes.subarray(at, end) };
    at = end;
  }
}

/** Eight pixels for each byte of bits, as two 32-bit words in the platform's byte order: `levels` for 0 and 1. */
function expansion([zero, one]: [number, number]): Uint32Array {
  const bytes = new Uint8Array(256 * 8);
  for (let v = 0; v < 256; v++)
    for (let k = 0; k < 8; k++) bytes[v * 8 + k] = (v >> (7 - k)) & 1 ? one : zero;
  return new Uint32Array(bytes.buffer);
}

/** The mean of a 2x2 block holding `ones` dots of `levels[1]` and the rest of `levels[0]`, rounded. */
function blockMean([zero, one]: [number, number], ones: number): number {
  return (zero * (4 - ones) + one * ones + 2) >> 2;
}

/** The last table made, kept: its 65,536 entries took longer to make than a page takes to halve. */
let lastBlockMeans: { levels: [number, number]; table: Uint32Array } | undefined;

/**
 * For a byte of bits from each of two rows, the four means of their 2x2 blocks, as one 32-bit word in the
 * platform's byte order; index `(upper << 8) | lower`.
 */
function blockMeans(levels: [number, number]): Uint32Array {
  const bytes = new Uint8Array(65536 * 4);
  for (let pair = 0; pair < 65536; pair++)
    for (let g = 0; g < 4; g++) {
      const shift = 6 - 2 * g;
      const bits = ((pair >> (8 + shift)) & 3) | (((pair >> shift) & 3) << 2);
      bytes[pair * 4 + g] = blockMean(
        levels,
        (bits & 1) + ((bits >> 1) & 1) + ((bits >> 2) & 1) + ((bits >> 3) & 1),
      );
    }
  return new Uint32Array(bytes.buffer);
}

/**
 * The page, or null when the file is not a plain 1-bit grey PNG. Throws PageRejection when it is, but broken.
 * `half`: the page at half size (width and height rounded up), each pixel its 2x2 block's mean.
 */
export function decodeBitsPng(bytes: Uint8Array, half = false): GreyImage | null {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  // Bit depth 1, grey or palette, deflate, adaptive filters, not interlaced.
  const colourType = bytes[25];
  if (bytes[24] !== 1 || (colourType !== 0 && colourType !== 3)) return null;
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] !== 0) return null;
  let levels: [number, number] | undefined = colourType === 0 ? [0, 255] : undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (const { type, data } of pngChunks(bytes)) {
    if (LEFT_TO_LIBVIPS.has(type)) return null;
    if (type === 'PLTE' && colourType === 3) {
      const [r0, g0, b0, r1, g1, b1] = data;
      if (data.length < 6 || r0 !== g0 || r0 !== b0 || r1 !== g1 || r1 !== b1) return null;
      levels = [r0!, r1!];
    }
    if (type === 'IDAT') idat.push(data);
    if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!ended || idat.length === 0) throw new PageRejection('corrupt-image', 'PNG is truncated: no image end');
  if (!levels) return null;
  if (width * height > DECODE_LIMITS.maxPixels)
    throw new PageRejection('too-many-pixels', `${width}x${height} px exceeds the pixel limit`);
  const stride = Math.ceil(width / 8);
  let raw: Uint8Array;
  try {
    // zlib's checksum rejects damaged data; the limit stops a stream that inflates beyond the rows it declares.
    raw = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), {
      maxOutputLength: (stride + 1) * height,
    });
  } catch (err) {
    throw new PageRejection('corrupt-image', `PNG data: ${(err as Error).message}`);
  }
  if (raw.length !== (stride + 1) * height)
    throw new PageRejection(
      'corrupt-image',
      `PNG data holds ${raw.length} bytes, ${(stride + 1) * height} declared`,
    );
  unfilter(raw, stride, height);
  if (half) return halve(raw, stride, width, height, levels);
  return { data: expand(raw, stride, width, height, expansion(levels)), width, height };
}

/** Undoes the per-row filters in place; a 1-bit row's filter unit is one byte. */
function unfilter(raw: Uint8Array, stride: number, height: number): void {
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    const up = row - stride - 1;
    const filter = raw[row - 1];
    if (filter === 0) continue;
    if (filter === 1) for (let i = 1; i < stride; i++) raw[row + i] = raw[row + i]! + raw[row + i - 1]!;
    else if (filter === 2) {
      if (y > 0) for (let i = 0; i < stride; i++) raw[row + i] = raw[row + i]! + raw[up + i]!;
    } else if (filter === 3)
      for (let i = 0; i < stride; i++) {
        const a = i > 0 ? raw[row + i - 1]! : 0;
        const b = y > 0 ? raw[up + i]! : 0;
        raw[row + i] = raw[row + i]! + ((a + b) >> 1);
      }
    else if (filter === 4)
      for (let i = 0; i < stride; i++) {
        const a = i > 0 ? raw[row + i - 1]! : 0;
        const b = y > 0 ? raw[up + i]! : 0;
        const c = i > 0 && y > 0 ? raw[up + i - 1]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        raw[row + i] = raw[row + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
    else throw new PageRejection('corrupt-image', `PNG row ${y} has filter type ${filter}`);
  }
}

/** Bits to grey bytes, a row at a time through a buffer of whole bytes of bits. */
function expand(
  raw: Uint8Array,
  stride: number,
  width: number,
  height: number,
  table: Uint32Array,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = new Uint8Array(stride * 8);
  const rowWords = new Uint32Array(rowBytes.buffer);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    for (let i = 0; i < stride; i++) {
      const v = raw[row + i]! * 2;
      rowWords[i * 2] = table[v]!;
      rowWords[i * 2 + 1] = table[v + 1]!;
    }
    out.set(stride * 8 === width ? rowBytes : rowBytes.subarray(0, width), y * width);
  }
  return out;
}

/** Bits to the half-size page of 2x2 block means; a last odd row or column counts twice. */
function halve(
  raw: Uint8Array,
  stride: number,
  width: number,
  height: number,
  levels: [number, number],
): GreyImage {
  const w = Math.ceil(width / 2);
  const h = Math.ceil(height / 2);
  if (lastBlockMeans?.levels[0] !== levels[0] || lastBlockMeans.levels[1] !== levels[1])
    lastBlockMeans = { levels, table: blockMeans(levels) };
  const { table } = lastBlockMeans;
  const out = new Uint8Array(w * h);
  const rowBytes = new Uint8Array(stride * 4);
  const rowWords = new Uint32Array(rowBytes.buffer);
  const bit = (row: number, x: number) => (raw[row + (x >> 3)]! >> (7 - (x & 7))) & 1;
  for (let y = 0; y < h; y++) {
    const upper = 2 * y * (stride + 1) + 1;
    const lower = Math.min(2 * y + 1, height - 1) * (stride + 1) + 1;
    for (let i = 0; i < stride; i++) rowWords[i] = table[(raw[upper + i]! << 8) | raw[lower + i]!]!;
    out.set(rowBytes.subarray(0, w), y * w);
    if (width % 2 === 1) {
      // The last block holds one column of the page, not the padding bit beyond it.
      out[y * w + w - 1] = blockMean(levels, 2 * (bit(upper, width - 1) + bit(lower, width - 1)));
    }
  }
  return { data: out, width: w, height: h };
}
