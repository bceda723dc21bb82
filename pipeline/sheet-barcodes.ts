/**
 * A sheet's barcodes, read where the form puts them and cross-checked: a single EAN-13 read can be a
 * checksum-valid misread (shared/forms/ege-answer-sheet-1.md §3), so every code of one sheet must agree on the
 * digits the definition names, and a disagreement is a doubt, never a pick.
 */
import type { FormDefinition } from '../calibration/form-schema.ts';
import { readBarcodes } from './barcodes.ts';
import type { Matrix3 } from './geometry.ts';
import type { GreyImage } from './image.ts';
import type { BarcodeDoubt, RecognisedBarcode } from './result.ts';
import { inflate, sampleRect } from './sampling.ts';

/** Barcode crops are sampled at ~300 dpi: 6 px per 0.5 mm module. */
const BARCODE_PX_PER_MM = 12;
const QUIET_ZONE_MM = 3;

export interface SheetBarcodes {
  barcodes: RecognisedBarcode[];
  sheetNumber?: string;
  doubt: BarcodeDoubt[];
}

export async function readSheetBarcodes(
  img: GreyImage,
  t: Matrix3,
  def: FormDefinition,
): Promise<SheetBarcodes> {
  const barcodes: RecognisedBarcode[] = [];
  for (const b of def.barcodes) {
    const tile = sampleRect(img, t, inflate(b, QUIET_ZONE_MM), BARCODE_PX_PER_MM, b.rotation);
    let reads = await readBarcodes(tile, { formats: [b.symbology], maxSymbols: 1 });
    if (reads.length === 0)
      reads = await readBarcodes(tile, { formats: [b.symbology], maxSymbols: 1, tryHarder: true });
    const read = reads[0];
    if (read) barcodes.push({ role: b.role, format: b.symbology, text: read.text });
  }
  const doubt: BarcodeDoubt[] = [];
  if (barcodes.length < def.barcodes.length) doubt.push('barcode-missing');
  const numbers = barcodes.map((b) => (b.format === 'qr' ? b.text.slice(0, 13) : b.text));
  const rule = def.sheetNumber;
  if (rule?.agree && numbers.length > 1) {
    const [from, to] = rule.agree;
    const parts = new Set(numbers.map((n) => n.slice(from, to)));
    if (parts.size > 1) doubt.push('barcode-disagreement');
  }
  const primary = barcodes.find((b) => b.format === 'ean13') ?? barcodes[0];
  const sheetNumber = primary
    ? primary.format === 'qr'
      ? primary.text.slice(0, 13)
      : primary.text
    : undefined;
  if (rule && sheetNumber !== undefined && !new RegExp(rule.pattern).test(sheetNumber))
    doubt.push('barcode-pattern');
  return {
    barcodes,
    doubt,
    ...(sheetNumber !== undefined && !doubt.includes('barcode-disagreement') && { sheetNumber }),
  };
}

/** Does a read sheet number identify this form? */
export function matchesForm(def: FormDefinition, sheetNumber: string | undefined): boolean {
  return (
    sheetNumber !== undefined &&
    def.sheetNumber !== undefined &&
    new RegExp(def.sheetNumber.pattern).test(sheetNumber)
  );
}
