/**
 * The synthetic sample generator: a form definition and a seed in, a degraded page image and its ground truth
 * out. Deterministic: the same (form, seed, profile) gives the same bytes.
 */

import type { ExpandedForm } from '../forms/definitions.ts';
import { expandForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { type Matrix3, multiply3 } from '../pipeline/geometry.ts';
import { drawBarcodes, ean13WithCheckDigit } from '../render/barcodes.ts';
import { copyImage, type GreyImage, PX_PER_MM, renderBlankForm } from '../render/form.ts';
import { type DegradeParams, type DegradeProfile, degrade, randomDegradeParams } from './degrade.ts';
import { type FieldTruth, type FillOptions, fillForm } from './fill.ts';
import { createRng, type Rng } from './rng.ts';

export interface SheetTruth {
  form: string;
  seed: number;
  profile: DegradeProfile;
  sheetNumber: string | null;
  barcodes: { role: string; format: 'ean13' | 'qr'; text: string }[];
  fields: Record<string, FieldTruth>;
  /** Page millimetres → output image pixels (pixel centres at +0.5, as the pipeline's sampling assumes). */
  transform: Matrix3;
  degrade: DegradeParams;
}

export interface GeneratedSheet {
  image: Uint8Array;
  format: 'png' | 'jpeg';
  truth: SheetTruth;
}

/** On the EGE AS1 the third digit tells the codes of one sheet apart (§3 of the form spec). */
const CODE_TYPE_DIGIT: Record<string, string> = {
  'sheet-number': '1',
  'sheet-qr': '2',
  'sheet-number-vertical': '3',
};

function sheetCodes(
  def: FormDefinition,
  rng: Rng,
): { sheetNumber: string | null; texts: Map<string, string> } {
  const digits = (n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('');
  const body = digits(sheetBodyDigits(def));
  return sheetCodeTexts(def, body, () => qrTail(rng));
}

/**
 * A QR's payload after the sheet number. The real one has 128 lower-case hex digits; in byte mode that does
 * not fit version 10 at level H, so the generator writes them upper-case (alphanumeric mode) and keeps the
 * printed 57-module geometry.
 */
export function qrTail(rng: Rng): string {
  return Array.from({ length: 128 }, () => rng.int(0, 15).toString(16).toUpperCase()).join('');
}

/** How many digits make a sheet of this form unique: `sheetCodeTexts`' body. */
export function sheetBodyDigits(def: FormDefinition): number {
  const agree = def.sheetNumber?.agree;
  return agree ? 12 - agree[0] : 11;
}

/**
 * The texts of a sheet's codes from the digits that make it unique (`sheetBodyDigits` of them) and each QR's
 * tail after the number (asked once per code, in the form's order); the sheet number is the primary EAN-13's.
 */
export function sheetCodeTexts(
  def: FormDefinition,
  body: string,
  qrTail: () => string,
): { sheetNumber: string | null; texts: Map<string, string> } {
  const texts = new Map<string, string>();
  const lead = /^\^(\d)/.exec(def.sheetNumber?.pattern ?? '')?.[1] ?? '9';
  const agree = def.sheetNumber?.agree;
  for (const b of def.barcodes) {
    const first12 = agree ? `${lead}6${CODE_TYPE_DIGIT[b.role] ?? '0'}${body}` : `${lead}${body}`;
    const ean = ean13WithCheckDigit(first12);
    const tail = qrTail();
    texts.set(b.role, b.symbology === 'qr' ? ean + tail : ean);
  }
  const primary = def.barcodes.find((b) => b.symbology === 'ean13') ?? def.barcodes[0];
  const primaryText = primary ? texts.get(primary.role) : undefined;
  return { sheetNumber: primaryText ? primaryText.slice(0, 13) : null, texts };
}

/** The filled, clean page at 300 dpi with its truth; degradation comes after. */
export async function renderFilledSheet(
  form: ExpandedForm,
  seed: number,
  fill: FillOptions = {},
): Promise<{
  page: GreyImage;
  sheetNumber: string | null;
  barcodes: SheetTruth['barcodes'];
  fields: Record<string, FieldTruth>;
}> {
  const rng = createRng(`${form.definition.id}:${seed}`);
  const page = copyImage(await renderBlankForm(form));
  const { sheetNumber, texts } = sheetCodes(form.definition, rng.fork('codes'));
  await drawBarcodes(page, form.definition, texts);
  const fields = fillForm(page, form, rng.fork('fill'), fill);
  const barcodes = form.definition.barcodes.map((b) => ({
    role: b.role,
    format: b.symbology,
    text: texts.get(b.role) ?? '',
  }));
  return { page, sheetNumber, barcodes, fields };
}

export async function generateSheet(
  def: FormDefinition,
  seed: number,
  profile: DegradeProfile,
  fill: FillOptions = {},
  /** Fixed values over the profile's random ones (the committed corpus pins JPEG quality to stay small). */
  overrides: Partial<DegradeParams> = {},
): Promise<GeneratedSheet> {
  const form = expandForm(def);
  const { page, sheetNumber, barcodes, fields } = await renderFilledSheet(form, seed, fill);
  const rng = createRng(`${def.id}:${seed}:${profile}`);
  const params = { ...randomDegradeParams(rng.fork('params'), profile), ...overrides };
  const out = await degrade(page, params, rng.fork('degrade'));
  // degrade() puts pixel centres at integers; the pipeline at +0.5: shift on both sides of its transform.
  const mmToSource: Matrix3 = [PX_PER_MM, 0, -0.5, 0, PX_PER_MM, -0.5, 0, 0, 1];
  const transform = multiply3([1, 0, 0.5, 0, 1, 0.5, 0, 0, 1], multiply3(out.transform, mmToSource));
  return {
    image: out.image,
    format: out.format,
    truth: { form: def.id, seed, profile, sheetNumber, barcodes, fields, transform, degrade: out.params },
  };
}
