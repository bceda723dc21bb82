/**
 * The image a verifier decides by: the field's area of the stored page, sampled upright through the page's
 * registration (never a whole-page warp), with a margin so the neighbouring print gives context.
 */
import sharp from 'sharp';
import type { FormDefinition } from '../calibration/form-schema.ts';
import { expandForm, type Rect } from '../calibration/forms.ts';
import { openSource } from '../pipeline/decode.ts';
import { sourceField } from '../pipeline/derive.ts';
import type { Matrix3 } from '../pipeline/geometry.ts';
import { inflate, sampleRect } from '../pipeline/sampling.ts';
import { SHEET_NUMBER_TASK } from '../storage/verification.ts';
import type { StageDeps } from '../workers/stages/ingest.ts';

const CROP_PX_PER_MM = 8;
const MARGIN_MM = 1.5;

function union(rects: Rect[]): Rect {
  const x0 = Math.min(...rects.map((r) => r.x));
  const y0 = Math.min(...rects.map((r) => r.y));
  const x1 = Math.max(...rects.map((r) => r.x + r.w));
  const y1 = Math.max(...rects.map((r) => r.y + r.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Where a field (or the sheet number's barcode) is printed on its form, mm. */
export function fieldArea(def: FormDefinition, field: string): Rect | null {
  if (field === SHEET_NUMBER_TASK) return def.barcodes.find((b) => b.role === 'sheet-number') ?? null;
  const f = sourceField(expandForm(def), field);
  if (!f) return null;
  return f.kind === 'writing' ? f.area : union(f.rects);
}

/** PNG of the field's area on its page; null when the page has no registration or the form no such field. */
export async function fieldCrop(
  deps: StageDeps,
  forms: FormDefinition[],
  pageId: string,
  field: string,
): Promise<Uint8Array | null> {
  const [page] = await deps.db.query<{
    object_key: string;
    page_index: number;
    form: string | null;
    transform: Matrix3 | null;
  }>(
    `select i.object_key, p.page_index, p.form, p.recognition->'registration'->'transform' as transform
     from pages p join images i on i.sha256 = p.image_sha256 where p.id = $1`,
    [pageId],
  );
  const def = forms.find((f) => f.id === page?.form);
  const area = def && fieldArea(def, field);
  if (!page?.transform || !area) return null;
  const img = await (await openSource(await deps.objects.get(page.object_key))).page(page.page_index);
  const tile = sampleRect(img, page.transform, inflate(area, MARGIN_MM), CROP_PX_PER_MM);
  return new Uint8Array(
    await sharp(tile.data, { raw: { width: tile.width, height: tile.height, channels: 1 } })
      .png()
      .toBuffer(),
  );
}
