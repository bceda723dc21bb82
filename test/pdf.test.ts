import { deflateSync, inflateSync } from 'node:zlib';
import {
  concatTransformationMatrix,
  degrees,
  drawObject,
  PDFDocument,
  PDFName,
  popGraphicsState,
  pushGraphicsState,
  rgb,
} from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PageRejection } from '../pipeline/decode.ts';
import { openPdf } from '../pipeline/pdf.ts';
import { drawPage, imageStream, type StreamDict } from './pdf-pages.ts';

async function rejection(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    if (err instanceof PageRejection) return `${err.reason}: ${err.message}`;
    throw err;
  }
  return 'accepted';
}

async function firstPageRejection(bytes: Uint8Array): Promise<string> {
  return rejection(async () => (await openPdf(bytes)).page(0));
}

/** A deterministic texture with smooth and noisy stretches, so PNG encoders pick several row filters. */
function texture(width: number, height: number, channels: number): Uint8Array {
  const px = new Uint8Array(width * height * channels);
  let seed = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < channels; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const smooth = (x * (k + 1) + 2 * y) & 255;
        px[(y * width + x) * channels + k] =
          y % 40 < 20 ? smooth : x > width / 2 ? seed & 255 : (y * 3) & 255;
      }
    }
  }
  return px;
}

