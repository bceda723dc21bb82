/**
 * Scanned PDF batches: every page is one raster image, so we pull that image out of the page and decode it
 * ourselves (sharp's libvips here has no PDF loader). Vector-only pages are refused, not rendered.
 */
import { promisify } from 'node:util';
import { inflate, constants as zlibConstants } from 'node:zlib';
import {
  PDFArray,
  PDFBool,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFNumber,
  type PDFObject,
  PDFRawStream,
} from 'pdf-lib';
import sharp, { type OutputInfo } from 'sharp';
import type { GreyImage } from './image.ts';
import { DECODE_LIMITS, PageRejection } from './page-rejection.ts';

export interface PdfSource {
  pageCount: number;
  /** Decodes one page (0-based); throws PageRejection for that page alone. */
  page(index: number): Promise<GreyImage>;
}

const inflateAsync = promisify(inflate);

/** A page's content stream only names what it draws; past this size it is not a scanned page's. */
const MAX_CONTENT_BYTES = 16 << 20;
/** Some writers leave a few bytes after the image data; more than this is not an image's stream. */
const INFLATE_SLACK = 4096;

const name = (s: string) => PDFName.of(s);
const N = {
  Pages: name('Pages'),
  Kids: name('Kids'),
  Parent: name('Parent'),
  Resources: name('Resources'),
  Rotate: name('Rotate'),
  Contents: name('Contents'),
  XObject: name('XObject'),
  Subtype: name('Subtype'),
  Image: name('Image'),
  Form: name('Form'),
  Width: name('Width'),
  Height: name('Height'),
  BitsPerComponent: name('BitsPerComponent'),
  ColorSpace: name('ColorSpace'),
  ImageMask: name('ImageMask'),
  Decode: name('Decode'),
  Filter: name('Filter'),
  DecodeParms: name('DecodeParms'),
  N: name('N'),
  Predictor: name('Predictor'),
  Colors: name('Colors'),
  Columns: name('Columns'),
  K: name('K'),
  EndOfLine: name('EndOfLine'),
  EncodedByteAlign: name('EncodedByteAlign'),
  BlackIs1: name('BlackIs1'),
  FlateDecode: name('FlateDecode'),
  DCTDecode: name('DCTDecode'),
  CCITTFaxDecode: name('CCITTFaxDecode'),
};

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

/** Opens a PDF's bytes: parses it and finds its pages without decoding any image yet. */
export async function openPdf(bytes: Uint8Array): Promise<PdfSource> {
  let pages: PDFDict[];
  try {
    // Encryption is checked below so that it gets its own reason rather than a parse error.
    const doc = await PDFDocument.load(bytes, {
      ignoreEncryption: true,
      updateMetadata: false,
      throwOnInvalidObject: false,
    });
    if (doc.isEncrypted) throw new PageRejection('unsupported-format', 'encrypted PDF');
    pages = collectPages(doc.catalog);
  } catch (err) {
    if (err instanceof PageRejection) throw err;
    throw new PageRejection('corrupt-image', `unreadable PDF: ${firstLine(err)}`);
  }
  if (pages.length === 0) throw new PageRejection('corrupt-image', 'the PDF has no pages');
  return {
    pageCount: pages.length,
    async page(index) {
      const leaf = pages[index];
      if (!leaf) throw new PageRejection('corrupt-image', `page ${index + 1} does not exist`);
      try {
        return await decodePage(leaf, index);
      } catch (err) {
        if (err instanceof PageRejection) throw err;
        const msg = firstLine(err);
        if (/pixel limit/i.test(msg)) throw new PageRejection('too-many-pixels', msg);
        throw new PageRejection('corrupt-image', `page ${index + 1}: ${msg}`);
      }
    },
  };
}

/**
 * The page tree's leaves in order. Walked by hand rather than with pdf-lib's getPages() so that a cyclic or
 * self-repeating tree in a hostile file ends instead of recursing forever, and so the page limit stops the walk.
 */
function collectPages(catalog: PDFDict): PDFDict[] {
  const pages: PDFDict[] = [];
  const seen = new Set<PDFDict>();
  const root = catalog.lookup(N.Pages);
  const stack: PDFObject[] = root ? [root] : [];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!(node instanceof PDFDict) || seen.has(node)) continue;
    seen.add(node);
    const kids = node.lookup(N.Kids);
    if (kids instanceof PDFArray) {
      for (let i = kids.size() - 1; i >= 0; i--) {
        const kid = kids.lookup(i);
        if (kid) stack.push(kid);
      }
      continue;
    }
    pages.push(node);
    if (pages.length > DECODE_LIMITS.maxPages) {
      throw new PageRejection('too-many-pages', `more than ${DECODE_LIMITS.maxPages} pages`);
    }
  }
  return pages;
}

