import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import sharp, { type OutputInfo } from 'sharp';
import {
  prepareZXingModule,
  type ReadInputBarcodeFormat,
  readBarcodes as zxingReadBarcodes,
} from 'zxing-wasm/reader';
import type { GreyImage } from './image.ts';

export type BarcodeFormat = 'ean13' | 'qr';

type Point = { x: number; y: number };

export interface BarcodeRead {
  format: BarcodeFormat;
  text: string;
  /**
   * Corners in the input image's pixel coordinates, in the symbol's own reading orientation: top-left, top-right,
   * bottom-right, bottom-left (for a linear code, top-left is the start of the scan line that decoded).
   */
  position: { x: number; y: number }[];
  /** Present only for a QR symbol that is one part of a structured-append sequence: `text` is then a fragment. */
  sequence?: { index: number; size: number; id: string };
}

export type { GreyImage };

export interface ReadBarcodesOptions {
  formats: BarcodeFormat[];
  /**
   * zxing's thorough search. Default false, zxing's fast mode, which looks for linear codes only on about 15 scan
   * lines around the image's middle (measured: an EAN-13 in the bottom quarter of a crop is missed), so crop
   * around the symbol or set this.
   */
  tryHarder?: boolean;
  /** Stop after this many symbols, 1..255. Default 255. */
  maxSymbols?: number;
}

/** 'QRCodeModel2' rather than 'QRCode': the latter also searches Micro QR and rMQR, which no sheet carries. */
const ZXING_INPUT_FORMAT = { ean13: 'EAN13', qr: 'QRCodeModel2' } as const satisfies Record<
  BarcodeFormat,
  ReadInputBarcodeFormat
>;
/** How zxing names each format in its results. */
const FROM_ZXING_FORMAT: Record<string, BarcodeFormat> = { EAN13: 'ean13', QRCode: 'qr' };

let readerReady: Promise<unknown> | undefined;

/**
 * zxing-wasm fetches its wasm from a CDN by default, which fails offline: hand it the packaged bytes instead.
 * Called ahead of the first read by a job about to read pages: V8 compiles the wasm on its own threads, so
 * the compilation overlaps decoding the first page instead of following it.
 */
export function prepareReader(): Promise<unknown> {
  if (!readerReady) {
    const wasm = readFileSync(createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm'));
    const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer;
    readerReady = prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true });
  }
  return readerReady;
}

/** Appends the EAN-13 check digit to 12 digits. */
export function ean13WithCheckDigit(first12: string): string {
  if (!/^\d{12}$/.test(first12))
    throw new RangeError(`ean13WithCheckDigit: expected 12 digits, got '${first12}'`);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return first12 + String((10 - (sum % 10)) % 10);
}

/**
 * EAN-13 check digit: weights 1,3,1,3,... over the first 12 digits; the 13th makes the sum a multiple of 10.
 * False for anything that is not exactly 13 ASCII digits.
 */
export function ean13CheckDigitValid(text: string): boolean {
  if (!/^\d{13}$/.test(text)) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(text[i]) * (i % 2 === 0 ? 1 : 3);
  return sum % 10 === 0;
}

/**
 * A binary PGM (P5) header in front of the pixels: zxing's built-in image loader takes that with a plain copy.
 * Measured on 300-dpi barcode crops: 0.2-1 ms a read, against about 2x for RGBA ImageData (which zxing-wasm
 * converts back to grey in JS) and 5-13x for PNG-encoding with sharp.
 */
function toPgm(image: GreyImage): Uint8Array {
  const header = Buffer.from(`P5\n${image.width} ${image.height}\n255\n`, 'ascii');
  const out = new Uint8Array(header.length + image.data.length);
  out.set(header, 0);
  out.set(image.data, header.length);
  return out;
}

/** Encoded bytes to grey pixels with sharp, which (unlike zxing's loader) also reads WebP and TIFF. */
async function decodeToGrey(bytes: Uint8Array): Promise<GreyImage | undefined> {
  let decoded: { data: Uint8Array; info: OutputInfo };
  try {
    // No EXIF auto-orientation, so positions stay in the stored pixel grid; transparency counts as paper.
    decoded = await sharp(bytes).flatten({ background: '#ffffff' }).greyscale().raw().toUint8Array();
  } catch {
    return undefined;
  }
  const { data, info } = decoded;
  if (info.channels !== 1) throw new Error(`sharp returned ${info.channels} channels for a greyscale image`);
  return { data, width: info.width, height: info.height };
}

/**
 * Reads EAN-13 and QR symbols from raw greyscale pixels or encoded image bytes (PNG, JPEG, WebP, ...).
 * Returns [] for an image that holds no readable symbol or cannot be decoded at all; throws only on invalid
 * arguments. Linear codes are also searched at 90 degrees (the sheet's vertical EAN-13); inverted (light on dark)
 * symbols are not searched for, since the sheets are printed black on white. EAN-13 reads must carry a valid
 * check digit, and two different EAN-13 texts read from one symbol are both dropped. A checksum-valid misread
 * can still come back alone: cross-check the sheet's codes against each other.
 */