/** Grey noise, raw above and blurred below: libpng then uses all five row filters, Paeth often. */
async function noise(width: number, height: number): Promise<Uint8Array> {
  const px = new Uint8Array(width * height);
  let seed = 7;
  for (let i = 0; i < px.length; i++) px[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 23;
  const half = Math.floor(height / 2) * width;
  const blurred = await sharp(px, { raw: { width, height, channels: 1 } })
    .blur(2)
    .extractChannel(0)
    .raw()
    .toBuffer();
  px.set(blurred.subarray(half), half);
  return px;
}

/** A PNG's zlib stream (its IDAT chunks): rows prefixed by libpng's chosen filter, i.e. PDF Predictor 15. */
async function pngIdat(px: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Buffer> {
  const png = await sharp(px, { raw: { width, height, channels } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .png({ adaptiveFiltering: true })
    .toBuffer();
  const chunks: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const length = png.readUInt32BE(o);
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') chunks.push(png.subarray(o + 8, o + 8 + length));
    o += 12 + length;
  }
  return Buffer.concat(chunks);
}

function rowFilterTypes(idat: Buffer, rowBytes: number, height: number): Set<number> {
  const rows = inflateSync(idat);
  const types = new Set<number>();
  for (let y = 0; y < height; y++) types.add(rows[y * (rowBytes + 1)]!);
  return types;
}

function mean(data: Uint8Array): number {
  let sum = 0;
  for (const v of data) sum += v;
  return sum / data.length;
}

/** Bilevel test pattern: a solid block, a checkerboard patch and a diagonal line on paper. */
function pattern(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const block = x >= 40 && x < 140 && y >= 60 && y < 160;
      const checker = x >= 200 && x < 320 && y >= 200 && y < 320 && ((x >> 3) + (y >> 3)) % 2 === 0;
      const line = Math.abs(x - y) < 2;
      if (block || checker || line) px[y * width + x] = 0;
    }
  }
  return px;
}

/** Packs 0/255 pixels into 1-bit rows (1 = paper), each row padded to a byte. */
function packBits(px: Uint8Array, width: number, height: number): Uint8Array {
  const rowBytes = Math.ceil(width / 8);
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (px[y * width + x]! > 127) out[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return out;
}

/** A real CCITT G4 stream: libtiff's encoding of the pixels, as the single strip of a TIFF. */
async function g4Strip(px: Uint8Array, width: number, height: number, miniswhite: boolean): Promise<Buffer> {
  const tiff = await sharp(px, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .tiff({ compression: 'ccittfax4', bitdepth: 1, miniswhite, predictor: 'none', tileHeight: 8192 })
    .toBuffer();
  expect(tiff.toString('latin1', 0, 2)).toBe('II');
  const ifd = tiff.readUInt32LE(4);
  const tags = new Map<number, number>();
  for (let i = 0; i < tiff.readUInt16LE(ifd); i++) {
    const at = ifd + 2 + i * 12;
    const type = tiff.readUInt16LE(at + 2);
    expect(tiff.readUInt32LE(at + 4) === 1 || type !== 4).toBe(true);
    tags.set(tiff.readUInt16LE(at), type === 3 ? tiff.readUInt16LE(at + 8) : tiff.readUInt32LE(at + 8));
  }
  expect(tags.get(259)).toBe(4);
  expect(tags.get(262)).toBe(miniswhite ? 0 : 1);
  expect(tags.get(278)).toBeGreaterThanOrEqual(height); // one strip
  const offset = tags.get(273)!;
  return tiff.subarray(offset, offset + tags.get(279)!);
}

/** Hand-coded T.4 Modified Huffman rows: code words for just the run lengths this test draws. */
const MH = {
  white: { 0: '00110101', 64: '11011', 128: '10010', 320: '00110110' },
  black: { 0: '0000110111', 128: '000011001000' },
  eol: '000000000001',
};

/** 320x320: paper with a black band x 64..191 on rows 100..199; `eol` prefixes every row with an EOL code. */
function mhStream(layout: 'eol' | 'byte-aligned'): Uint8Array {
  let bits = '';
  for (let y = 0; y < 320; y++) {
    if (layout === 'eol') bits += MH.eol;
    if (y >= 100 && y < 200) {
      bits += MH.white[64] + MH.white[0] + MH.black[128] + MH.black[0] + MH.white[128] + MH.white[0];
    } else bits += MH.white[320] + MH.white[0];
    if (layout === 'byte-aligned') bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  }
  if (layout === 'eol') bits += MH.eol.repeat(6); // RTC
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

async function greyJpeg(width: number, height: number, level: number): Promise<Buffer> {
  return sharp(Buffer.alloc(width * height, level), { raw: { width, height, channels: 1 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

describe('openPdf', () => {
  it('reads each page of a JPEG batch at its own size and grey level', async () => {
    const doc = await PDFDocument.create();
    const grey = await doc.embedJpg(await greyJpeg(400, 500, 40));
    doc.addPage([400, 500]).drawImage(grey, { x: 0, y: 0, width: 400, height: 500 });
    const colour = await sharp({
      create: { width: 420, height: 560, channels: 3, background: { r: 128, g: 128, b: 128 } },
    })
      .jpeg({ quality: 95 })
      .toBuffer();
    const rgbImage = await doc.embedJpg(colour);
    doc.addPage([420, 560]).drawImage(rgbImage, { x: 0, y: 0, width: 420, height: 560 });
    // Flate over DCT: the one filter chain writers produce.
    const chained = deflateSync(await greyJpeg(380, 400, 220));
    drawPage(
      doc,
      imageStream(doc, chained, {
        Width: 380,
        Height: 400,
        ColorSpace: 'DeviceGray',
        BitsPerComponent: 8,
        Filter: ['FlateDecode', 'DCTDecode'],
      }),
      380,
      400,
    );
    const src = await openPdf(await doc.save());
    expect(src.pageCount).toBe(3);
    const expected = [
      [400, 500, 40],
      [420, 560, 128],
      [380, 400, 220],
    ];
    for (const [i, [width, height, level]] of expected.entries()) {
      const img = await src.page(i);
      expect([img.width, img.height, img.data.length]).toEqual([width, height, width! * height!]);
      expect(Math.abs(mean(img.data) - level!)).toBeLessThan(3);
    }
  });

  it('undoes PNG predictors of an 8-bit grey Flate image exactly', async () => {
    const [width, height] = [333, 301];
    const px = await noise(width, height);
    const idat = await pngIdat(px, width, height, 1);
    expect([...rowFilterTypes(idat, width, height)].sort()).toEqual([0, 1, 2, 3, 4]);
    const doc = await PDFDocument.create();
    const stream = imageStream(doc, idat, {
      Width: width,
      Height: height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 8,
      Filter: 'FlateDecode',
      DecodeParms: { Predictor: 15, Colors: 1, BitsPerComponent: 8, Columns: width },
    });
    drawPage(doc, stream, width, height);
    const img = await (await openPdf(await doc.save())).page(0);
    expect([img.width, img.height]).toEqual([width, height]);
    expect(Buffer.from(img.data).equals(Buffer.from(px))).toBe(true);
  });

  it.each([
    ['with PNG predictors', true],
    ['without a predictor', false],
  ])('converts an RGB Flate image to luma, %s', async (_label, predicted) => {
    const [width, height] = [310, 305];
    const px = texture(width, height, 3);
    const doc = await PDFDocument.create();
    const common = { Width: width, Height: height, ColorSpace: 'DeviceRGB', BitsPerComponent: 8 };
    const stream = predicted
      ? imageStream(doc, await pngIdat(px, width, height, 3), {
          ...common,
          Filter: 'FlateDecode',
          DecodeParms: { Predictor: 15, Colors: 3, Columns: width },
        })
      : doc.context.flateStream(px, { Type: 'XObject', Subtype: 'Image', ...common });
    drawPage(doc, stream, width, height);
    const img = await (await openPdf(await doc.save())).page(0);
    expect([img.width, img.height]).toEqual([width, height]);
    let worst = 0;
    for (let i = 0; i < width * height; i++) {
      const luma = 0.299 * px[3 * i]! + 0.587 * px[3 * i + 1]! + 0.114 * px[3 * i + 2]!;
      worst = Math.max(worst, Math.abs(img.data[i]! - luma));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('reads ICC-based grey through the profile component count', async () => {
    const [width, height] = [320, 300];
    const px = texture(width, height, 1);
    const doc = await PDFDocument.create();
    const profile = doc.context.register(doc.context.stream(new Uint8Array(16), { N: 1 }));
    const stream = doc.context.flateStream(px, {
      Type: 'XObject',
      Subtype: 'Image',
      Width: width,
      Height: height,
      ColorSpace: ['ICCBased', profile],
      BitsPerComponent: 8,
    });
    drawPage(doc, stream, width, height);
    const img = await (await openPdf(await doc.save())).page(0);
    expect(Buffer.from(img.data).equals(Buffer.from(px))).toBe(true);
  });

  it.each([
    ['DeviceGray', { ColorSpace: 'DeviceGray', BitsPerComponent: 1 }, false],
    ['DeviceGray with Decode [1 0]', { ColorSpace: 'DeviceGray', BitsPerComponent: 1, Decode: [1, 0] }, true],
    ['an image mask', { ImageMask: true }, false],
  ] as const)('expands a 1-bit Flate image: %s', async (_label, entries, inverted) => {
    const [width, height] = [333, 341]; // rows end mid-byte
    const px = pattern(width, height);
    const bits = packBits(px, width, height);
    const doc = await PDFDocument.create();
    const stream = doc.context.flateStream(inverted ? bits.map((b) => ~b & 0xff) : bits, {
      Type: 'XObject',
      Subtype: 'Image',
      Width: width,
      Height: height,
      ...entries,
    });
    drawPage(doc, stream, width, height);
    const img = await (await openPdf(await doc.save())).page(0);
    expect([img.width, img.height]).toEqual([width, height]);
    expect(Buffer.from(img.data).equals(Buffer.from(px))).toBe(true);
  });

  it.each([
    ['BlackIs1 false (the default)', true],
    ['BlackIs1 true', false],
  ])('decodes a CCITT G4 page with %s', async (_label, miniswhite) => {
    const [width, height] = [421, 505];
    const px = pattern(width, height);
    const strip = await g4Strip(px, width, height, miniswhite);
    const doc = await PDFDocument.create();
    // A TIFF written min-is-white codes the black pixels as black runs, which is what BlackIs1 false means.
    const stream = imageStream(doc, strip, {
      Width: width,
      Height: height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 1,
      Filter: 'CCITTFaxDecode',
      DecodeParms: { K: -1, Columns: width, Rows: height, ...(miniswhite ? {} : { BlackIs1: true }) },
    });
    drawPage(doc, stream, width, height);
    const img = await (await openPdf(await doc.save())).page(0);
    expect([img.width, img.height]).toEqual([width, height]);
    expect(Buffer.from(img.data).equals(Buffer.from(px))).toBe(true);
  });

  it.each([
    ['with EOL codes', 'eol', { K: 0, EndOfLine: true }],
    ['byte-aligned without EOLs', 'byte-aligned', { K: 0, EncodedByteAlign: true }],
  ] as const)('decodes a CCITT Group 3 (1-D) page %s', async (_label, layout, parms) => {
    const doc = await PDFDocument.create();
    const stream = imageStream(doc, mhStream(layout), {
      Width: 320,
      Height: 320,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 1,
      Filter: 'CCITTFaxDecode',
      DecodeParms: { ...parms, Columns: 320, Rows: 320 },
    });
    drawPage(doc, stream, 320, 320);
    const img = await (await openPdf(await doc.save())).page(0);
    expect([img.width, img.height]).toEqual([320, 320]);
    for (const [x, y, v] of [
      [10, 10, 255],
      [63, 150, 255],
      [64, 150, 0],
      [191, 100, 0],
      [191, 199, 0],
      [192, 150, 255],
      [100, 200, 255],
    ]) {
      expect(img.data[y! * 320 + x!], `pixel ${x},${y}`).toBe(v);
    }
  });

  it('rejects a page without an image and still reads the others', async () => {
    const doc = await PDFDocument.create();
    const jpeg = await doc.embedJpg(await greyJpeg(400, 400, 90));
    doc.addPage([400, 400]).drawImage(jpeg, { x: 0, y: 0, width: 400, height: 400 });
    const form = doc.addPage([595, 842]);
    form.drawRectangle({ x: 50, y: 50, width: 200, height: 100, borderColor: rgb(0, 0, 0), borderWidth: 2 });
    form.drawText('Answer sheet', { x: 50, y: 700 });
    doc.addPage([400, 400]).drawImage(jpeg, { x: 0, y: 0, width: 400, height: 400 });
    const src = await openPdf(await doc.save());
    expect(src.pageCount).toBe(3);
    expect(await rejection(() => src.page(1))).toBe(
      'unsupported-format: page 2 has no scanned image: only scanned PDFs are read',
    );
    for (const i of [0, 2]) expect(Math.abs(mean((await src.page(i)).data) - 90)).toBeLessThan(3);
  });

  it('takes the image a page draws, through a form, even when the pages share their resources', async () => {
    const doc = await PDFDocument.create();
    const flat = (width: number, height: number, level: number) =>
      doc.context.register(
        doc.context.flateStream(new Uint8Array(width * height).fill(level), {
          Type: 'XObject',
          Subtype: 'Image',
          Width: width,
          Height: height,
          ColorSpace: 'DeviceGray',
          BitsPerComponent: 8,
        }),
      );
    const big = flat(600, 800, 50);
    const small = flat(400, 500, 200);
    const form = doc.context.register(
      doc.context.flateStream('q 400 0 0 500 0 0 cm /Im2 Do Q', {
        Type: 'XObject',
        Subtype: 'Form',
        BBox: [0, 0, 400, 500],
        Resources: { XObject: { Im2: small } },
      }),
    );
    const shared = doc.context.register(doc.context.obj({ XObject: { Im1: big, Fm1: form } }));
    for (const [w, h, xobject] of [
      [600, 800, 'Im1'],
      [400, 500, 'Fm1'],
    ] as const) {
      const page = doc.addPage([w, h]);
      page.pushOperators(
        pushGraphicsState(),
        concatTransformationMatrix(w, 0, 0, h, 0, 0),
        drawObject(xobject),
        popGraphicsState(),
      );
      page.node.set(PDFName.of('Resources'), shared);
    }
    const src = await openPdf(await doc.save());
    const [first, second] = [await src.page(0), await src.page(1)];
    expect([first.width, first.height, first.data[0]]).toEqual([600, 800, 50]);
    expect([second.width, second.height, second.data[0]]).toEqual([400, 500, 200]);
  });

  it('turns the page by its /Rotate', async () => {
    const [width, height] = [400, 320];
    const px = new Uint8Array(width * height).fill(255);
    for (let y = 0; y < 50; y++) px.fill(0, y * width, y * width + 50); // a block at the top left
    const doc = await PDFDocument.create();
    const stream = doc.context.flateStream(px, {
      Type: 'XObject',
      Subtype: 'Image',
      Width: width,
      Height: height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 8,
    });
    drawPage(doc, stream, width, height).setRotation(degrees(90));
    const img = await (await openPdf(await doc.save())).page(0);
    // A quarter turn clockwise brings the top left corner to the top right.
    expect([img.width, img.height]).toEqual([height, width]);
    expect(img.data[10 * height + height - 10]).toBe(0);
    expect(img.data[10 * height + 10]).toBe(255);
  });

  it('ends the walk of a page tree that contains itself', async () => {
    const doc = await PDFDocument.create();
    const jpeg = await doc.embedJpg(await greyJpeg(400, 400, 90));
    const page = doc.addPage([400, 400]);
    page.drawImage(jpeg, { x: 0, y: 0, width: 400, height: 400 });
    const root = doc.catalog.get(PDFName.of('Pages'))!;
    doc.catalog.Pages().Kids().push(root);
    page.node.set(PDFName.of('Parent'), page.ref); // and a page that is its own parent
    const src = await openPdf(await doc.save());
    expect(src.pageCount).toBe(1);
    expect((await src.page(0)).width).toBe(400);
  });

  it('rejects truncated and garbage files as corrupt', async () => {
    const doc = await PDFDocument.create();
    const jpeg = await doc.embedJpg(await greyJpeg(400, 400, 90));
    doc.addPage([400, 400]).drawImage(jpeg, { x: 0, y: 0, width: 400, height: 400 });
    const bytes = await doc.save({ useObjectStreams: false });
    for (const cut of [0.2, 0.5, 0.9]) {
      const head = bytes.subarray(0, Math.floor(bytes.length * cut));
      expect(await firstPageRejection(head), `cut at ${cut}`).toMatch(/^corrupt-image/);
    }
    const junk = new Uint8Array(5000).map((_, i) => (i * 7919) % 251);
    expect(await firstPageRejection(junk)).toMatch(/^corrupt-image/);
    const headed = Buffer.concat([Buffer.from('%PDF-1.7\n'), junk]);
    expect(await firstPageRejection(headed)).toMatch(/^corrupt-image/);
  });

  it('rejects a declared 100k x 100k image before inflating it', async () => {
    const doc = await PDFDocument.create();
    const stream = doc.context.flateStream(new Uint8Array(1000), {
      Type: 'XObject',
      Subtype: 'Image',
      Width: 100_000,
      Height: 100_000,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 8,
    });
    drawPage(doc, stream, 500, 500);
    const before = process.memoryUsage().arrayBuffers;
    expect(await firstPageRejection(await doc.save())).toMatch(/^too-many-pixels/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 << 20);
  });

  it('stops a Flate bomb at the declared image size, and refuses short data', async () => {
    const flate = async (width: number, height: number, data: Uint8Array) => {
      const doc = await PDFDocument.create();
      const stream = imageStream(doc, deflateSync(data, { level: 9 }), {
        Width: width,
        Height: height,
        ColorSpace: 'DeviceGray',
        BitsPerComponent: 8,
        Filter: 'FlateDecode',
      });
      drawPage(doc, stream, width, height);
      return firstPageRejection(await doc.save());
    };
    expect(await flate(1000, 1000, new Uint8Array(64 << 20))).toMatch(/^corrupt-image: .*inflates beyond/);
    expect(await flate(1000, 1000, new Uint8Array(999_000))).toMatch(/^corrupt-image: .*truncated/);
  });

  it('names unsupported filters and colour spaces', async () => {
    const page = async (dict: StreamDict) => {
      const doc = await PDFDocument.create();
      const entries = { Width: 400, Height: 400, BitsPerComponent: 8, ...dict };
      drawPage(doc, imageStream(doc, new Uint8Array(64), entries), 400, 400);
      return firstPageRejection(await doc.save());
    };
    expect(await page({ ColorSpace: 'DeviceRGB', Filter: 'JPXDecode' })).toBe(
      'unsupported-format: image filter JPXDecode is not supported',
    );
    expect(await page({ ColorSpace: 'DeviceGray', Filter: ['ASCII85Decode', 'DCTDecode'] })).toMatch(
      /^unsupported-format: filter chain ASCII85Decode DCTDecode/,
    );
    expect(await page({ ColorSpace: ['Indexed', 'DeviceRGB', 1, '\x00\x00\x00\xff\xff\xff'] })).toMatch(
      /^unsupported-format: image colour space Indexed/,
    );
  });

  it('rejects encrypted files and files with too many pages', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([400, 400]);
    const plain = Buffer.from(await doc.save({ useObjectStreams: false })).toString('latin1');
    expect(plain).toContain('trailer');
    // pdf-lib cannot encrypt; an /Encrypt entry in the trailer is what marks a file as encrypted.
    const encrypted = plain.replace(/trailer\s*<</, '$&\n/Encrypt << /Filter /Standard /V 1 /R 2 >>');
    expect(await rejection(() => openPdf(Buffer.from(encrypted, 'latin1')))).toBe(
      'unsupported-format: encrypted PDF',
    );

    const many = await PDFDocument.create();
    for (let i = 0; i < 1001; i++) many.addPage([400, 400]);
    expect(await rejection(async () => openPdf(await many.save()))).toMatch(/^too-many-pages/);
  });
});
