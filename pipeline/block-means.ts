/**
 * A black-and-white or dithered page that libvips decoded (a G4 TIFF, a 1-bit TIFF or PNG that `decodeBitsPng`
 * leaves, a dithered page saved as an 8-bit file or a JPEG) read at half size, each pixel the mean of its 2x2
 * block: the same descreen as `decodeBitsPng`'s half size, with the same rounding, so one page comes out the
 * same whichever file it arrived in.
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

/** Every this many rows is looked at for dots. */
const DOT_ROW_STEP = 32;
/** How much darker or lighter than its four neighbours a pixel must be to be a dot. */
const DOT_CONTRAST = 96;
/**
 * The share of dots above which a page is dithered: dithered pages held 1.8-6.3% (PNG or JPEG, 200 and 300
 * dpi), grey scans and photos at most 0.07% (the OMRChecker samples; a low-resolution scan's one-pixel rules
 * are no dots, as they continue up or down).
 */
const DITHERED_SHARE = 0.0025;

/**
 * Whether the page is a dither, as far as every 32nd row shows: pixels much darker or lighter than all four
 * neighbours (single dots) are common on a dithered page even after JPEG, and rare on any grey scan, where
 * the optics spread every edge over more than a pixel.
 */
export function isDithered(image: GreyImage): boolean {
  const { data, width, height } = image;
  let dots = 0;
  let seen = 0;
  for (let y = 1; y < height - 1; y += DOT_ROW_STEP) {
    const row = y * width;
    for (let i = row + 1; i < row + width - 1; i++) {
      const v = data[i]!;
      const a = data[i - 1]!;
      const b = data[i + 1]!;
      const u = data[i - width]!;
      const d = data[i + width]!;
      if (
        (a - v > DOT_CONTRAST && b - v > DOT_CONTRAST && u - v > DOT_CONTRAST && d - v > DOT_CONTRAST) ||
        (v - a > DOT_CONTRAST && v - b > DOT_CONTRAST && v - u > DOT_CONTRAST && v - d > DOT_CONTRAST)
      )
        dots++;
    }
    seen += width - 2;
  }
  return seen > 0 && dots > DITHERED_SHARE * seen;
}

/**
 * The page at half size (width and height rounded up), each pixel its 2x2 block's mean; an odd last row or
 * column counts twice, as in `decodeBitsPng`.
 */
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
