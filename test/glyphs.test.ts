import { mkdirSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  GLYPH_CHARS,
  type GlyphStyle,
  glyphAspect,
  glyphStrokes,
  glyphVariantCount,
  placeGlyph,
  randomGlyphStyle,
  rasterizeStrokes,
} from '../samples/glyphs.ts';
import { createRng } from '../samples/rng.ts';

const CYRILLIC = 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ';
const LATIN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Ink pixels (darker than mid-grey) in one row of a tile. */
function inkInRow(tile: Uint8Array, width: number, row: number): number {
  let n = 0;
  for (let x = 0; x < width; x++) if ((tile[row * width + x] ?? 255) < 128) n++;
  return n;
}

describe('glyph font', () => {
  it('covers digits, Cyrillic and Latin capitals, comma and minus', () => {
    expect([...GLYPH_CHARS].sort().join('')).toBe([...`0123456789${CYRILLIC}${LATIN},-`].sort().join(''));
    expect(glyphStrokes('–')).toEqual(glyphStrokes('-'));
  });

  it('has sane strokes and aspects for every variant', () => {
    for (const ch of GLYPH_CHARS) {
      expect(glyphVariantCount(ch), ch).toBeGreaterThanOrEqual(1);
      expect(glyphAspect(ch), ch).toBeGreaterThan(0.2);
      expect(glyphAspect(ch), ch).toBeLessThanOrEqual(1);
      for (let v = 0; v < glyphVariantCount(ch); v++) {
        const strokes = glyphStrokes(ch, v);
        expect(strokes.length, ch).toBeGreaterThan(0);
        for (const s of strokes) {
          expect(s.length, ch).toBeGreaterThanOrEqual(2);
          for (const [x, y] of s) {
            expect(Number.isFinite(x) && x >= -0.05 && x <= 1.05, `${ch}/${v} x=${x}`).toBe(true);
            expect(Number.isFinite(y) && y >= -0.05 && y <= 1.3, `${ch}/${v} y=${y}`).toBe(true);
          }
        }
      }
    }
  });

  it('makes 0 narrower than О and keeps the wide letters wide', () => {
    expect(glyphAspect('0')).toBeLessThan(glyphAspect('О'));
    for (const ch of 'ЖШЩЮMW') expect(glyphAspect(ch), ch).toBeGreaterThanOrEqual(0.85);
    expect(glyphAspect('1')).toBeLessThan(0.4);
  });

  it('throws on unknown characters and variants, naming them', () => {
    expect(() => glyphStrokes('q')).toThrow(/'q'/);
    expect(() => glyphAspect('€')).toThrow(/€/);
    expect(() => glyphStrokes('A', 5)).toThrow(/variant 5/);
  });

  it('returns copies, so callers cannot corrupt the font', () => {
    const first = glyphStrokes('A');
    first[0]?.splice(0);
    expect(glyphStrokes('A')[0]?.length).toBeGreaterThan(0);
  });
});

describe('placement', () => {
  it('is deterministic for a seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return [...'Ж5,'].map((ch) =>
        placeGlyph(ch, randomGlyphStyle(rng, { heightPx: 48, strokePx: 6 }), rng),
      );
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('draws styles within the documented ranges', () => {
    const rng = createRng('styles');
    for (let i = 0; i < 500; i++) {
      const s = randomGlyphStyle(rng, { heightPx: 50, strokePx: 7 });
      expect(s.heightPx).toBeGreaterThanOrEqual(45);
      expect(s.heightPx).toBeLessThanOrEqual(55);
      expect(Math.abs(s.widthScale - 1)).toBeLessThanOrEqual(0.12);
      expect(Math.abs(s.slantDeg)).toBeLessThanOrEqual(8);
      expect(s.jitterPx / s.heightPx).toBeGreaterThanOrEqual(0.02);
      expect(s.jitterPx / s.heightPx).toBeLessThanOrEqual(0.04);
      expect(s.strokePx).toBe(7);
    }
  });

  it('maps the font box onto a pixel box centred on the origin, with slant', () => {
    const style: GlyphStyle = { heightPx: 40, widthScale: 1, slantDeg: 0, strokePx: 5, jitterPx: 0 };
    const minus = placeGlyph('-', style, createRng(1));
    const xs = minus.flat().map((p) => p[0]);
    expect(Math.min(...xs)).toBeCloseTo(-10);
    expect(Math.max(...xs)).toBeCloseTo(10);
    const slanted = placeGlyph('1', { ...style, slantDeg: 5 }, createRng(1), 0).flat();
    const top = slanted[0];
    const bottom = slanted[slanted.length - 1];
    expect(top?.[1]).toBeCloseTo(-20);
    expect(top?.[0]).toBeCloseTo(20 * Math.tan((5 * Math.PI) / 180));
    expect(bottom?.[0]).toBeCloseTo(-20 * Math.tan((5 * Math.PI) / 180));
  });

  it('wobbles smoothly rather than zig-zagging', () => {
    const base: GlyphStyle = { heightPx: 48, widthScale: 1, slantDeg: 0, strokePx: 6, jitterPx: 0 };
    const clean = placeGlyph('Н', base, createRng(3), 0);
    const wobbly = placeGlyph('Н', { ...base, jitterPx: 1.9 }, createRng(3), 0);
    let moved = 0;
    let maxBend = 0;
    clean.forEach((s, i) => {
      const offsets = s.map((p, j) => {
        const q = wobbly[i]?.[j] ?? p;
        return [q[0] - p[0], q[1] - p[1]];
      });
      offsets.forEach((o, j) => {
        moved = Math.max(moved, Math.hypot(o[0] ?? 0, o[1] ?? 0));
        const [a, b] = [offsets[j - 1], offsets[j - 2]];
        if (!a || !b) return;
        // Second difference of the offsets: near zero for a smooth field, ~2.5x the jitter for independent noise.
        const bend = [0, 1].map((k) => (o[k] ?? 0) - 2 * (a[k] ?? 0) + (b[k] ?? 0));
        maxBend = Math.max(maxBend, Math.hypot(bend[0] ?? 0, bend[1] ?? 0));
      });
    });
    expect(moved).toBeGreaterThan(0.5);
    expect(maxBend).toBeLessThan(0.5);
  });
});

