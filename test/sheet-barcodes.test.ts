/**
 * A sheet's codes must agree on the digits its definition names (EGE AS1: digits 3-11 of every code): a
 * checksum-valid misread of one code is a doubt on the sheet and leaves it without a number, never a pick.
 */
import { describe, expect, it } from 'vitest';
import { expandForm, findShippedForm } from '../forms/definitions.ts';
import type { Matrix3 } from '../pipeline/geometry.ts';
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
