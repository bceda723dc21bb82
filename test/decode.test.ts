import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { shippedForms } from '../forms/definitions.ts';
import { openSource, PageRejection, sniffFormat } from '../pipeline/decode.ts';
import { recogniseFilePage } from '../pipeline/page-job.ts';

async function page(
  width: number,
  height: number,
  format: 'png' | 'jpeg' | 'webp' | 'tiff',
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .toFormat(format)
    .toBuffer();
}

async function rejection(bytes: Uint8Array, index = 0): Promise<string> {
  try {
    const src = await openSource(bytes);
    await src.page(index);
  } catch (err) {
    if (err instanceof PageRejection) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('decode', () => {
  it.each(['png', 'jpeg', 'webp', 'tiff'] as const)('decodes %s to one grey channel', async (format) => {
    const src = await openSource(await page(620, 877, format));
    const img = await src.page(0);
    expect([img.width, img.height, img.data.length]).toEqual([620, 877, 620 * 877]);
    expect(img.data[1000]).toBeGreaterThan(240);
  });

  it('reads every page of a multi-page TIFF', async () => {
    const frames = [0, 80, 160].map((g) => Buffer.alloc(400 * 500, g));
    const tiff = await sharp(Buffer.concat(frames), {
      raw: { width: 400, height: 1500, channels: 1, pageHeight: 500 },
    })
      .tiff()
      .toBuffer();
    const src = await openSource(tiff);
    expect(src.pageCount).toBe(3);
    expect((await src.page(2)).data[0]).toBe(160);
  });

  it('sniffs by content, not by name', () => {
    expect(sniffFormat(new TextEncoder().encode('%PDF-1.7'))).toBe('pdf');
    expect(sniffFormat(new TextEncoder().encode('hello'))).toBeNull();
  });

  it.each([
    ['an empty file', async () => new Uint8Array(), 'empty-file'],
    ['text', async () => new TextEncoder().encode('not an image at all'), 'unsupported-format'],
    ['a broken PDF', async () => new TextEncoder().encode('%PDF-1.4\n%%EOF'), 'corrupt-image'],
    ['a truncated JPEG', async () => (await page(800, 1100, 'jpeg')).subarray(0, 700), 'corrupt-image'],
    ['a truncated PNG', async () => (await page(800, 1100, 'png')).subarray(0, 200), 'corrupt-image'],
    ['a tiny image', async () => page(120, 90, 'png'), 'too-small'],
  ])('rejects %s with a reason', async (_what, make, reason) => {
    expect(await rejection(await make())).toBe(reason);
  });

  it('rejects a decompression bomb from its header, without decoding it', async () => {
    // A PNG header claiming 100k x 100k pixels: sharp reads the size and the limit stops it.
    const png = await page(400, 400, 'png');
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    expect(['too-many-pixels', 'corrupt-image']).toContain(await rejection(bomb));
  });

  it('turns an unreadable or bad file into a rejected page, never a throw', async () => {
    const forms = shippedForms();
    const missing = await recogniseFilePage(
      '/nonexistent.png',
      () => Promise.reject(new Error('ENOENT')),
      0,
      forms,
    );
    expect(missing).toMatchObject({ status: 'rejected', reason: 'unreadable-file', form: null });
    const junk = await recogniseFilePage('junk.png', async () => new TextEncoder().encode('junk'), 0, forms);
    expect(junk).toMatchObject({ status: 'rejected', reason: 'unsupported-format' });
    expect(junk.sha256).toMatch(/^[0-9a-f]{64}$/);
    const blank = await recogniseFilePage('blank.png', () => page(1240, 1754, 'png'), 0, forms);
    expect(blank).toMatchObject({ status: 'rejected', reason: 'anchors-not-found' });
  });
});
