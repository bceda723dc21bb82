/**
 * Images people decide by, sampled upright through each page's registration: a verifier's field crop (the
 * field's area with a margin, so the neighbouring print gives context) and a whole page, which for an expert
 * is blanked wherever its form says the sheet can be identified.
 */

import sharp from 'sharp';
import { type Bar, barChart, csv } from '../domain/analytics.ts';
import { expandForm, type Rect, redactionAreas, type SheetKind } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { openSource } from '../pipeline/decode.ts';
import { sourceField } from '../pipeline/derive.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { printedDigitsArea } from '../pipeline/printed-digits.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import { sampleRect } from '../pipeline/sampling.ts';
import type { Adapters } from './adapters.ts';
import { pageRegistration, pageSource } from './store/pages.ts';

const CROP_PX_PER_MM = 8;
/**
 * A field's crop shows its surroundings: at least this margin on every side, and at least this size, grown
 * evenly around a small field (a single cell or bubble) so the station never blows it up alone into a blur.
 */
const CONTEXT_MM = 3;
const MIN_CROP_MM = { w: 40, h: 14 };

function union(rects: Rect[]): Rect {
  const x0 = Math.min(...rects.map((r) => r.x));
  const y0 = Math.min(...rects.map((r) => r.y));
  const x1 = Math.max(...rects.map((r) => r.x + r.w));
  const y1 = Math.max(...rects.map((r) => r.y + r.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * Where a field is printed on its form, mm. The sheet number is its barcode, an EAN-13 with the digits
 * printed under it: the verifier checks the number by those digits.
 */
export function fieldArea(def: FormDefinition, field: string): Rect | null {
  if (field === SHEET_NUMBER_TASK) {
    const b = def.barcodes.find((c) => c.role === 'sheet-number');
    if (!b) return null;
    return b.symbology === 'ean13' ? printedDigitsArea(b) : b;
  }
  const f = sourceField(expandForm(def), field);
  if (!f) return null;
  return f.kind === 'writing' ? f.area : union(f.rects);
}

async function registeredPage(deps: Adapters, pageId: string) {
  const page = await pageRegistration(deps.db, pageId);
  if (!page?.transform) return null;
  const image = await (await openSource(await deps.objects.get(page.objectKey))).page(page.pageIndex);
  return { form: page.form, transform: page.transform, image };
}

async function encode(
  tile: { data: Uint8Array; width: number; height: number },
  format: 'png' | 'jpeg' = 'png',
): Promise<Uint8Array> {
  const raw = sharp(tile.data, { raw: { width: tile.width, height: tile.height, channels: 1 } });
  return new Uint8Array(await (format === 'png' ? raw.png() : raw.jpeg({ quality: 85 })).toBuffer());
}

/**
 * Who a whole page is for. An expert checks blind: their image exists only for answer sheets 2 and is blanked
 * where the form can name the sheet (`redactionAreas`: barcodes, link fields, listed regions), since sheet
 * number -> kit -> registration names the participant. The appeal commission's kit matches pages to the
 * participant anyway and keeps the page whole; so does the publication of a participant's own sheets.
 */
export type Audience = 'expert' | 'appeal-commission' | 'publication';

const EXPERT_KINDS: ReadonlySet<SheetKind> = new Set(['answer-sheet-2', 'additional-answer-sheet-2']);

/** Paints each area (mm) paper-white on a tile sampled from the page's origin, every pixel it touches. */
function blank(tile: GreyImage, areas: Rect[], pxPerMm: number): void {
  for (const r of areas) {
    const x0 = Math.max(0, Math.floor(r.x * pxPerMm));
    const x1 = Math.min(tile.width, Math.ceil((r.x + r.w) * pxPerMm));
    const y0 = Math.max(0, Math.floor(r.y * pxPerMm));
    const y1 = Math.min(tile.height, Math.ceil((r.y + r.h) * pxPerMm));
    for (let y = y0; y < y1 && x0 < x1; y++) tile.data.fill(255, y * tile.width + x0, y * tile.width + x1);
  }
}

/**
 * A whole page as its form lays it out: upright and square whatever the scan's skew, at `pxPerMm` (the
 * expert's view of an answer sheet 2; a printed kit's page), as PNG or JPEG, redacted for an expert before it
 * is encoded. Null when the page has no registration, or is no answer sheet 2 and the audience an expert.
 */
export async function pageImage(
  deps: Adapters,
  forms: FormDefinition[],
  pageId: string,
  audience: Audience,
  opts: { pxPerMm?: number; format?: 'png' | 'jpeg' } = {},
): Promise<Uint8Array | null> {
  const page = await registeredPage(deps, pageId);
  const def = forms.find((f) => f.id === page?.form);
  if (!page || !def) return null;
  if (audience === 'expert' && !EXPERT_KINDS.has(def.kind)) return null;
  const pxPerMm = opts.pxPerMm ?? 5;
  const tile = sampleRect(
    page.image,
    page.transform,
    { x: 0, y: 0, w: def.page.width, h: def.page.height },
    pxPerMm,
  );
  if (audience === 'expert') blank(tile, redactionAreas(def), pxPerMm);
  return encode(tile, opts.format);
}

/**
 * A page as it was scanned (no registration needed: an operator looks at why a page was rejected), scaled to
 * `width` pixels, JPEG. Null when the page cannot be decoded at all.
 */
export async function pagePreview(deps: Adapters, pageId: string, width = 900): Promise<Uint8Array | null> {
  const page = await pageSource(deps.db, pageId);
  if (!page) return null;
  try {
    const image = await (await openSource(await deps.objects.get(page.objectKey))).page(page.pageIndex);
    const raw = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } });
    return new Uint8Array(
      await raw.resize({ width, withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer(),
    );
  } catch {
    return null;
  }
}

/** The field's area with its context (CONTEXT_MM, MIN_CROP_MM), kept on the page where the page allows. */
export function cropRegion(area: Rect, page: { width: number; height: number }): Rect {
  const grow = (start: number, size: number, min: number, limit: number) => {
    const s = Math.max(size + 2 * CONTEXT_MM, min);
    const from = start - (s - size) / 2;
    return { from: Math.max(0, Math.min(from, limit - s)), size: s };
  };
  const x = grow(area.x, area.w, MIN_CROP_MM.w, page.width);
  const y = grow(area.y, area.h, MIN_CROP_MM.h, page.height);
  return { x: x.from, y: y.from, w: x.size, h: y.size };
}

/** PNG of the field's area on its page; null when the page has no registration or the form no such field. */
export async function fieldCrop(
  deps: Adapters,
  forms: FormDefinition[],
  pageId: string,
  field: string,
): Promise<Uint8Array | null> {
  const page = await registeredPage(deps, pageId);
  const def = forms.find((f) => f.id === page?.form);
  const area = def && fieldArea(def, field);
  if (!page || !area) return null;
  return encode(sampleRect(page.image, page.transform, cropRegion(area, def.page), CROP_PX_PER_MM));
}

/** A figure of analytics: its table and its bar chart. */
export interface Figure {
  header: string[];
  rows: (string | number | boolean | null)[][];
  title: string;
  bars: Bar[];
  /** The chart's full height (100 for percentages); the largest bar when not given. */
  max?: number;
}

export interface FigureFile {
  bytes: Uint8Array;
  mediaType: string;
  fileName: string;
}

/** A figure as a file: its table as CSV, its chart as SVG, or the chart rasterised as PNG by sharp (librsvg). */
export async function figureFile(
  figure: Figure,
  format: 'csv' | 'svg' | 'png',
  name: string,
): Promise<FigureFile> {
  const fileName = `${name}.${format}`;
  if (format === 'csv')
    return { bytes: csv(figure.header, figure.rows), mediaType: 'text/csv; charset=utf-8', fileName };
  const svg = barChart(figure.title, figure.bars, figure.max);
  if (format === 'svg')
    return { bytes: new TextEncoder().encode(svg), mediaType: 'image/svg+xml; charset=utf-8', fileName };
  return {
    bytes: new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer()),
    mediaType: 'image/png',
    fileName,
  };
}
