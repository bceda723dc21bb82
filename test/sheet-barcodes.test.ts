/**
 * A sheet's codes must agree on the digits its definition names (EGE AS1: digits 3-11 of every code): a
 * checksum-valid misread of one code is a doubt on the sheet and leaves it without a number, never a pick.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expandForm, findShippedForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Matrix3 } from '../pipeline/geometry.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { readSheetBarcodes } from '../pipeline/sheet-barcodes.ts';
import { drawBarcodes, ean13WithCheckDigit } from '../render/barcodes.ts';
import { copyImage, PX_PER_MM, renderBlankForm } from '../render/form.ts';

const def = findShippedForm('ege-as1-2023');
const PAGE_TO_PX: Matrix3 = [PX_PER_MM, 0, 0, 0, PX_PER_MM, 0, 0, 0, 1];
/** The QR's payload after its 13 EAN digits, as the generator writes it. */
const QR_TAIL = 'A'.repeat(128);

/** EAN-13 of an AS1 code: 2 (the AS1 lead), 6, the code-type digit, then the sheet's nine digits. */
const code = (typeDigit: string, body: string) => ean13WithCheckDigit(`26${typeDigit}${body}`);

async function sheetWith(bodies: { number: string; qr: string; vertical: string }) {
  const page = copyImage(await renderBlankForm(expandForm(def)));
  const texts = new Map([
    ['sheet-number', code('1', bodies.number)],
    ['sheet-qr', code('2', bodies.qr) + QR_TAIL],
    ['sheet-number-vertical', code('3', bodies.vertical)],
  ]);
  await drawBarcodes(page, def, texts);
  return readSheetBarcodes(page, PAGE_TO_PX, def);
}

describe('barcodes of one sheet cross-checked', () => {
  it('gives the sheet number when every code agrees on its nine digits', async () => {
    const read = await sheetWith({ number: '011409001', qr: '011409001', vertical: '011409001' });
    expect(read.barcodes).toHaveLength(3);
    expect(read.doubt).toEqual([]);
    expect(read.sheetNumber).toBe(code('1', '011409001'));
  });

  it.each([
    ['the vertical EAN-13', { number: '011409001', qr: '011409001', vertical: '011409007' }],
    ['the QR', { number: '011409001', qr: '511409001', vertical: '011409001' }],
  ])('doubts a sheet whose %s disagrees, and gives it no number', async (_which, bodies) => {
    const read = await sheetWith(bodies);
    expect(read.barcodes).toHaveLength(3);
    expect(read.doubt).toContain('barcode-disagreement');
    expect(read.sheetNumber).toBeUndefined();
  });
});

/** The page as a blurred 78-dpi scan: 0.5 mm bar modules come out 1.5 px wide and run together. */
async function coarseScan(page: GreyImage): Promise<{ img: GreyImage; t: Matrix3 }> {
  const k = 78 / 300;
  const width = Math.round(page.width * k);
  const height = Math.round(page.height * k);
  const data = await sharp(Buffer.from(page.data), {
    raw: { width: page.width, height: page.height, channels: 1 },
  })
    .resize(width, height)
    .blur(0.9)
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const pxmm = PX_PER_MM * k;
  return { img: { data: new Uint8Array(data), width, height }, t: [pxmm, 0, 0, 0, pxmm, 0, 0, 0, 1] };
}

/** A page of `form` with its codes, the digits under each EAN-13 printed as `printed` says (a misprint). */
async function printedPage(
  form: FormDefinition,
  texts: Map<string, string>,
  printed = new Map<string, string>(),
) {
  const page = copyImage(await renderBlankForm(expandForm(form)));
  await drawBarcodes(page, form, texts, printed);
  return page;
}

describe('the sheet number from the digits printed under its EAN-13', () => {
  const number = code('1', '011409001');
  const texts = new Map([
    ['sheet-number', number],
    ['sheet-qr', code('2', '011409001') + QR_TAIL],
    ['sheet-number-vertical', code('3', '011409001')],
  ]);

  it('reads the number from the digits when the bars of a 78-dpi scan cannot be decoded', async () => {
    const { img, t } = await coarseScan(await printedPage(def, texts));
    const read = await readSheetBarcodes(img, t, def);
    // Nothing was decoded from bars or modules: both EAN-13 reads come from their digits.
    expect(read.barcodes.map((b) => [b.role, b.from])).toEqual([
      ['sheet-number', 'printed-digits'],
      ['sheet-number-vertical', 'printed-digits'],
    ]);
    expect(read.sheetNumber).toBe(number);
    // The QR is still unread: that is a doubt of its own, but not a disagreement.
    expect(read.doubt).toEqual(['barcode-missing']);
  });

  it('gives no number when the printed digits break the check digit', async () => {
    const misprint = `${number.slice(0, 5)}${(Number(number[5]) + 1) % 10}${number.slice(6)}`;
    const page = await printedPage(def, texts, new Map([['sheet-number', misprint]]));
    const { img, t } = await coarseScan(page);
    const read = await readSheetBarcodes(img, t, def);
    expect(read.barcodes.map((b) => b.role)).not.toContain('sheet-number');
    expect(read.sheetNumber).toBeUndefined();
    expect(read.doubt).toContain('barcode-missing');
  });

  it("doubts printed digits that disagree with the sheet's other code", async () => {
    const other = code('1', '011409002');
    const { img, t } = await coarseScan(await printedPage(def, texts, new Map([['sheet-number', other]])));
    const read = await readSheetBarcodes(img, t, def);
    expect(read.barcodes.find((b) => b.role === 'sheet-number')?.text).toBe(other);
    expect(read.doubt).toContain('barcode-disagreement');
    expect(read.sheetNumber).toBeUndefined();
  });

  it('doubts a lone EAN-13 whose bars and printed digits disagree', async () => {
    const registration = findShippedForm('ege-registration');
    const role = registration.barcodes[0]!.role;
    const bars = ean13WithCheckDigit('100000000001');
    const page = await printedPage(
      registration,
      new Map([[role, bars]]),
      new Map([[role, ean13WithCheckDigit('100000000002')]]),
    );
    const read = await readSheetBarcodes(page, PAGE_TO_PX, registration);
    expect(read.barcodes).toEqual([{ role, format: 'ean13', text: bars }]);
    expect(read.doubt).toContain('barcode-disagreement');
    expect(read.sheetNumber).toBeUndefined();
  });
});