/** An attribute a page may inherit from its ancestors in the page tree (Resources, Rotate). */
function inherited(leaf: PDFDict, key: PDFName): PDFObject | undefined {
  const seen = new Set<PDFDict>();
  for (let node: PDFObject | undefined = leaf; node instanceof PDFDict && !seen.has(node); ) {
    seen.add(node);
    const value = node.lookup(key);
    if (value !== undefined) return value;
    node = node.lookup(N.Parent);
  }
  return undefined;
}

function numberAt(dict: PDFDict | undefined, key: PDFName): number | undefined {
  const value = dict?.lookup(key);
  return value instanceof PDFNumber ? value.asNumber() : undefined;
}

function boolAt(dict: PDFDict | undefined, key: PDFName): boolean {
  const value = dict?.lookup(key);
  return value instanceof PDFBool && value.asBoolean();
}

function dictAt(dict: PDFDict | undefined, key: PDFName): PDFDict | undefined {
  const value = dict?.lookup(key);
  return value instanceof PDFDict ? value : undefined;
}

/** An entry that may be one value or an array of them (Filter, DecodeParms, Contents). */
function listAt(dict: PDFDict, key: PDFName): (PDFObject | undefined)[] {
  const value = dict.lookup(key);
  if (value === undefined) return [];
  if (!(value instanceof PDFArray)) return [value];
  const out: (PDFObject | undefined)[] = [];
  for (let i = 0; i < value.size(); i++) out.push(value.lookup(i));
  return out;
}

async function decodePage(leaf: PDFDict, index: number): Promise<GreyImage> {
  const resources = inherited(leaf, N.Resources);
  const contents = listAt(leaf, N.Contents).filter((s): s is PDFRawStream => s instanceof PDFRawStream);
  const images = await drawnImages(resources instanceof PDFDict ? resources : undefined, contents, 1);
  let best: PDFRawStream | undefined;
  let bestPixels = -1;
  for (const image of images) {
    const pixels = (numberAt(image.dict, N.Width) ?? 0) * (numberAt(image.dict, N.Height) ?? 0);
    if (pixels > bestPixels) [best, bestPixels] = [image, pixels];
  }
  if (!best) {
    throw new PageRejection(
      'unsupported-format',
      `page ${index + 1} has no scanned image: only scanned PDFs are read`,
    );
  }
  let img = await decodeImage(best);
  const rotate = inherited(leaf, N.Rotate);
  const angle =
    rotate instanceof PDFNumber ? (((Math.round(rotate.asNumber() / 90) * 90) % 360) + 360) % 360 : 0;
  if (angle !== 0) img = await rotated(img, angle);
  if (Math.min(img.width, img.height) < DECODE_LIMITS.minSide) {
    throw new PageRejection('too-small', `${img.width}x${img.height} px is too small for a form page`);
  }
  return img;
}

/**
 * Image XObjects drawn by a page (or form): those its content streams name in a `Do`, following Form XObjects
 * `formDepth` levels down. Resources may be shared by many pages, so merely being listed is not enough.
 */
async function drawnImages(
  resources: PDFDict | undefined,
  contents: PDFRawStream[],
  formDepth: number,
): Promise<PDFRawStream[]> {
  const xobjects = dictAt(resources, N.XObject);
  if (!xobjects) return [];
  const names = await drawnNames(contents);
  const out: PDFRawStream[] = [];
  for (const [key, value] of xobjects.entries()) {
    const xobject = xobjects.context.lookup(value);
    if (!(xobject instanceof PDFRawStream) || (names && !names.has(key))) continue;
    const subtype = xobject.dict.lookup(N.Subtype);
    if (subtype === N.Image) out.push(xobject);
    else if (subtype === N.Form && formDepth > 0) {
      // A form without its own resources uses the page's (allowed in old PDFs).
      const own = dictAt(xobject.dict, N.Resources) ?? resources;
      out.push(...(await drawnImages(own, [xobject], formDepth - 1)));
    }
  }
  return out;
}

