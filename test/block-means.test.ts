/**
 * Black-and-white pages at half size after libvips: the test for two levels, and the 2x2 block means with the
 * same rounding and edges as the 1-bit PNG decoder's.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { halveByBlockMeans, isBilevel, isDithered } from '../pipeline/block-means.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { decodeBitsPng } from '../pipeline/png-bits.ts';
import { ditherToBits } from '../samples/bilevel.ts';

/** A page of random dots of the two levels, the same for the same seed. */
function dots(width: number, height: number, seed: number, [zero, one] = [0, 255]): GreyImage {
  const data = new Uint8Array(width * height);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s & 0x10000 ? one : zero;
  }
  return { data, width, height };
}

describe('isBilevel', () => {
  it.each([
    ['black and white', [0, 255], true],
    ['two other greys', [40, 210], true],
  ] as const)('holds for a page of %s', (_, levels, expected) => {
    expect(isBilevel(dots(400, 300, 5, [...levels]))).toBe(expected);
  });

  it('fails for a third level among the pixels it samples, and for a blank page of one level too', () => {
    const page = dots(400, 300, 5);
    page.data[61 * 700] = 128;
    expect(isBilevel(page)).toBe(false);
    expect(isBilevel({ data: new Uint8Array(400 * 300).fill(255), width: 400, height: 300 })).toBe(true);
  });

  it('fails for a page in grey tones', async () => {
    const svg =
      '<svg width="300" height="400"><rect width="300" height="400" fill="#fff"/><circle cx="150" cy="200" r="90"/></svg>';
    const { data, info } = await sharp(Buffer.from(svg))
      .blur(3) // a scanner's optics: every edge a ramp of greys
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(isBilevel({ data, width: info.width, height: info.height })).toBe(false);
  });
});

/** Decoded 8-bit grey pixels of an image file, as libvips gives them. */
async function greyOf(bytes: Buffer): Promise<GreyImage> {
  const { data, info } = await sharp(bytes).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

describe('isDithered', () => {
  // A light page: paper at 235 down to a grey band at 160, as a scanner's paper and a printed tint are.
  const width = 600;
  const height = 800;
  const tones = new Uint8Array(width * height).map((_, i) => (Math.floor(i / width) % 200 < 40 ? 160 : 235));
  const raw = (data: Uint8Array) => sharp(data, { raw: { width, height, channels: 1 } });

  it('holds for a dithered page, as an 8-bit PNG and as a JPEG', async () => {
    const dots = ditherToBits(tones, width);
    expect(isDithered({ data: dots, width, height })).toBe(true);
    expect(isDithered(await greyOf(await raw(dots).jpeg({ quality: 75 }).toBuffer()))).toBe(true);
  });

  it('fails for the same page in grey tones, and for one-pixel rules, which continue up or down', async () => {
    expect(isDithered(await greyOf(await raw(tones).jpeg({ quality: 75 }).toBuffer()))).toBe(false);
    // A low-resolution scan of a ruled table: a one-pixel line every fourth column.
    const rules = new Uint8Array(width * height).map((_, i) => (i % 4 === 0 ? 0 : 255));
    expect(isDithered({ data: rules, width, height })).toBe(false);
    expect(isBilevel({ data: rules, width, height })).toBe(true);
  });
});

describe('halveByBlockMeans', () => {
  it.each([
    [256, 200],
    [203, 211],
    [333, 222],
    [1001, 231],
  ])('halves a %ix%i page as the 1-bit PNG decoder does', async (width, height) => {
    const page = dots(width, height, width + height);
    const png = await sharp(page.data, { raw: { width, height, channels: 1 } })
      .png({ palette: true, colours: 2 })
      .toBuffer();
    const expected = decodeBitsPng(png, true)!;
    const half = halveByBlockMeans(page);
    expect([half.width, half.height]).toEqual([Math.ceil(width / 2), Math.ceil(height / 2)]);
    expect(Buffer.compare(half.data, expected.data)).toBe(0);
  });

  it('takes the rounded mean of each block, a last odd row or column counted twice', () => {
    // 3x3: blocks of 4 pixels, 2 (the last column), 2 (the last row) and 1 (the corner).
    const page = { data: Uint8Array.from([0, 255, 255, 255, 255, 0, 0, 0, 255]), width: 3, height: 3 };
    expect([...halveByBlockMeans(page).data]).toEqual([191, 128, 0, 255]);
  });
});
