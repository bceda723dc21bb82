import { mkdir, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyHomography, invert3, multiply3 } from '../pipeline/geometry.ts';
import {
  type DegradeParams,
  type DegradeProfile,
  degrade,
  type GreyImage,
  pageTransform,
  randomDegradeParams,
} from '../samples/degrade.ts';
import { createRng, type Rng } from '../samples/rng.ts';

const A4 = { width: 2481, height: 3508 };
const PROFILES: DegradeProfile[] = ['clean', 'scanner', 'phone', 'harsh'];

function blankPage(width: number, height: number): GreyImage {
  return { data: new Uint8Array(width * height).fill(255), width, height };
}

function fillRect(page: GreyImage, x: number, y: number, w: number, h: number, value = 0): void {
  for (let yy = Math.max(0, y); yy < Math.min(page.height, y + h); yy++) {
    page.data.fill(value, yy * page.width + Math.max(0, x), yy * page.width + Math.min(page.width, x + w));
  }
}

function strokeRect(page: GreyImage, x: number, y: number, w: number, h: number, t: number): void {
  fillRect(page, x, y, w, t);
  fillRect(page, x, y + h - t, w, t);
  fillRect(page, x, y, t, h);
  fillRect(page, x + w - t, y, t, h);
}

/** A row of glyph-like marks (stems, bowls, bars) grouped into words, roughly 11 pt at 300 dpi. */
function textLine(page: GreyImage, x: number, y: number, maxX: number, rng: Rng): void {
  const xHeight = 24;
  while (x < maxX - 200) {
    const letters = rng.int(2, 9);
    for (let i = 0; i < letters; i++) {
      const kind = rng.int(0, 2);
      if (kind === 0) fillRect(page, x, y - (rng.chance(0.3) ? 12 : 0), 4, xHeight + 12);
      else if (kind === 1) strokeRect(page, x, y + 2, 16, xHeight - 2, 4);
      else {
        fillRect(page, x, y, 4, xHeight);
        fillRect(page, x, y, 16, 4);
      }
      x += kind === 0 ? 10 : 22;
    }
    x += 24;
  }
}

/** A plausible answer sheet: corner markers, header text, answer rows of letter cells. */
function formPage(width: number, height: number, rng: Rng): GreyImage {
  const page = blankPage(width, height);
  for (const [x, y] of [
    [100, 100],
    [width - 160, 100],
    [100, height - 160],
    [width - 160, height - 160],
  ] as const) {
    fillRect(page, x, y, 60, 60);
  }
  for (let line = 0; line < 5; line++) textLine(page, 220, 260 + line * 60, width - 220, rng);
  strokeRect(page, 200, 620, width - 400, 4, 2);
  for (let row = 0; row < 30; row++) {
    const y = 700 + row * 88;
    textLine(page, 220, y + 18, 420, rng);
    for (let cell = 0; cell < 30; cell++) strokeRect(page, 420 + cell * 60, y, 54, 66, 3);
    // Some cells carry a handwriting-like filled mark.
    for (let cell = 0; cell < rng.int(0, 12); cell++) fillRect(page, 434 + cell * 60, y + 16, 26, 34, 60);
  }
  return page;
}

async function decode(bytes: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(bytes).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return { data, width: info.width, height: info.height };
}

/** Squares of distinct sizes at asymmetric spots, so a wrong flip or rotation cannot land on another one. */
const SQUARES = [
  { x: 300, y: 400, side: 30 },
  { x: 900, y: 350, side: 40 },
  { x: 350, y: 1350, side: 50 },
  { x: 850, y: 1200, side: 64 },
];

function squaresPage(): GreyImage {
  const page = blankPage(1240, 1754);
  // Sides are even, so the square covers pixels x - side/2 .. x + side/2 - 1 and its centre is (x - 0.5, y - 0.5).
  for (const sq of SQUARES) fillRect(page, sq.x - sq.side / 2, sq.y - sq.side / 2, sq.side, sq.side);
  return page;
}