/** Names used with `Do`; null when a content stream cannot be read, so that every listed XObject counts. */
async function drawnNames(contents: PDFRawStream[]): Promise<Set<PDFName> | null> {
  const names = new Set<PDFName>();
  const ws = '\\x00\\t\\n\\f\\r ';
  const doOperator = new RegExp(`/([^${ws}/\\[\\]()<>{}%]+)[${ws}]+Do(?![^${ws}/\\[\\]()<>{}%])`, 'g');
  for (const stream of contents) {
    const filters = listAt(stream.dict, N.Filter);
    let data: Uint8Array;
    if (filters.length === 0) data = stream.contents;
    else if (filters.length === 1 && filters[0] === N.FlateDecode) {
      try {
        data = await inflateCapped(stream.contents, MAX_CONTENT_BYTES);
      } catch {
        return null;
      }
    } else return null;
    const text = Buffer.from(data.buffer, data.byteOffset, data.length).toString('latin1');
    for (const m of text.matchAll(doOperator)) names.add(PDFName.of(m[1]!));
  }
  return names;
}

async function inflateCapped(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    // Sync flush: a stream cut short or without its checksum still yields what it holds. Large chunks: the
    // default 16 KiB makes a thread-pool round trip per chunk of a page that inflates to tens of MB.
    return await inflateAsync(data, {
      maxOutputLength: maxBytes,
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      chunkSize: 1 << 20,
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PageRejection('corrupt-image', `image data inflates beyond ${maxBytes} bytes`);
    }
    throw new PageRejection('corrupt-image', `bad Flate data: ${firstLine(err)}`);
  }
}

function filterLabel(filter: PDFObject | undefined): string {
  return filter instanceof PDFName ? filter.decodeText() : String(filter);
}

async function decodeImage(image: PDFRawStream): Promise<GreyImage> {
  const dict = image.dict;
  const width = numberAt(dict, N.Width) ?? 0;
  const height = numberAt(dict, N.Height) ?? 0;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PageRejection('corrupt-image', `image has no valid size (${width}x${height})`);
  }
  if (width * height > DECODE_LIMITS.maxPixels) {
    throw new PageRejection(
      'too-many-pixels',
      `${width}x${height} px image; at most ${DECODE_LIMITS.maxPixels} pixels`,
    );
  }
  const filters = listAt(dict, N.Filter);
  const parms = listAt(dict, N.DecodeParms).map((p) => (p instanceof PDFDict ? p : undefined));
  let data = image.contents;
  // Flate over a JPEG or fax stream is the one filter chain writers produce; its output is at most the raw size.
  while (filters.length > 1) {
    if (filters[0] !== N.FlateDecode) {
      throw new PageRejection(
        'unsupported-format',
        `filter chain ${filters.map(filterLabel).join(' ')} is not supported`,
      );
    }
    data = await inflateCapped(data, width * height * 4 + INFLATE_SLACK);
    filters.shift();
    parms.shift();
  }
  const filter = filters[0];
  const parm = parms[0];
  // A Decode array of [1 0] inverts the samples (a negative scan or a mask painting its 1 bits).
  const decode = dict.lookup(N.Decode);
  const inverted = decode instanceof PDFArray && numberIn(decode, 0) === 1 && numberIn(decode, 1) === 0;
  let img: GreyImage;
  if (filter === undefined || filter === N.FlateDecode) {
    img = await decodeSamples(dict, width, height, data, filter !== undefined, parm);
  } else if (filter === N.DCTDecode) {
    // The JPEG carries its own colour model; a Decode array beside one is in practice the Adobe CMYK
    // inversion, which libjpeg already applies.
    return sharpGrey(data);
  } else if (filter === N.CCITTFaxDecode) {
    img = await sharpGrey(faxTiff(data, width, height, parm));
  } else {
    throw new PageRejection('unsupported-format', `image filter ${filterLabel(filter)} is not supported`);
  }
  if (inverted) for (let i = 0; i < img.data.length; i++) img.data[i] = 255 - img.data[i]!;
  return img;
}

function numberIn(array: PDFArray, index: number): number | undefined {
  const value = array.lookup(index);
  return value instanceof PDFNumber ? value.asNumber() : undefined;
}

