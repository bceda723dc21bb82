import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type BarcodeFormat, type BarcodeRead, type GreyImage, readBarcodes } from '../pipeline/barcodes.ts';

const CORPUS = fileURLToPath(new URL('../samples/corpora/zxing-samples/', import.meta.url));

type Rotation = 0 | 90 | 180 | 270;

/** zxing-cpp's try-harder pass counts from the table in SOURCE.md, per rotation; only rotations it lists. */
const SETS: {
  set: string;
  format: BarcodeFormat;
  images: number;
  minPass: Partial<Record<Rotation, number>>;
}[] = [
  { set: 'ean13-1', format: 'ean13', images: 16, minPass: { 0: 14, 180: 14 } },
  { set: 'ean13-3', format: 'ean13', images: 8, minPass: { 0: 8, 180: 8 } },
  { set: 'qrcode-1', format: 'qr', images: 8, minPass: { 0: 8, 90: 8, 180: 8, 270: 8 } },
  { set: 'qrcode-3', format: 'qr', images: 18, minPass: { 0: 18, 90: 18, 180: 18, 270: 18 } },
  { set: 'qrcode-5', format: 'qr', images: 16, minPass: { 0: 16, 90: 16, 180: 16, 270: 16 } },
];
const OTHER: Record<BarcodeFormat, BarcodeFormat> = { ean13: 'qr', qr: 'ean13' };

function images(set: string): string[] {
  return readdirSync(`${CORPUS}${set}`)
    .filter((f) => /\.(webp|png|jpe?g)$/.test(f))
    .sort();
}

const stem = (file: string) => file.replace(/\.[^.]+$/, '');

async function rotated(path: string, rotation: Rotation): Promise<GreyImage> {
  const { data, info } = await sharp(path)
    .rotate(rotation)
    .flatten({ background: '#fff' })
    .greyscale()
    .raw()
    .toUint8Array();
  return { data, width: info.width, height: info.height };
}

/** At 0 degrees the encoded file itself goes in, so the WebP/PNG decoding path is covered too. */
async function read(
  path: string,
  rotation: Rotation,
  format: BarcodeFormat,
  maxSymbols?: number,
): Promise<BarcodeRead[]> {
  const input = rotation === 0 ? new Uint8Array(readFileSync(path)) : await rotated(path, rotation);
  return readBarcodes(input, { formats: [format], tryHarder: true, maxSymbols });
}

describe('zxing-cpp sample corpus', () => {
  for (const { set, format, images: count, minPass } of SETS) {
    describe(set, () => {
      it('holds the images SOURCE.md lists, each with its expected text', () => {
        const files = images(set);
        expect(files).toHaveLength(count);
        for (const f of files) expect(existsSync(`${CORPUS}${set}/${stem(f)}.txt`), f).toBe(true);
      });

      for (const rotation of [0, 90, 180, 270] as const) {
        const min = minPass[rotation];
        const goal = min === undefined ? 'no bar in SOURCE.md' : `at least ${min} of ${count}`;
        it(`at ${rotation} degrees: ${goal}, never a wrong text`, async () => {
          let pass = 0;
          const wrong: string[] = [];
          for (const f of images(set)) {
            const expected = readFileSync(`${CORPUS}${set}/${stem(f)}.txt`, 'utf8');
            const path = `${CORPUS}${set}/${f}`;
            // One symbol, as zxing-cpp's runner reads for its table; then as many as found, which scans on.
            const single = await read(path, rotation, format, 1);
            const all = await read(path, rotation, format);
            for (const r of [...single, ...all]) {
              if (r.text !== expected || r.sequence) wrong.push(`${f}: ${JSON.stringify(r)}`);
            }
            if (single.some((r) => r.text === expected)) pass++;
          }
          expect(wrong).toEqual([]);
          if (min !== undefined) expect(pass).toBeGreaterThanOrEqual(min);
        });
      }

      it(`finds no ${OTHER[format]} in these ${format} images`, async () => {
        const found: string[] = [];
        for (const f of images(set)) {
          const reads = await read(`${CORPUS}${set}/${f}`, 0, OTHER[format]);
          if (reads.length > 0) found.push(`${f}: ${JSON.stringify(reads)}`);
        }
        expect(found).toEqual([]);
      });
    });
  }

  it('drops the conflicting reads of ean13-1/35 when several symbols are allowed', async () => {
    const path = `${CORPUS}ean13-1/35.webp`;
    const expected = readFileSync(`${CORPUS}ean13-1/35.txt`, 'utf8');
    // Scanning on past the first symbol, zxing also returns a checksum-valid misread of the same symbol.
    expect(await read(path, 0, 'ean13')).toEqual([]);
    expect((await read(path, 0, 'ean13', 1)).map((r) => r.text)).toEqual([expected]);
  });

  describe('qrcode-7 (structured append)', () => {
    const dir = `${CORPUS}qrcode-7/`;
    // key=value lines, '#' comments: zxing-cpp's expected attributes of the merged result.
    const attrs = Object.fromEntries(
      readFileSync(`${dir}01.result.txt`, 'utf8')
        .split('\n')
        .filter((l) => l.includes('=') && !l.startsWith('#'))
        .map((l) => l.split('=', 2) as [string, string]),
    );

    it('reads each part as a flagged fragment; the parts in order make the expected text', async () => {
      const parts = images('qrcode-7');
      expect(parts).toEqual(['01-01.png', '01-02.png', '01-03.png', '01-04.png']);
      const reads: BarcodeRead[] = [];
      for (const f of parts) {
        // No part has a .txt of its own: on its own, a part must not pass for a whole code.
        expect(existsSync(`${dir}${stem(f)}.txt`)).toBe(false);
        const partReads = await read(`${dir}${f}`, 0, 'qr');
        expect(partReads, f).toHaveLength(1);
        reads.push(...partReads);
      }
      for (const [i, r] of reads.entries()) {
        expect(r.sequence).toEqual({
          index: i,
          size: Number(attrs['sequenceSize']),
          id: attrs['sequenceId'],
        });
      }
      expect(reads.map((r) => r.text).join('')).toBe(readFileSync(`${dir}01.txt`, 'utf8'));
    });
  });
});
