/**
 * Decoding a page at the resolution its candidate forms need, and 1-bit scans without the generic colour
 * conversion: neither may change what is read.
 */
import { crc32, deflateSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { findShippedForm, shippedForms } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { CELL_PX_PER_MM } from '../pipeline/cells.ts';
import { greyPalettePng, openSource } from '../pipeline/decode.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { type PageResult, recogniseFilePage } from '../pipeline/page-job.ts';
import { recognisePage } from '../pipeline/recognise.ts';
import { formPxPerMm, pageNeeds, RESOLUTION_NEEDS } from '../pipeline/resolution.ts';
import type { RecognisedSheet } from '../pipeline/result.ts';
import { bilevelFiles } from '../samples/bilevel.ts';
import { generateSheet } from '../samples/generate.ts';
import { registrationErrorMm } from './helpers.ts';
import { drawPage, imageStream } from './pdf-pages.ts';

const def = findShippedForm('bubble-sheet-60x5');

/** What a page reads as: every field's value and doubts, and the sheet number. */
const reading = (s: RecognisedSheet) => ({
  status: s.status,
  sheetNumber: s.sheetNumber,
  fields: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, [f.value, ...f.doubt]])),
});

/**
 * What a page reads as, and which fields go to a verifier: a bubble within a hundredth of the marginal
 * band's edge may gain or lose one more reason to doubt at another resolution (fills differ by 0.0015 on
 * average between full size and the reduced copy), and that changes nothing that is accepted.
 */
const accepted = (s: RecognisedSheet) => ({
  status: s.status,
  sheetNumber: s.sheetNumber,
  fields: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, [f.value, f.doubt.length > 0]])),
});

const readFile = (bytes: Uint8Array, forms: FormDefinition[]) =>
  recogniseFilePage('page', async () => bytes, 0, forms);

describe('the resolution a form needs', () => {
  it('comes from what the form holds', () => {
    // EGE AS1: character cells, sampled at a fixed resolution.
    expect(formPxPerMm(findShippedForm('ege-as1-2023'))).toBe(CELL_PX_PER_MM);
    // The bubble sheet: its EAN-13 (95 modules over 47.35 mm) needs more than its 3 mm bubbles.
    expect(formPxPerMm(def)).toBeCloseTo((RESOLUTION_NEEDS.barcodeModulePx * 95) / 47.35, 6);
    // Without the barcode, the bubbles decide.
    expect(formPxPerMm({ ...def, barcodes: [] })).toBeCloseTo(RESOLUTION_NEEDS.bubblePx / 3, 6);
    // Candidates together need what the most demanding of them needs.
    expect(pageNeeds(shippedForms()).pxPerMm).toBe(CELL_PX_PER_MM);
  });
});

describe('a 300-dpi JPEG decoded at the resolution the form needs', () => {
  let truth: Awaited<ReturnType<typeof generateSheet>>['truth'];
  let colour: Buffer;
  let full: RecognisedSheet;

  beforeAll(async () => {
    const g = await generateSheet(def, 11, 'clean');
    truth = g.truth;
    // A colour scan of the page, as a scanner in its default mode writes it.
    colour = await sharp(g.image).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();
    full = await recognisePage(await (await openSource(colour)).page(0), { forms: [def] });
  });

  it('comes out smaller when only the bubble sheet may be on it', async () => {
    const { image, scale } = await (await openSource(colour)).pageFor(0, pageNeeds([def]));
    expect(scale[0]).toBeGreaterThanOrEqual(2);
    expect(scale[1]).toBeCloseTo(scale[0], 2);
    expect(image.width / (210 / 25.4)).toBeGreaterThanOrEqual(formPxPerMm(def) * 25.4);
  });

  it('keeps full size when a form with character cells may be on it', async () => {
    const { scale } = await (await openSource(colour)).pageFor(0, pageNeeds(shippedForms()));
    expect(scale).toEqual([1, 1]);
  });

  it('registers within 0.3 mm, told in the source pixels, and reads what full size reads', async () => {
    const r = await readFile(colour, [def]);
    expect(r.status).not.toBe('rejected');
    expect(r.registration?.dpi).toBeGreaterThan(290);
    expect(registrationErrorMm(def, r.registration!.transform, truth.transform)).toBeLessThan(0.3);
    expect(accepted(r)).toEqual(accepted(full));
    expect(r.sheetNumber).toBe(truth.sheetNumber);
  });

  it('reads a page that fills only part of the photo at full size', async () => {
    // The page in the middle of a frame 1.3 times its size: the guess from the frame's size overshoots, and
    // the copy decoded from it would be below what the form needs.
    const { width, height } = await sharp(colour).metadata();
    const framed = await sharp(colour)
      .extend({
        top: Math.round(height * 0.15),
        bottom: Math.round(height * 0.15),
        left: Math.round(width * 0.15),
        right: Math.round(width * 0.15),
        background: '#f0f0f0',
      })
      .jpeg({ quality: 90 })
      .toBuffer();
    const r: PageResult = await readFile(framed, [def]);
    const alone = await recognisePage(await (await openSource(framed)).page(0), { forms: [def] });
    expect(alone.status).not.toBe('rejected');
    expect(reading(r)).toEqual(reading(alone));
    expect(r.registration?.transform).toEqual(alone.registration?.transform);
  });
});