/** Components per sample of an uncompressed or Flate image; only what scanners write for grey and colour. */
function components(dict: PDFDict): number {
  if (boolAt(dict, N.ImageMask)) return 1; // a stencil: 0 paints (black), 1 leaves paper, like DeviceGray
  const cs = dict.lookup(N.ColorSpace);
  if (cs === undefined) throw new PageRejection('corrupt-image', 'image has no colour space');
  const family = cs instanceof PDFArray ? cs.lookup(0) : cs;
  const label = family instanceof PDFName ? family.decodeText() : String(family);
  if (label === 'DeviceGray' || label === 'CalGray') return 1;
  if (label === 'DeviceRGB' || label === 'CalRGB') return 3;
  if (label === 'ICCBased' && cs instanceof PDFArray) {
    const profile = cs.lookup(1);
    const n = profile instanceof PDFRawStream ? numberAt(profile.dict, N.N) : undefined;
    if (n === 1 || n === 3) return n;
  }
  throw new PageRejection('unsupported-format', `image colour space ${label} is not supported`);
}

/** Raw or Flate samples → grey: PNG predictors undone, bits unpacked, colour reduced to luma. */
async function decodeSamples(
  dict: PDFDict,
  width: number,
  height: number,
  stream: Uint8Array,
  deflated: boolean,
  parm: PDFDict | undefined,
): Promise<GreyImage> {
  const colours = components(dict);
  const bpc = boolAt(dict, N.ImageMask) ? 1 : (numberAt(dict, N.BitsPerComponent) ?? 8);
  if (![1, 2, 4, 8, 16].includes(bpc)) {
    throw new PageRejection('corrupt-image', `${bpc} bits per component is not a PDF image depth`);
  }
  const rowBytes = Math.ceil((width * colours * bpc) / 8);
  const predictor = deflated ? (numberAt(parm, N.Predictor) ?? 1) : 1;
  if (predictor > 1 && predictor < 10) {
    throw new PageRejection('unsupported-format', `Flate predictor ${predictor} (TIFF) is not supported`);
  }
  const png = predictor >= 10;
  const expected = (png ? rowBytes + 1 : rowBytes) * height;
  const raw = deflated ? await inflateCapped(stream, expected + INFLATE_SLACK) : stream;
  if (raw.length < expected) {
    throw new PageRejection('corrupt-image', `image data is truncated (${raw.length} of ${expected} bytes)`);
  }
  let samples = raw;
  if (png) {
    const predColours = numberAt(parm, N.Colors) ?? colours;
    const predBpc = numberAt(parm, N.BitsPerComponent) ?? bpc;
    const columns = numberAt(parm, N.Columns) ?? width;
    if (Math.ceil((columns * predColours * predBpc) / 8) !== rowBytes) {
      throw new PageRejection('corrupt-image', 'Flate predictor parameters do not match the image size');
    }
    samples = unpredictPng(raw, rowBytes, height, Math.max(1, Math.ceil((predColours * predBpc) / 8)));
  }
  // The common case needs no unpacking; copied, since the samples may be a view into the file's bytes.
  if (colours === 1 && bpc === 8)
    return { data: new Uint8Array(samples.subarray(0, width * height)), width, height };
  const out = new Uint8Array(width * height);
  const bitMask = (1 << bpc) - 1;
  const scale = Uint8Array.from({ length: 256 }, (_, v) =>
    Math.round((Math.min(v, bitMask) * 255) / bitMask),
  );
  if (colours === 1 && bpc < 8) {
    // Bilevel pages are the big ones: unpack byte by byte rather than sample by sample.
    for (let y = 0; y < height; y++) {
      const o = y * width;
      for (let i = y * rowBytes, x = 0; x < width; i++) {
        const byte = samples[i]!;
        for (let shift = 8 - bpc; shift >= 0 && x < width; shift -= bpc)
          out[o + x++] = scale[(byte >> shift) & bitMask]!;
      }
    }
    return { data: out, width, height };
  }
  // Sample i of a row, scaled to 0..255; 16-bit samples keep their high byte.
  const sample = (row: number, i: number): number => {
    if (bpc === 8) return samples[row + i]!;
    if (bpc === 16) return samples[row + 2 * i]!;
    const bit = i * bpc;
    return scale[(samples[row + (bit >> 3)]! >> (8 - bpc - (bit & 7))) & bitMask]!;
  };
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    const o = y * width;
    if (colours === 1) {
      for (let x = 0; x < width; x++) out[o + x] = sample(row, x);
    } else {
      for (let x = 0; x < width; x++) {
        const r = sample(row, 3 * x);
        const g = sample(row, 3 * x + 1);
        const b = sample(row, 3 * x + 2);
        out[o + x] = (77 * r + 150 * g + 29 * b + 128) >> 8; // Rec. 601 luma, weights summing to 256
      }
    }
  }
  return { data: out, width, height };
}

