/**
 * The 1-bit PNG fast path: every row filter and ragged width decoded to libvips' pixels, anything else left to
 * libvips, and a broken file rejected as such, never read as something.
 */
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openSource } from '../pipeline/decode.ts';
import { PageRejection } from '../pipeline/page-rejection.ts';
import { decodeBitsPng } from '../pipeline/png-bits.ts';

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

interface PngOptions {
  depth?: number;
  interlace?: number;
  /** Filter type of row y. */
  filter?: (y: number) => number;
  extra?: Buffer[];
  /** Written as a palette PNG with these RGB entries. */
  palette?: number[];
}

/** A grey (or palette) PNG of `bits` (one byte a pixel, 0 or 1) written by hand, each row with the filter asked for. */
function bitsPng(width: number, height: number, bits: Uint8Array, o: PngOptions = {}): Buffer {
  const stride = Math.ceil(width / 8);
  const rows = new Uint8Array((stride + 1) * height);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const line = new Uint8Array(stride);
    for (let x = 0; x < width; x++) if (bits[y * width + x]) line[x >> 3]! |= 0x80 >> (x & 7);
    const f = o.filter?.(y) ?? 0;
    rows[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const a = i > 0 ? line[i - 1]! : 0;
      const b = prev[i]!;
      const c = i > 0 ? prev[i - 1]! : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const predicted = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f]!;
      rows[y * (stride + 1) + 1 + i] = (line[i]! - predicted) & 0xff;
    }
    prev = line;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([o.depth ?? 1, o.palette ? 3 : 0, 0, 0, o.interlace ?? 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(o.palette ? [chunk('PLTE', new Uint8Array(o.palette))] : []),
    ...(o.extra ?? []),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Dithered-looking noise with runs, so that every filter predicts something. */
function randomBits(n: number, seed: number): Uint8Array {
  let s = seed;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 16) % 7 < 3 ? 1 : 0;
  }
  return out;
}

const libvips = async (png: Buffer) => {
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
};

/** Width, height and pixels alike (compared as bytes: an element-wise toEqual takes seconds on a page). */
const samePixels = (a: { data: Uint8Array; width: number; height: number } | null, b: typeof a) =>
  a !== null &&
  b !== null &&
  a.width === b.width &&
  a.height === b.height &&
  Buffer.compare(a.data, b.data) === 0;

const rejection = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof PageRejection ? err.reason : `not a rejection: ${err}`;
  }
  return 'no error';
};