/**
 * Darkness-weighted centroid of the blob in a window. Weights are linear in darkness (paper 0, ink 1), which
 * keeps partial edge pixels exact, but only count within `reach` px of a clearly dark (>50%) pixel, so paper
 * noise elsewhere in the window cannot pull the centroid towards the window centre.
 */
function blobAt(
  img: { data: Uint8Array; width: number; height: number },
  cx: number,
  cy: number,
  radius: number,
  reach: number,
): { x: number; y: number; area: number } {
  const x0 = Math.max(0, Math.floor(cx - radius));
  const y0 = Math.max(0, Math.floor(cy - radius));
  const w = Math.min(img.width - 1, Math.ceil(cx + radius)) - x0 + 1;
  const h = Math.min(img.height - 1, Math.ceil(cy + radius)) - y0 + 1;
  const values: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) values.push(img.data[(y0 + y) * img.width + x0 + x]!);
  const sorted = [...values].sort((a, b) => a - b);
  const ink = sorted[Math.floor(sorted.length * 0.02)]!;
  const paper = sorted[sorted.length - 1 - Math.floor(sorted.length * 0.1)]!;
  const darkness = values.map((v) => (paper - v) / (paper - ink));
  const core = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && darkness[y * w + x]! > 0.5;
  const nearCore = (x: number, y: number) => {
    for (let dy = -reach; dy <= reach; dy++)
      for (let dx = -reach; dx <= reach; dx++) if (core(x + dx, y + dy)) return true;
    return false;
  };
  let sx = 0;
  let sy = 0;
  let area = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const weight = Math.min(1, Math.max(0, darkness[y * w + x]!));
      if (weight === 0 || !nearCore(x, y)) continue;
      sx += weight * (x0 + x);
      sy += weight * (y0 + y);
      area += weight;
    }
  }
  return { x: sx / area, y: sy / area, area };
}

function geometryCases(): DegradeParams[] {
  const rng = createRng('degrade-geometry');
  const random = PROFILES.flatMap((profile) => [0, 1].map(() => randomDegradeParams(rng, profile)));
  const base = randomDegradeParams(rng, 'phone');
  const forced: DegradeParams[] = [
    { ...base, upsideDown: true, perspective: 0.03, rotationDeg: 5.5, dpi: 200 },
    { ...base, upsideDown: true, perspective: -0.03, rotationDeg: -6.8, dpi: 600, scale: 0.96 },
    {
      ...base,
      upsideDown: false,
      perspective: 0.025,
      rotationDeg: 0,
      dpi: 150,
      scale: 1.04,
      jpegQuality: 40,
    },
  ];
  // Dust and streaks would bias a centroid if they happened to land on a square.
  return [...random, ...forced].map((p) => ({ ...p, dust: 0, streaks: 0 }));
}