/** Undoes PNG row filters (None/Sub/Up/Average/Paeth); `bpp` is bytes per pixel, at least 1. */
function unpredictPng(raw: Uint8Array, rowBytes: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (rowBytes + 1)]!;
    const src = y * (rowBytes + 1) + 1;
    const dst = y * rowBytes;
    const up = dst - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? out[dst + i - bpp]! : 0;
      const b = y > 0 ? out[up + i]! : 0;
      const c = i >= bpp && y > 0 ? out[up + i - bpp]! : 0;
      let pred: number;
      if (type === 0) pred = 0;
      else if (type === 1) pred = a;
      else if (type === 2) pred = b;
      else if (type === 3) pred = (a + b) >> 1;
      else if (type === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new PageRejection('corrupt-image', `bad PNG predictor row type ${type}`);
      out[dst + i] = (raw[src + i]! + pred) & 0xff;
    }
  }
  return out;
}

/**
 * Wraps CCITT fax data in a one-strip TIFF for libtiff. With the PDF default BlackIs1 false, the coded black
 * runs are black: that is TIFF WhiteIsZero (0), under which libtiff's black runs (1 bits) show black. BlackIs1
 * true makes the coded black runs paper, i.e. BlackIsZero (1).
 */
function faxTiff(data: Uint8Array, width: number, height: number, parm: PDFDict | undefined): Uint8Array {
  const k = numberAt(parm, N.K) ?? 0;
  const eol = boolAt(parm, N.EndOfLine);
  const byteAlign = boolAt(parm, N.EncodedByteAlign);
  const columns = numberAt(parm, N.Columns) ?? width;
  if (!Number.isInteger(columns) || columns < 1 || columns * height > DECODE_LIMITS.maxPixels) {
    throw new PageRejection('corrupt-image', `bad CCITT Columns ${columns}`);
  }
  // libtiff reads G4 unaligned, G3 only with EOL codes (T.4, option bit 2 = byte-aligned EOLs) or as
  // byte-aligned Modified Huffman without EOLs (TIFF compression 2).
  let compression: number;
  let t4Options: number | null = null;
  if (k < 0 && !byteAlign) compression = 4;
  else if (k >= 0 && eol) {
    compression = 3;
    t4Options = (k > 0 ? 1 : 0) | (byteAlign ? 4 : 0);
  } else if (k === 0 && byteAlign) compression = 2;
  else {
    throw new PageRejection(
      'unsupported-format',
      `CCITT K=${k}${byteAlign ? ' byte-aligned' : ''}${eol ? '' : ' without EOL'} is not supported`,
    );
  }
  const photometric = boolAt(parm, N.BlackIs1) ? 1 : 0;
  // [tag, type (3 SHORT, 4 LONG), value], ascending by tag as TIFF requires.
  const entries: [number, number, number][] = [
    [256, 4, columns],
    [257, 4, height],
    [258, 3, 1],
    [259, 3, compression],
    [262, 3, photometric],
    [273, 4, 0], // strip offset, set below
    [277, 3, 1],
    [278, 4, height],
    [279, 4, data.length],
  ];
  if (t4Options !== null) entries.push([292, 4, t4Options]);
  const headerSize = 8 + 2 + entries.length * 12 + 4;
  const tiff = new Uint8Array(headerSize + data.length);
  const view = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 0x2a, 0x00]);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, 1, true);
    if (type === 3) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, tag === 273 ? headerSize : value, true);
  });
  view.setUint32(10 + entries.length * 12, 0, true);
  tiff.set(data, headerSize);
  return tiff;
}

async function sharpGrey(input: Uint8Array): Promise<GreyImage> {
  const out: { data: Buffer; info: OutputInfo } = await sharp(input, {
    limitInputPixels: DECODE_LIMITS.maxPixels,
    failOn: 'truncated',
  })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return greyOf(out);
}

/** Turns the page as a viewer shows it: /Rotate is clockwise, in quarter turns. */
async function rotated(img: GreyImage, angle: number): Promise<GreyImage> {
  const out = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .rotate(angle)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return greyOf(out);
}

function greyOf({ data, info }: { data: Buffer; info: OutputInfo }): GreyImage {
  const { width, height, channels } = info;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (channels === 1) return { data: bytes, width, height };
  // A grey+alpha result comes back with two channels: keep the grey one.
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = bytes[i * channels]!;
  return { data: grey, width, height };
}
