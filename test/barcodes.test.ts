import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  type BarcodeRead,
  ean13CheckDigitValid,
  type GreyImage,
  readBarcodes,
} from '../pipeline/barcodes.ts';
import { barcodeSvg, ean13WithCheckDigit, type ModuleMatrix, renderBarcode } from '../render/barcodes.ts';
import { createRng } from '../samples/rng.ts';

const DPI = 300;
const EAN_H = '2610114090019';
const EAN_V = '2630114090017';

/** Like the sheet's QR payload: 13 EAN digits, then 128 lower-case hex digits of which the last 32 are zeros. */
function qrPayload(seed: string): string {
  const rng = createRng(seed);
  const hex = Array.from({ length: 96 }, () => rng.int(0, 15).toString(16)).join('');
  return '2620134567897' + hex + '0'.repeat(32);
}

/** Rasterises SVG elements drawn in millimetre user units onto white paper, greyscale, at `dpi`. */
async function rasterise(body: string, wMm: number, hMm: number, dpi = DPI): Promise<GreyImage> {
  const width = Math.round((wMm / 25.4) * dpi);
  const height = Math.round((hMm / 25.4) * dpi);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${wMm} ${hMm}">` +
    `<rect width="${wMm}" height="${hMm}" fill="#fff"/>${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .flatten({ background: '#fff' })
    .greyscale()
    .raw()
    .toUint8Array();
  return { data, width: info.width, height: info.height };
}

async function rotateGrey(image: GreyImage, angle: number): Promise<GreyImage> {
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .rotate(angle, { background: '#fff' })
    .greyscale()
    .raw()
    .toUint8Array();
  return { data, width: info.width, height: info.height };
}

function encode(image: GreyImage, format: 'png' | 'webp' | 'jpeg'): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toFormat(format, format === 'webp' ? { lossless: true } : {})
    .toBuffer();
}

const texts = (reads: BarcodeRead[]) => reads.map((r) => `${r.format}:${r.text}`);

describe('EAN-13 check digit', () => {
  it('computes and verifies the check digit', () => {
    expect(ean13WithCheckDigit('261011409001')).toBe(EAN_H);
    expect(ean13WithCheckDigit('263011409001')).toBe(EAN_V);
    expect(ean13WithCheckDigit('262013456789')).toBe('2620134567897');
    expect(ean13CheckDigitValid(EAN_H)).toBe(true);
    expect(ean13CheckDigitValid('2610114090018')).toBe(false);
    expect(ean13CheckDigitValid('261011409001')).toBe(false);
    expect(ean13CheckDigitValid('261011409001x')).toBe(false);
    expect(ean13CheckDigitValid(' 2610114090019')).toBe(false);
    expect(() => ean13WithCheckDigit('26101140900')).toThrow(RangeError);
  });

  it('cannot catch a misread that keeps the checksum valid', () => {
    // The misread seen on a 2023 scan (ege-answer-sheet-1.md section 3): only cross-checking codes catches it.
    expect(ean13CheckDigitValid('5620714090019')).toBe(true);
  });
});

describe('renderBarcode', () => {
  it('gives 95 EAN-13 modules with the guard patterns', async () => {
    const m = await renderBarcode('ean13', EAN_H);
    expect([m.width, m.height, m.modules.length]).toEqual([95, 1, 95]);
    const bits = Array.from(m.modules).join('');
    expect(bits.slice(0, 3)).toBe('101');
    expect(bits.slice(45, 50)).toBe('01010');
    expect(bits.slice(92)).toBe('101');
    // Every digit is 7 modules with 2 bars, so the symbol carries 3 + 12 * 2 + 5 (middle: 2 bars) + 3 bars.
    expect(bits.match(/1+/g)?.length).toBe(2 + 12 * 2 + 2 + 2);
  });

  it('rejects a wrong check digit and bad QR versions', async () => {
    await expect(renderBarcode('ean13', '2610114090018')).rejects.toThrow(RangeError);
    await expect(renderBarcode('ean13', '261011409001')).rejects.toThrow(RangeError);
    await expect(renderBarcode('qr', qrPayload('v'), { qrVersion: 9 })).rejects.toThrow(/Version 9-H/);
    await expect(renderBarcode('ean13', EAN_H, { qrVersion: 10 })).rejects.toThrow(RangeError);
  });

  it('makes the sheet QR: 141 characters at level H is version 10, 57 x 57', async () => {
    const text = qrPayload('sheet');
    expect(text).toHaveLength(141);
    const auto = await renderBarcode('qr', text);
    const forced = await renderBarcode('qr', text, { qrVersion: 10 });
    expect([auto.width, auto.height]).toEqual([57, 57]);
    expect(forced.modules).toEqual(auto.modules);
    // Finder pattern in the top-left corner: a 7-module dark ring, then the light separator.
    expect(Array.from(auto.modules.subarray(0, 8)).join('')).toBe('11111110');
    expect(Array.from(auto.modules.subarray(57, 65)).join('')).toBe('10000010');
    expect((await renderBarcode('qr', text, { qrVersion: 12 })).width).toBe(65);
  });

  it('makes a level-H QR: it survives a 25 x 25-module hole that defeats level Q', async () => {
    const m = await renderBarcode('qr', qrPayload('erase'), { qrVersion: 10 });
    const image = await rasterise(barcodeSvg(m, 2, 2, 28.8, 28.8, 0), 32.8, 32.8);
    const px = (28.8 / 25.4 / 57) * DPI;
    // 19 % of the symbol, right of centre, clear of the finder patterns. Probed with another 141-character
    // payload: the same hole in a version-10 symbol at level L, M or Q leaves it unreadable.
    const x0 = Math.round((2 / 25.4) * DPI + 22 * px);
    const y0 = Math.round((2 / 25.4) * DPI + 16 * px);
    for (let y = y0; y < y0 + 25 * px; y++) {
      image.data.fill(255, y * image.width + x0, y * image.width + x0 + Math.round(25 * px));
    }
    expect(texts(await readBarcodes(image, { formats: ['qr'] }))).toEqual([`qr:${qrPayload('erase')}`]);
  });
});

describe('barcodeSvg', () => {
  // A small asymmetric matrix, drawn at 4 px per module, sampled at module centres.
  const m: ModuleMatrix = { width: 3, height: 2, modules: Uint8Array.from([1, 1, 0, 0, 0, 1]) };

  async function sample(rotation: 0 | 90 | 180 | 270): Promise<string[]> {
    const turned = rotation === 90 || rotation === 270;
    const [w, h] = turned ? [8, 12] : [12, 8];
    const image = await rasterise(barcodeSvg(m, 4, 4, w, h, rotation), w + 8, h + 8, 25.4);
    const rows: string[] = [];
    for (let y = 6; y < h + 4; y += 4) {
      let row = '';
      for (let x = 6; x < w + 4; x += 4) row += image.data[y * image.width + x]! < 128 ? '1' : '0';
      rows.push(row);
    }
    return rows;
  }

  it('draws the matrix and turns it counter-clockwise', async () => {
    expect(await sample(0)).toEqual(['110', '001']);
    // Counter-clockwise by 90: the top row becomes the left column, read bottom to top.
    expect(await sample(90)).toEqual(['01', '10', '10']);
    expect(await sample(180)).toEqual(['100', '011']);
    expect(await sample(270)).toEqual(['01', '01', '10']);
  });

  it('covers exactly the rectangle and merges runs', () => {
    const full: ModuleMatrix = { width: 2, height: 1, modules: Uint8Array.from([1, 1]) };
    expect(barcodeSvg(full, 1.5, 2, 3, 4, 90)).toBe('<path fill="#000" d="M1.5 2H4.5V6H1.5Z"/>');
    expect(barcodeSvg({ width: 1, height: 1, modules: new Uint8Array(1) }, 0, 0, 1, 1, 0)).toBe('');
    expect(() => barcodeSvg({ width: 2, height: 2, modules: new Uint8Array(3) }, 0, 0, 1, 1, 0)).toThrow(
      RangeError,
    );
  });
});

describe('readBarcodes round trips at 300 dpi', () => {
  it('reads the horizontal EAN-13 in its dotted box', async () => {
    const ean = await renderBarcode('ean13', EAN_H);
    const image = await rasterise(barcodeSvg(ean, 2.2, 2.5, 47.4, 10.2, 0), 52, 15);
    const reads = await readBarcodes(image, { formats: ['ean13'] });
    expect(texts(reads)).toEqual([`ean13:${EAN_H}`]);
    const [start, end] = reads[0]!.position;
    expect(start!.x).toBeLessThan(end!.x);
  });

  it('reads the vertical EAN-13, start guard at the bottom', async () => {
    const ean = await renderBarcode('ean13', EAN_V);
    const image = await rasterise(barcodeSvg(ean, 3.5, 3.2, 7.1, 42.4, 90), 13.8, 50);
    const reads = await readBarcodes(image, { formats: ['ean13'] });
    expect(texts(reads)).toEqual([`ean13:${EAN_V}`]);
    const [start, end] = reads[0]!.position;
    expect(start!.y).toBeGreaterThan(end!.y);
  });

  it('reads the 141-character QR, positions in pixel coordinates', async () => {
    const text = qrPayload('qr');
    const qr = await renderBarcode('qr', text, { qrVersion: 10 });
    const image = await rasterise(barcodeSvg(qr, 1.6, 1.7, 28.8, 28.6, 0), 32, 32);
    const reads = await readBarcodes(image, { formats: ['qr'] });
    expect(texts(reads)).toEqual([`qr:${text}`]);
    expect(reads[0]!.sequence).toBeUndefined();
    const px = (mm: number) => (mm / 25.4) * DPI;
    const corners = reads[0]!.position;
    const expected = [
      [1.6, 1.7],
      [30.4, 1.7],
      [30.4, 30.3],
      [1.6, 30.3],
    ];
    // The symbol's outer corners, to within about a module (6 px here).
    corners.forEach((c, i) => {
      expect(Math.abs(c.x - px(expected[i]![0]!))).toBeLessThan(8);
      expect(Math.abs(c.y - px(expected[i]![1]!))).toBeLessThan(8);
    });
  });

  for (const rotation of [90, 180, 270] as const) {
    it(`reads both kinds turned ${rotation} degrees`, async () => {
      const text = qrPayload(`rot${rotation}`);
      const qr = await renderBarcode('qr', text);
      const ean = await renderBarcode('ean13', EAN_H);
      const [w, h] = rotation === 180 ? [47.4, 10.2] : [10.2, 47.4];
      const eanImage = await rasterise(barcodeSvg(ean, 3, 3, w, h, rotation), w + 6, h + 6);
      expect(texts(await readBarcodes(eanImage, { formats: ['ean13'] }))).toEqual([`ean13:${EAN_H}`]);
      const qrImage = await rasterise(barcodeSvg(qr, 2, 2, 28.8, 28.8, rotation), 32.8, 32.8);
      expect(texts(await readBarcodes(qrImage, { formats: ['qr'] }))).toEqual([`qr:${text}`]);
    });
  }

  for (const angle of [3, -3]) {
    it(`reads both kinds skewed by ${angle} degrees`, async () => {
      const text = qrPayload(`skew${angle}`);
      const ean = await rasterise(
        barcodeSvg(await renderBarcode('ean13', EAN_H), 2.2, 2.5, 47.4, 10.2, 0),
        52,
        15,
      );
      const qr = await rasterise(
        barcodeSvg(await renderBarcode('qr', text), 2, 2, 28.8, 28.8, 0),
        32.8,
        32.8,
      );
      expect(texts(await readBarcodes(await rotateGrey(ean, angle), { formats: ['ean13'] }))).toEqual([
        `ean13:${EAN_H}`,
      ]);
      expect(texts(await readBarcodes(await rotateGrey(qr, angle), { formats: ['qr'] }))).toEqual([
        `qr:${text}`,
      ]);
    });
  }

  it('reads a header-like crop with all three codes, only the requested formats', async () => {
    const text = qrPayload('header');
    const body =
      barcodeSvg(await renderBarcode('qr', text), 3, 3, 28.8, 28.6, 0) +
      barcodeSvg(await renderBarcode('ean13', EAN_H), 3, 40, 47.4, 10.2, 0) +
      barcodeSvg(await renderBarcode('ean13', EAN_V), 60, 3, 7.1, 42.4, 90);
    const image = await rasterise(body, 72, 56);
    const all = await readBarcodes(image, { formats: ['ean13', 'qr'], tryHarder: true });
    expect(texts(all).sort()).toEqual([`ean13:${EAN_H}`, `ean13:${EAN_V}`, `qr:${text}`].sort());
    expect(texts(await readBarcodes(image, { formats: ['qr'] }))).toEqual([`qr:${text}`]);
    const eans = await readBarcodes(image, { formats: ['ean13'], tryHarder: true });
    expect(texts(eans).sort()).toEqual([`ean13:${EAN_H}`, `ean13:${EAN_V}`]);
    expect(await readBarcodes(image, { formats: ['ean13'], tryHarder: true, maxSymbols: 1 })).toHaveLength(1);
  });

  it('reads encoded PNG, lossless WebP and JPEG bytes like raw pixels', async () => {
    const text = qrPayload('encoded');
    const image = await rasterise(
      barcodeSvg(await renderBarcode('qr', text), 2, 2, 28.8, 28.8, 0),
      32.8,
      32.8,
    );
    const raw = await readBarcodes(image, { formats: ['qr'] });
    for (const format of ['png', 'webp', 'jpeg'] as const) {
      const reads = await readBarcodes(new Uint8Array(await encode(image, format)), { formats: ['qr'] });
      expect(texts(reads)).toEqual([`qr:${text}`]);
      if (format !== 'jpeg') expect(reads[0]!.position).toEqual(raw[0]!.position);
    }
  });
});

describe('readBarcodes on nothing readable', () => {
  it('returns [] for a blank page, a tiny image and a QR asked for as EAN-13', async () => {
    const blank = { data: new Uint8Array(600 * 400).fill(255), width: 600, height: 400 };
    expect(await readBarcodes(blank, { formats: ['ean13', 'qr'], tryHarder: true })).toEqual([]);
    expect(
      await readBarcodes({ data: new Uint8Array([0]), width: 1, height: 1 }, { formats: ['qr'] }),
    ).toEqual([]);
    const qr = await rasterise(
      barcodeSvg(await renderBarcode('qr', qrPayload('x')), 2, 2, 28.8, 28.8, 0),
      32.8,
      32.8,
    );
    expect(await readBarcodes(qr, { formats: ['ean13'], tryHarder: true })).toEqual([]);
  });

  it('returns [] for bytes that are not an image, without throwing', async () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251);
    expect(await readBarcodes(garbage, { formats: ['ean13', 'qr'] })).toEqual([]);
    expect(await readBarcodes(new Uint8Array(0), { formats: ['qr'] })).toEqual([]);
    const png = await encode(await rasterise('', 10, 10), 'png');
    expect(await readBarcodes(new Uint8Array(png.subarray(0, png.length >> 1)), { formats: ['qr'] })).toEqual(
      [],
    );
    expect(
      await readBarcodes(new Uint8Array(Buffer.from('P5\n100 100\n255\n\0\0')), { formats: ['qr'] }),
    ).toEqual([]);
  });

  it('throws on programmer errors', async () => {
    const image = { data: new Uint8Array(10), width: 5, height: 3 };
    await expect(readBarcodes(image, { formats: ['qr'] })).rejects.toThrow(RangeError);
    await expect(
      readBarcodes({ data: new Uint8Array(0), width: 0, height: 0 }, { formats: ['qr'] }),
    ).rejects.toThrow(RangeError);
    const ok = { data: new Uint8Array(15).fill(255), width: 5, height: 3 };
    await expect(readBarcodes(ok, { formats: [] })).rejects.toThrow(RangeError);
    await expect(readBarcodes(ok, { formats: ['qr'], maxSymbols: 0 })).rejects.toThrow(RangeError);
    // @ts-expect-error: an unknown format from untyped callers
    await expect(readBarcodes(ok, { formats: ['code128'] })).rejects.toThrow(RangeError);
  });
});
