/**
 * Features a form declares to be told apart from another design that shares its marks (two variants of one
 * OMR system, 75 and 150 questions, with the same corner marks and no barcode): regions where print must be
 * present, or the paper blank. A region is judged by its share of inked 0.5-mm blocks, not by its mean
 * darkness, so a dithered scan's scattered dots on blank paper do not read as print.
 */
import type { FormDefinition, FormFeature } from '../forms/schema.ts';
import type { Matrix3 } from './geometry.ts';
import type { GreyImage } from './image.ts';
import { sampleRect } from './sampling.ts';

export const FEATURE_INK = {
  /** Samples per mm; blocks of BLOCK x BLOCK samples are averaged (0.5 mm). */
  pxPerMm: 8,
  block: 4,
  /** A block this dark (share of the paper level) holds print. */
  dark: 0.25,
  /**
   * Print is present when at least this share of blocks holds it, absent when at most this one does (a
   * column of bubbles: 0.05-0.15 on scans from 84 dpi to harsh phone photos; blank paper, dithered or not: 0).
   */
  present: 0.03,
  absent: 0.01,
} as const;

/** Share of the region's 0.5-mm blocks that hold print. */
export function inkShare(img: GreyImage, t: Matrix3, feature: FormFeature, paper: number): number {
  const { pxPerMm, block, dark } = FEATURE_INK;
  const tile = sampleRect(img, t, feature, pxPerMm);
  const cols = Math.floor(tile.width / block);
  const rows = Math.floor(tile.height / block);
  let inked = 0;
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      let sum = 0;
      for (let y = 0; y < block; y++)
        for (let x = 0; x < block; x++) sum += tile.data[(by * block + y) * tile.width + bx * block + x]!;
      if ((paper - sum / (block * block)) / paper >= dark) inked++;
    }
  }
  return cols * rows > 0 ? inked / (cols * rows) : 0;
}

/**
 * Whether the page looks like this form where it declares features: `none` when it declares none, `fail`
 * when any region is not as declared (including one in between, neither clearly printed nor blank).
 */
export function checkFeatures(
  img: GreyImage,
  t: Matrix3,
  def: FormDefinition,
  paper: number,
): 'none' | 'hold' | 'fail' {
  const features = def.features ?? [];
  if (features.length === 0) return 'none';
  const holds = features.every((f) => {
    const share = inkShare(img, t, f, paper);
    return f.ink === 'present' ? share >= FEATURE_INK.present : share <= FEATURE_INK.absent;
  });
  return holds ? 'hold' : 'fail';
}
