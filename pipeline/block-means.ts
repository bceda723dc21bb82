/**
 * A black-and-white page that libvips decoded (a G4 TIFF, a 1-bit TIFF or PNG that `decodeBitsPng` leaves, a
 * dithered page saved as an 8-bit file) read at half size, each pixel the mean of its 2x2 block: the same
 * descreen as `decodeBitsPng`'s half size, with the same rounding, so one page comes out the same whichever
 * file it arrived in.
 */
import type { GreyImage } from './image.ts';

/** Every this many pixels is looked at: a page of 10 Mpx is judged on 160,000, in well under a millisecond. */
const BILEVEL_STEP = 61;

/**
 * Whether the page holds two grey levels only, as far as a sparse sample shows: what a 1-bit scan decodes to.
 * A grey scan, even of clean print, has edge pixels in between, and a sample this dense meets them.
 */
export function isBilevel(image: GreyImage): boolean {
  const { data } = image;
  const first = data[0]!;
  let other = -1;
  for (let i = BILEVEL_STEP; i < data.length; i += BILEVEL_STEP) {
    const v = data[i]!;
    if (v === first || v === other) continue;
    if (other >= 0) return false;
    other = v;
  }
  return true;
}

/** The page at half size (width and height rounded up), each pixel its 2x2 block's mean; an odd last row or
 * column counts twice, as in `decodeBitsPng`. */
export function halveByBlockMeans(image: GreyImage): GreyImage {
  const { data, width, height } = image;
  const w = Math.ceil(width / 2);
  const h = Math.ceil(height / 2);
  const pairs = width >> 1;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const upper = 2 * y * width;
    const lower = Math.min(2 * y + 1, height - 1) * width;
    const row = y * w;
    for (let x = 0; x < pairs; x++) {
      const a = upper + 2 * x;
      const b = lower + 2 * x;
      out[row + x] = (data[a]! + data[a + 1]! + data[b]! + data[b + 1]! + 2) >> 2;
    }
    if (width % 2 === 1)
      out[row + w - 1] = (2 * (data[upper + width - 1]! + data[lower + width - 1]!) + 2) >> 2;
  }
  return { data: out, width: w, height: h };
}
