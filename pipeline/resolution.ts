/**
 * The least scan resolution a form's reading needs, from what the form holds: a page may be decoded smaller
 * than it was scanned, down to this, and nothing is read worse for it.
 */
import { expandForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { CELL_PX_PER_MM } from './cells.ts';
import { WRITING_PX_PER_MM } from './writing.ts';

export const RESOLUTION_NEEDS = {
  /** Pixels across a bubble's smaller side: its fill and the ring around it stay measurable. */
  bubblePx: 10,
  /** Pixels per barcode module: below about 2 the decoder loses EAN-13s (78-dpi sheets of issue 14). */
  barcodeModulePx: 2.5,
  /** Pixels across the thinnest registration mark, so that its centre of ink is still found. */
  markPx: 3,
  /** Modules across a QR code, whose version the definition does not give: up to version 6. */
  qrModules: 41,
} as const;

const EAN13_MODULES = 95;

/** Per parsed definition: every page of a batch asks again. */
const known = new WeakMap<FormDefinition, number>();

/** Pixels per page millimetre the form's fields, barcodes and marks need. */
export function formPxPerMm(def: FormDefinition): number {
  const cached = known.get(def);
  if (cached !== undefined) return cached;
  const needs: number[] = [];
  for (const f of expandForm(def).fields) {
    // Characters are sampled at a fixed resolution, and the classifier was trained at it.
    if (f.kind === 'cells' || f.kind === 'link') needs.push(CELL_PX_PER_MM);
    else if (f.kind === 'writing') needs.push(WRITING_PX_PER_MM);
    else for (const r of f.rects) needs.push(RESOLUTION_NEEDS.bubblePx / Math.min(r.w, r.h));
  }
  for (const b of def.barcodes) {
    const length = b.rotation % 180 === 0 ? b.w : b.h;
    const modules = b.symbology === 'ean13' ? EAN13_MODULES : RESOLUTION_NEEDS.qrModules;
    needs.push((RESOLUTION_NEEDS.barcodeModulePx * modules) / length);
  }
  for (const m of [...def.marks, ...def.anchors]) needs.push(RESOLUTION_NEEDS.markPx / Math.min(m.w, m.h));
  const need = Math.max(...needs);
  known.set(def, need);
  return need;
}

/** What the candidate forms need together: the page is not yet known to be any one of them. */
export function pageNeeds(forms: readonly FormDefinition[]): { pxPerMm: number; longSideMm: number } {
  return {
    pxPerMm: Math.max(0, ...forms.map(formPxPerMm)),
    longSideMm: Math.max(0, ...forms.map((f) => Math.max(f.page.width, f.page.height))),
  };
}