describe('rasterizeStrokes', () => {
  const flat: GlyphStyle = { heightPx: 24, widthScale: 1, slantDeg: 0, strokePx: 3, jitterPx: 0 };

  it('draws the minus at mid-height only', () => {
    const tile = rasterizeStrokes(placeGlyph('-', flat, createRng(1)), 3, 32, 32, 16, 16);
    expect(inkInRow(tile, 32, 16)).toBeGreaterThan(8);
    expect(inkInRow(tile, 32, 0)).toBe(0);
    expect(inkInRow(tile, 32, 4)).toBe(0);
  });

  it('gives a 6 px stroke an ink width of about 6 px', () => {
    const vertical = rasterizeStrokes(
      [
        [
          [0.3, -15],
          [0.3, 15],
        ],
      ],
      6,
      40,
      40,
      20,
      20,
    );
    const width = inkInRow(vertical, 40, 20);
    expect(width).toBeGreaterThanOrEqual(5);
    expect(width).toBeLessThanOrEqual(7);
    let coverage = 0;
    for (let x = 0; x < 40; x++) coverage += (255 - (vertical[20 * 40 + x] ?? 255)) / 255;
    expect(coverage).toBeCloseTo(6, 1);
    // Antialiased edge: some pixel is neither paper nor full ink.
    expect([...vertical].some((v) => v > 0 && v < 255)).toBe(true);
  });

  it('keeps the darker value when drawing into an existing tile', () => {
    const tile = rasterizeStrokes(placeGlyph('-', flat, createRng(1)), 3, 32, 32, 16, 16);
    rasterizeStrokes(placeGlyph('1', flat, createRng(1), 0), 3, 32, 32, 16, 16, tile);
    expect(inkInRow(tile, 32, 16)).toBeGreaterThan(8);
    expect(inkInRow(tile, 32, 4)).toBeGreaterThan(0);
  });

  it('draws into the tile it is given, so training can rasterise many tiles without allocating', () => {
    const rng = createRng('reuse');
    const tile = new Uint8Array(32 * 32);
    for (const ch of [...GLYPH_CHARS].slice(0, 20)) {
      tile.fill(255);
      const out = rasterizeStrokes(
        placeGlyph(ch, randomGlyphStyle(rng, { heightPx: 24, strokePx: 3 }), rng),
        3,
        32,
        32,
        16,
        16,
        tile,
      );
      expect(out).toBe(tile);
      expect(
        tile.some((v) => v < 128),
        ch,
      ).toBe(true);
    }
  });

  it('renders a contact sheet of every glyph variant to out/glyph-sheet.png', async () => {
    const items = [...GLYPH_CHARS].flatMap((ch) =>
      Array.from({ length: glyphVariantCount(ch) }, (_, v) => ({ ch, v })),
    );
    const cols = 20;
    const cellW = 64;
    const cellH = 80;
    const rowsPerPass = Math.ceil(items.length / cols);
    const width = cols * cellW;
    const height = rowsPerPass * 2 * cellH;
    const sheet = new Uint8Array(width * height).fill(255);
    const rng = createRng('contact-sheet');
    const clean: GlyphStyle = { heightPx: 48, widthScale: 1, slantDeg: 0, strokePx: 6, jitterPx: 0 };
    // Top half: the font as designed; bottom half: the same glyphs with random per-glyph styles.
    for (let pass = 0; pass < 2; pass++) {
      items.forEach(({ ch, v }, i) => {
        const x0 = (i % cols) * cellW;
        const y0 = (Math.floor(i / cols) + pass * rowsPerPass) * cellH;
        const cx = x0 + cellW / 2;
        const cy = y0 + 36;
        // Faint cap and base lines of the 48 px box.
        for (let x = x0 + 4; x < x0 + cellW - 4; x += 2) {
          sheet[(cy - 24) * width + x] = 200;
          sheet[(cy + 24) * width + x] = 200;
        }
        const style = pass === 0 ? clean : randomGlyphStyle(rng, { heightPx: 48, strokePx: 6 });
        rasterizeStrokes(placeGlyph(ch, style, rng, v), style.strokePx, width, height, cx, cy, sheet);
      });
    }
    mkdirSync('out', { recursive: true });
    const info = await sharp(sheet, { raw: { width, height, channels: 1 } })
      .png()
      .toFile('out/glyph-sheet.png');
    expect(info.width).toBe(width);
  });
});
