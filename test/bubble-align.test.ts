/**
 * Local alignment of bubble blocks (pipeline/bubble-align.ts) on drawn pages: a block printed off its layout
 * place is found and moved, its fit recorded; a block whose print is not there, or lies beyond the form's
 * window, is left in place and reported poor, so its fields are doubted.
 */
import { describe, expect, it } from 'vitest';
import { expandForm } from '../forms/definitions.ts';
import { type FieldDefinition, FormDefinitionSchema } from '../forms/schema.ts';
import { alignBubbleBlocks } from '../pipeline/bubble-align.ts';
import type { Matrix3 } from '../pipeline/geometry.ts';
import type { GreyImage } from '../pipeline/image.ts';

const PX_PER_MM = 10;
const t: Matrix3 = [PX_PER_MM, 0, 0, 0, PX_PER_MM, 0, 0, 0, 1];

const def = FormDefinitionSchema.parse({
  id: 'aligned',
  title: 'aligned',
  kind: 'bubble-sheet',
  edition: 'test',
  source: 'test',
  page: { width: 80, height: 80 },
  registration: 'image-frame',
  barcodes: [],
  alphabets: {},
  bubbleAlign: { window: 3 },
  fields: Array.from({ length: 5 }, (_, q) => ({
    name: `q${q + 1}`,
    kind: 'bubbles',
    multiple: false,
    labels: ['A', 'B', 'C', 'D'],
    block: 'answers',
    bubbles: { origin: [20, 20 + q * 8], size: [4, 4], count: 4, pitch: [8, 0] },
  })),
});
const fields = expandForm(def).fields.flatMap((f) => (f.kind === 'bubbles' ? [f] : []));

/** A white page with each bubble's outline printed (dx, dy) mm off its layout place, and a mark in q2's C. */
function page(dx: number, dy: number, printed = true): GreyImage {
  const width = 80 * PX_PER_MM;
  const height = 80 * PX_PER_MM;
  const data = new Uint8Array(width * height).fill(235);
  if (printed)
    for (const f of fields)
      f.rects.forEach((r, i) => {
        const cx = (r.x + r.w / 2 + dx) * PX_PER_MM;
        const cy = (r.y + r.h / 2 + dy) * PX_PER_MM;
        const radius = (r.w / 2) * PX_PER_MM;
        const marked = f.name === 'q2' && i === 2;
        for (let y = Math.floor(cy - radius - 2); y <= cy + radius + 2; y++)
          for (let x = Math.floor(cx - radius - 2); x <= cx + radius + 2; x++) {
            const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
            if ((d > radius - 2 && d <= radius) || (marked && d <= radius)) data[y * width + x] = 40;
          }
      });
  return { data, width, height };
}

describe('bubble blocks aligned locally', () => {
  it('finds a block printed 1.5 mm right and 1 mm up of its place, and moves its fields there', () => {
    const a = alignBubbleBlocks(page(1.5, -1), t, def, fields, 235);
    expect(a.fits).toHaveLength(1);
    const [fit] = a.fits;
    expect(fit!.good).toBe(true);
    expect(fit!.offsetMm[0]).toBeCloseTo(1.5, 0);
    expect(fit!.offsetMm[1]).toBeCloseTo(-1, 0);
    expect(a.poor.size).toBe(0);
    const q1 = a.fields.find((f) => f.name === 'q1')!;
    expect(q1.rects[0]!.x).toBeCloseTo(20 + fit!.offsetMm[0], 2);
    expect(q1.rects[0]!.y).toBeCloseTo(20 + fit!.offsetMm[1], 2);
  });

  it('leaves a block where it is, reported poor, when its print is not on the page', () => {
    const a = alignBubbleBlocks(page(0, 0, false), t, def, fields, 235);
    expect(a.fits[0]).toMatchObject({ good: false, atEdge: false });
    expect(a.fields).toEqual(fields);
    expect([...a.poor].sort()).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
  });

  it('reports a block found at the edge of the window as poor: its place may lie beyond', () => {
    const a = alignBubbleBlocks(page(3.4, 0), t, def, fields, 235);
    expect(a.fits[0]).toMatchObject({ good: false, atEdge: true });
    expect(a.fields).toEqual(fields);
  });

  it('searches a block not found near its place again around the offset the other blocks share', () => {
    // A tight block (2.6 mm pitch) printed 1.5 mm down with the rest of the page: alone, its search stops at
    // 0.45 of its pitch (1.17 mm) and ends at that edge; around the answers' offset it is found.
    const codes: FieldDefinition = {
      name: 'code',
      kind: 'bubbles',
      multiple: false,
      labels: ['0', '1', '2', '3', '4', '5'],
      block: 'code',
      bubbles: { origin: [60, 20], size: [2, 2], count: 6, pitch: [0, 2.6] },
    };
    const both = FormDefinitionSchema.parse({ ...def, fields: [...def.fields, codes] });
    const all = expandForm(both).fields.flatMap((f) => (f.kind === 'bubbles' ? [f] : []));
    const img = page(0.5, 1.5);
    const code = all.find((f) => f.name === 'code')!;
    for (const r of code.rects)
      for (let y = Math.round((r.y + 1.5) * PX_PER_MM); y < (r.y + 1.5 + r.h) * PX_PER_MM; y++)
        for (let x = Math.round((r.x + 0.5) * PX_PER_MM); x < (r.x + 0.5 + r.w) * PX_PER_MM; x++)
          if (x === Math.round((r.x + 0.5) * PX_PER_MM) || y === Math.round((r.y + 1.5) * PX_PER_MM))
            img.data[y * img.width + x] = 40;
    const alone = alignBubbleBlocks(img, t, { ...both, fields: [codes] }, [code], 235);
    expect(alone.fits[0]!.good).toBe(false);
    const a = alignBubbleBlocks(img, t, both, all, 235);
    const fit = a.fits.find((f) => f.block === 'code')!;
    expect(fit.good).toBe(true);
    expect(fit.offsetMm[0]).toBeCloseTo(0.5, 0);
    expect(fit.offsetMm[1]).toBeCloseTo(1.5, 0);
    expect(a.poor.size).toBe(0);
  });

  it("keeps a row that is its own block off the next question's row, even a marked one", () => {
    // Each question alone, and a window wider than the rows' pitch (8 mm): q1's darkest place within reach
    // would be q2's row, whose C is marked.
    const alone = FormDefinitionSchema.parse({
      ...def,
      bubbleAlign: { window: 9 },
      fields: def.fields.map((f) => ({ ...f, block: undefined })),
    });
    const rows = expandForm(alone).fields.flatMap((f) => (f.kind === 'bubbles' ? [f] : []));
    const a = alignBubbleBlocks(page(0, 0), t, alone, rows, 235);
    for (const fit of a.fits) expect(Math.abs(fit.offsetMm[1])).toBeLessThan(4);
  });

  it('does nothing on a form that does not declare it', () => {
    const plain = { ...def, bubbleAlign: undefined };
    const a = alignBubbleBlocks(page(1.5, -1), t, plain, fields, 235);
    expect(a).toEqual({ fields, fits: [], poor: new Set() });
  });
});