describe('degrade', () => {
  it.each(geometryCases().map((params, i) => [i, params] as const))(
    'transform locates every square (case %i)',
    async (_i, params) => {
      const page = squaresPage();
      const result = await degrade(page, params, createRng(1));
      const img = await decode(result.image);
      const s = params.dpi / 300;
      for (const sq of SQUARES) {
        const [ex, ey] = applyHomography(result.transform, sq.x - 0.5, sq.y - 0.5);
        expect(ex).toBeGreaterThan(sq.side * s);
        expect(ey).toBeGreaterThan(sq.side * s);
        expect(ex).toBeLessThan(img.width - sq.side * s);
        expect(ey).toBeLessThan(img.height - sq.side * s);
        const blob = blobAt(
          img,
          ex,
          ey,
          sq.side * s * params.scale * 0.75 + 6,
          Math.ceil(2 * params.blurSigmaPx) + 2,
        );
        // Measured errors are below 0.05 px; 0.25 still catches a half-pixel convention slip, which 1 px would not.
        expect(Math.hypot(blob.x - ex, blob.y - ey)).toBeLessThan(0.25);
        const expectedArea = (sq.side * s * params.scale) ** 2;
        expect(blob.area).toBeGreaterThan(expectedArea * 0.8);
        expect(blob.area).toBeLessThan(expectedArea * 1.2);
      }
    },
  );

  it('is the identity for neutral params', async () => {
    const page = squaresPage();
    const params: DegradeParams = {
      ...randomDegradeParams(createRng(3), 'clean'),
      rotationDeg: 0,
      translateMm: [0, 0],
      background: 255,
    };
    const result = await degrade(page, params, createRng(3));
    expect(result.transform).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Buffer.from((await decode(result.image)).data).equals(Buffer.from(page.data))).toBe(true);
  });

  it('is deterministic for a seed and varies with it', async () => {
    const page = squaresPage();
    const params = randomDegradeParams(createRng(7), 'harsh');
    const a = await degrade(page, params, createRng(42));
    const b = await degrade(page, params, createRng(42));
    const c = await degrade(page, params, createRng(43));
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(true);
    expect(Buffer.from(a.image).equals(Buffer.from(c.image))).toBe(false);
    expect(c.transform).toEqual(a.transform);
  });

  it('draws the same params from the same seed', () => {
    for (const profile of PROFILES) {
      expect(randomDegradeParams(createRng(5), profile)).toEqual(randomDegradeParams(createRng(5), profile));
    }
  });

  it.each([150, 200, 300, 400, 600])('output size follows %i dpi', async (dpi) => {
    const page = blankPage(1000, 1414);
    const params = { ...randomDegradeParams(createRng(dpi), 'scanner'), dpi };
    const result = await degrade(page, params, createRng(dpi));
    const meta = await sharp(result.image).metadata();
    const margin = (2 * params.marginMm * 300) / 25.4;
    expect([result.width, result.height]).toEqual([
      Math.round(((1000 + margin) * dpi) / 300),
      Math.round(((1414 + margin) * dpi) / 300),
    ]);
    expect([meta.width, meta.height]).toEqual([result.width, result.height]);
  });

  it('flags and encodes JPEG and PNG as 1-channel images', async () => {
    const page = squaresPage();
    const base = randomDegradeParams(createRng(11), 'scanner');
    const jpeg = await degrade(page, { ...base, jpegQuality: 70 }, createRng(1));
    const png = await degrade(page, { ...base, jpegQuality: null }, createRng(1));
    expect(jpeg.format).toBe('jpeg');
    expect([...jpeg.image.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect(png.format).toBe('png');
    expect([...png.image.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    for (const { image, format } of [jpeg, png]) {
      const meta = await sharp(image).metadata();
      expect(meta.format).toBe(format);
      expect(meta.channels).toBe(1);
    }
  });

  it('invert3 composed with the transform is the identity', () => {
    const rng = createRng('invert');
    for (const profile of PROFILES) {
      const m = pageTransform(A4.width, A4.height, randomDegradeParams(rng, profile));
      for (const product of [multiply3(invert3(m), m), multiply3(m, invert3(m))]) {
        for (const [i, v] of product.entries()) expect(v).toBeCloseTo(i % 4 === 0 ? 1 : 0, 9);
      }
      const [x, y] = applyHomography(m, 123.4, 567.8);
      const [bx, by] = applyHomography(invert3(m), x, y);
      expect(bx).toBeCloseTo(123.4, 6);
      expect(by).toBeCloseTo(567.8, 6);
    }
  });

  it('degrades a full A4 page in every profile and writes examples', async () => {
    const page = formPage(A4.width, A4.height, createRng('form'));
    await mkdir(new URL('../out/', import.meta.url), { recursive: true });
    for (const profile of PROFILES) {
      const params = randomDegradeParams(createRng(`a4-${profile}`), profile);
      const result = await degrade(page, params, createRng(`a4-${profile}`));
      expect(result.width).toBe(
        Math.round(((A4.width + (2 * params.marginMm * 300) / 25.4) * params.dpi) / 300),
      );
      const ext = result.format === 'jpeg' ? 'jpg' : 'png';
      await writeFile(new URL(`../out/degrade-${profile}.${ext}`, import.meta.url), result.image);
    }
  });
});