describe('1-bit grey PNGs decoded without libvips', () => {
  it.each([
    ['none', () => 0],
    ['sub', () => 1],
    ['up', () => 2],
    ['average', () => 3],
    ['paeth', () => 4],
    ['mixed by row', (y: number) => y % 5],
  ])('gives libvips pixels with the %s filter, on widths that end mid-byte', async (_, filter) => {
    for (const [width, height] of [
      [203, 211],
      [256, 200],
      [1001, 230],
    ] as const) {
      const png = bitsPng(width, height, randomBits(width * height, width), { filter });
      expect(samePixels(decodeBitsPng(png), await libvips(png))).toBe(true);
    }
  });

  it.each([
    ['black then white', [0, 0, 0, 255, 255, 255]],
    ['white then black', [255, 255, 255, 0, 0, 0]],
    ['two greys and a colour never used', [30, 30, 30, 200, 200, 200, 255, 0, 0]],
  ])('gives the palette grey libvips gives on a 1-bit palette of %s', async (_, palette) => {
    const png = bitsPng(333, 222, randomBits(333 * 222, 7), { filter: (y) => y % 5, palette });
    const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const reference = { data: new Uint8Array(data), width: info.width, height: info.height };
    expect(samePixels(decodeBitsPng(png), reference)).toBe(true);
  });

  it.each([
    [203, 211, undefined],
    [256, 200, undefined],
    [333, 222, [255, 255, 255, 0, 0, 0]],
    [1001, 231, [30, 30, 30, 200, 200, 200]],
  ])(
    'halves a %ix%i page into the means of its 2x2 blocks, a last odd row or column counted twice',
    (width, height, palette) => {
      const png = bitsPng(width, height, randomBits(width * height, width + height), {
        filter: (y) => y % 5,
        ...(palette && { palette }),
      });
      const full = decodeBitsPng(png)!;
      const half = decodeBitsPng(png, true)!;
      const [w, h] = [Math.ceil(width / 2), Math.ceil(height / 2)];
      expect([half.width, half.height]).toEqual([w, h]);
      const px = (x: number, y: number) =>
        full.data[Math.min(y, height - 1) * width + Math.min(x, width - 1)]!;
      const means = new Uint8Array(w * h);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          means[y * w + x] =
            (px(2 * x, 2 * y) + px(2 * x + 1, 2 * y) + px(2 * x, 2 * y + 1) + px(2 * x + 1, 2 * y + 1) + 2) >>
            2;
      expect(Buffer.compare(half.data, means)).toBe(0);
    },
  );

  it('leaves to libvips what is not a plain 1-bit grey PNG', async () => {
    const bits = randomBits(220 * 220, 3);
    expect(decodeBitsPng(bitsPng(220, 220, bits, { palette: [0, 0, 0, 255, 0, 0] }))).toBeNull();
    expect(decodeBitsPng(bitsPng(220, 220, bits, { palette: [0, 0, 0] }))).toBeNull();
    expect(decodeBitsPng(bitsPng(220, 220, bits, { interlace: 1 }))).toBeNull();
    expect(decodeBitsPng(bitsPng(220, 220, bits, { extra: [chunk('iCCP', new Uint8Array(8))] }))).toBeNull();
    expect(decodeBitsPng(bitsPng(220, 220, bits, { extra: [chunk('eXIf', new Uint8Array(8))] }))).toBeNull();
    const eightBit = await sharp(Buffer.alloc(220 * 220, 128), {
      raw: { width: 220, height: 220, channels: 1 },
    })
      .png()
      .toBuffer();
    expect(decodeBitsPng(eightBit)).toBeNull();
    expect(decodeBitsPng(await sharp(eightBit).jpeg().toBuffer())).toBeNull();
  });

  it('rejects a broken file as corrupt, and a pixel bomb before inflating it', () => {
    const png = bitsPng(240, 240, randomBits(240 * 240, 5), { filter: (y) => y % 5 });
    const idat = png.indexOf('IDAT');
    const flipped = Buffer.from(png);
    flipped[idat + 40]! ^= 0x10;
    expect(rejection(() => decodeBitsPng(flipped))).toBe('corrupt-image');
    expect(rejection(() => decodeBitsPng(png.subarray(0, png.length - 30)))).toBe('corrupt-image');
    expect(rejection(() => decodeBitsPng(png.subarray(0, idat + 20)))).toBe('corrupt-image');
    const badFilter = bitsPng(240, 240, randomBits(240 * 240, 5), { filter: (y) => (y === 7 ? 5 : 0) });
    expect(rejection(() => decodeBitsPng(badFilter))).toBe('corrupt-image');
    // More rows declared than the data holds, and a header claiming 100,000 px square.
    const short = Buffer.from(png);
    short.writeUInt32BE(241, 20);
    short.writeUInt32BE(crc32(short.subarray(12, 29)), 29);
    expect(rejection(() => decodeBitsPng(short))).toBe('corrupt-image');
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    expect(rejection(() => decodeBitsPng(bomb))).toBe('too-many-pixels');
  });

  it('is what a page decodes through: a damaged scan rejects its page with the reason', async () => {
    const png = bitsPng(300, 300, randomBits(300 * 300, 9), { filter: () => 4 });
    const page = await (await openSource(png)).page(0);
    expect(samePixels(page, await libvips(png))).toBe(true);
    const flipped = Buffer.from(png);
    flipped[png.indexOf('IDAT') + 60]! ^= 0x01;
    await expect((await openSource(flipped)).page(0)).rejects.toMatchObject({ reason: 'corrupt-image' });
  });
});