export async function readBarcodes(
  image: GreyImage | Uint8Array,
  opts: ReadBarcodesOptions,
): Promise<BarcodeRead[]> {
  const { formats, tryHarder = false, maxSymbols = 255 } = opts;
  if (formats.length === 0) throw new RangeError('readBarcodes: formats must not be empty');
  for (const f of formats) {
    if (!Object.hasOwn(ZXING_INPUT_FORMAT, f)) {
      throw new RangeError(`readBarcodes: unknown format ${String(f)}`);
    }
  }
  if (!Number.isInteger(maxSymbols) || maxSymbols < 1 || maxSymbols > 255) {
    throw new RangeError(`readBarcodes: maxSymbols must be an integer in 1..255, got ${maxSymbols}`);
  }
  let grey: GreyImage | undefined;
  if (image instanceof Uint8Array) {
    grey = await decodeToGrey(image);
    if (!grey) return [];
  } else {
    const { width, height, data } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`readBarcodes: bad image size ${width}x${height}`);
    }
    if (data.length !== width * height) {
      throw new RangeError(`readBarcodes: ${data.length} bytes for a ${width}x${height} greyscale image`);
    }
    grey = image;
  }

  await prepareReader();
  const results = await zxingReadBarcodes(toPgm(grey), {
    formats: formats.map((f) => ZXING_INPUT_FORMAT[f]),
    tryHarder,
    tryRotate: true,
    tryInvert: false,
    maxNumberOfSymbols: maxSymbols,
    // The symbol's own characters: no GS1 or other human-readable reformatting.
    textMode: 'Plain',
  });

  const reads: BarcodeRead[] = [];
  for (const r of results) {
    // A load failure comes back as an invalid result with an empty format, not as an exception.
    if (!r.isValid || r.error !== '') continue;
    const format = FROM_ZXING_FORMAT[r.format];
    if (!format || !formats.includes(format)) continue;
    if (format === 'ean13' && !ean13CheckDigitValid(r.text)) continue;
    const { topLeft, topRight, bottomRight, bottomLeft } = r.position;
    const read: BarcodeRead = {
      format,
      text: r.text,
      position: [topLeft, topRight, bottomRight, bottomLeft].map(({ x, y }) => ({ x, y })),
    };
    if (r.sequenceSize >= 0) {
      read.sequence = { index: r.sequenceIndex, size: r.sequenceSize, id: r.sequenceId };
    }
    reads.push(read);
  }
  // Different texts from one symbol mean a misread among them, and nothing tells which: report none of them.
  // (Seen on zxing-cpp's ean13-1/35 sample with try-harder and several symbols allowed: a checksum-valid
  // 7034759003930 beside the true 5030159003930, from scan lines near the ends of the bars.)
  const conflicting = new Set<BarcodeRead>();
  for (const [i, a] of reads.entries()) {
    for (const b of reads.slice(i + 1)) {
      if (a.format === 'ean13' && b.format === 'ean13' && a.text !== b.text && sameLinearSymbol(a, b)) {
        conflicting.add(a);
        conflicting.add(b);
      }
    }
  }
  return reads.filter((r) => !conflicting.has(r));
}

/**
 * Whether two linear reads come from one symbol: scan lines parallel (within 18 degrees), covering more than half
 * of the same stretch, and less than half the symbol's length apart across it. zxing drops a duplicate only when
 * the boxes intersect, which the thin boxes of scan lines from different rows of one symbol need not do. Two
 * different parallel EAN-13s stacked that closely would also count as one; the sheets have none.
 */
function sameLinearSymbol(a: BarcodeRead, b: BarcodeRead): boolean {
  const [a0, a1] = a.position as [Point, Point];
  const [b0, b1] = b.position as [Point, Point];
  const length = Math.hypot(a1.x - a0.x, a1.y - a0.y);
  const ux = (a1.x - a0.x) / length;
  const uy = (a1.y - a0.y) / length;
  const along = (p: Point) => (p.x - a0.x) * ux + (p.y - a0.y) * uy;
  const across = (p: Point) => (p.y - a0.y) * ux - (p.x - a0.x) * uy;
  const bLength = Math.hypot(b1.x - b0.x, b1.y - b0.y);
  if (Math.abs(along(b1) - along(b0)) < 0.95 * bLength) return false;
  const overlap =
    Math.min(length, Math.max(along(b0), along(b1))) - Math.max(0, Math.min(along(b0), along(b1)));
  const aAcross = a.position.map(across);
  const bAcross = b.position.map(across);
  const gap =
    Math.max(Math.min(...aAcross), Math.min(...bAcross)) -
    Math.min(Math.max(...aAcross), Math.max(...bAcross));
  return overlap > 0.5 * Math.min(length, bLength) && gap < 0.5 * length;
}