/** A scanner's PDF of a black-and-white page: one 1-bit Flate image drawn over the whole page. */
async function bitsPdf(page: GreyImage): Promise<Uint8Array> {
  const { data, width, height } = page;
  const rowBytes = Math.ceil(width / 8);
  const bits = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (data[y * width + x]! > 127) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
  const doc = await PDFDocument.create();
  const stream = imageStream(doc, deflateSync(bits), {
    Width: width,
    Height: height,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 1,
    Filter: 'FlateDecode',
  });
  drawPage(doc, stream, width, height);
  return doc.save();
}

describe('1-bit scans', () => {
  let grey: Buffer;
  let palettePng: Buffer;
  let g4Tiff: Buffer;

  beforeAll(async () => {
    ({
      grey,
      png: palettePng,
      g4: g4Tiff,
    } = await bilevelFiles((await generateSheet(def, 12, 'scanner')).image));
  });

  it('decode to the pixels of their 8-bit grey equivalent', async () => {
    const reference = await (await openSource(grey)).page(0);
    for (const bytes of [palettePng, g4Tiff]) {
      const { image, scale } = await (await openSource(bytes)).pageFor(0, pageNeeds([def]));
      expect([image.width, image.height, scale]).toEqual([reference.width, reference.height, [1, 1]]);
      expect(Buffer.compare(image.data, reference.data)).toBe(0);
    }
  });

  it('read the same as their grey equivalent', async () => {
    const reference = reading(await readFile(grey, [def]));
    expect(reference.status).not.toBe('rejected');
    for (const bytes of [palettePng, g4Tiff])
      expect(reading(await readFile(bytes, [def]))).toEqual(reference);
  });

  it('come out at half size, the means of 2x2 blocks, whichever file holds the page (a PDF too), when the form allows', async () => {
    const page = (await generateSheet(def, 14, 'scanner', {}, { dpi: 300 })).image;
    const files = await bilevelFiles(page);
    const needs = pageNeeds([def]);
    const full = await (await openSource(files.grey)).page(0);
    const [w, h] = [Math.ceil(full.width / 2), Math.ceil(full.height / 2)];
    const halves = [];
    for (const bytes of [files.png, files.g4, files.grey, await bitsPdf(full)]) {
      const { image, scale } = await (await openSource(bytes)).pageFor(0, needs);
      expect([image.width, image.height, scale]).toEqual([w, h, [full.width / w, full.height / h]]);
      halves.push(image.data);
    }
    // One decoder for the 1-bit PNG, libvips or the PDF reader and the block means for the others: the same.
    for (const other of halves.slice(1)) expect(Buffer.compare(halves[0]!, other)).toBe(0);
    // The same page in grey tones is not black and white: read at full size.
    const grey = await sharp(page).png().toBuffer();
    expect((await (await openSource(grey)).pageFor(0, needs)).scale).toEqual([1, 1]);
  });

  it('are read as grey PNGs when their palette is black then white, as one band of it otherwise', async () => {
    const asGrey = greyPalettePng(palettePng)?.asGrey;
    expect(asGrey).toBeInstanceOf(Uint8Array);
    const meta = await sharp(asGrey!).metadata();
    expect([meta.isPalette, meta.channels, meta.bitsPerSample]).toEqual([false, 1, 1]);
    // The same file with its palette the other way round (white, then black): the page comes out inverted.
    const swapped = Buffer.from(palettePng);
    const plte = swapped.indexOf('PLTE');
    swapped.set([255, 255, 255, 0, 0, 0], plte + 4);
    swapped.writeUInt32BE(crc32(swapped.subarray(plte, plte + 10)), plte + 10);
    expect(greyPalettePng(swapped)).toEqual({ asGrey: null });
    const upright = await (await openSource(palettePng)).page(0);
    const inverted = await (await openSource(swapped)).page(0);
    expect(inverted.data.every((v, i) => v === 255 - upright.data[i]!)).toBe(true);
    const tinted = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c03020' } })
      .png({ palette: true })
      .toBuffer();
    expect(greyPalettePng(tinted)).toBeNull();
    expect(greyPalettePng(grey)).toBeNull();
  });
});
