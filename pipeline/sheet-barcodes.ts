/**
 * A sheet's barcodes, read where the form puts them and cross-checked: a single EAN-13 read can be a
 * checksum-valid misread (shared/forms/ege-answer-sheet-1.md §3), so every code of one sheet must agree on the
 * digits the definition names, and a disagreement is a doubt, never a pick. An EAN-13 whose bars cannot be
 * decoded (a 78-dpi scan) is read from the digits printed under it, which must then carry a valid check digit.
 */
import type { FormDefinition } from '../forms/schema.ts';
import { ean13CheckDigitValid, readBarcodes } from './barcodes.ts';
import type { Matrix3 } from './geometry.ts';
import type { GreyImage } from './image.ts';
import { readPrintedDigits } from './printed-digits.ts';
import type { BarcodeDoubt, RecognisedBarcode } from './result.ts';
import { inflate, sampleRect } from './sampling.ts';

/** Barcode crops are sampled at ~300 dpi: 6 px per 0.5 mm module. */
const BARCODE_PX_PER_MM = 12;
const QUIET_ZONE_MM = 3;
export const SHEET_NUMBER_ROLE = 'sheet-number';
/** A second, independent sampling (≈ 200 dpi) for confirming a code that has no sibling to agree with. */
const CONFIRM_PX_PER_MM = 8;

type Barcode = FormDefinition['barcodes'][number];

export interface SheetBarcodes {
  barcodes: RecognisedBarcode[];
  sheetNumber?: string;
  doubt: BarcodeDoubt[];
}

async function readOne(img: GreyImage, t: Matrix3, b: Barcode, pxPerMm: number): Promise<string | undefined> {
  const tile = sampleRect(img, t, inflate(b, QUIET_ZONE_MM), pxPerMm, b.rotation);
  let reads = await readBarcodes(tile, { formats: [b.symbology], maxSymbols: 1 });
  if (reads.length === 0)
    reads = await readBarcodes(tile, { formats: [b.symbology], maxSymbols: 1, tryHarder: true });
  return reads[0]?.text;
}

const numberOf = (b: RecognisedBarcode) => (b.format === 'qr' ? b.text.slice(0, 13) : b.text);

export async function readSheetBarcodes(
  img: GreyImage,
  t: Matrix3,
  def: FormDefinition,
): Promise<SheetBarcodes> {
  const barcodes: RecognisedBarcode[] = [];
  for (const b of def.barcodes) {
    const text = await readOne(img, t, b, BARCODE_PX_PER_MM);
    if (text !== undefined) barcodes.push({ role: b.role, format: b.symbology, text });
    else if (b.symbology === 'ean13') {
      // Bars too coarse or damaged to decode: the digits printed under them are the same number, and count
      // only when every one is read clearly and the check digit holds.
      const printed = readPrintedDigits(img, t, b);
      if (printed.confident && ean13CheckDigitValid(printed.text))
        barcodes.push({ role: b.role, format: 'ean13', text: printed.text, from: 'printed-digits' });
    }
  }
  const doubt: BarcodeDoubt[] = [];
  if (barcodes.length < def.barcodes.length) doubt.push('barcode-missing');
  const rule = def.sheetNumber;
  if (rule?.agree && barcodes.length > 1) {
    const [from, to] = rule.agree;
    if (new Set(barcodes.map((b) => numberOf(b).slice(from, to))).size > 1)
      doubt.push('barcode-disagreement');
  }
  const only = barcodes.length === 1 ? barcodes[0] : undefined;
  const onlyDef = def.barcodes.find((b) => b.role === only?.role);
  if (only && onlyDef && only.format === 'ean13' && only.from === undefined) {
    // One EAN-13 and nothing to cross-check it with: its printed digits, when they read clearly, must say the
    // same; otherwise the bars are read again from a differently sampled crop.
    const printed = readPrintedDigits(img, t, onlyDef);
    const again = printed.confident ? printed.text : await readOne(img, t, onlyDef, CONFIRM_PX_PER_MM);
    if (again === undefined) doubt.push('barcode-unconfirmed');
    else if (again !== only.text) doubt.push('barcode-disagreement');
  }
  // The sheet's number is its 'sheet-number' code; the others only vouch for it (on AS1 they differ from it
  // in the code-type digit), so without that code there is no number to give.
  const primary = barcodes.find((b) => b.role === SHEET_NUMBER_ROLE);
  const sheetNumber = primary ? numberOf(primary) : undefined;
  if (rule && sheetNumber !== undefined && !new RegExp(rule.pattern).test(sheetNumber))
    doubt.push('barcode-pattern');
  // The number stands when its reads agree; whether it fits this form is for the caller to judge.
  const trusted = !doubt.includes('barcode-disagreement') && !doubt.includes('barcode-unconfirmed');
  return { barcodes, doubt, ...(sheetNumber !== undefined && trusted && { sheetNumber }) };
}

/** Does a read sheet number identify this form? */
export function matchesForm(def: FormDefinition, sheetNumber: string | undefined): boolean {
  return (
    sheetNumber !== undefined &&
    def.sheetNumber !== undefined &&
    new RegExp(def.sheetNumber.pattern).test(sheetNumber)
  );
}
