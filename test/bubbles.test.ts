import { describe, expect, it } from 'vitest';
import type { BubblesInstance } from '../forms/definitions.ts';
import { BUBBLE_THRESHOLDS, decideBubbles, sheetBubbleStats } from '../pipeline/bubbles.ts';

const field: BubblesInstance = {
  kind: 'bubbles',
  name: 'q.1',
  template: 'q.{n}',
  labels: ['A', 'B', 'C', 'D'],
  multiple: false,
  rects: [],
};
const stats = {
  threshold: 0.45,
  emptyLevel: 0.05,
  markRing: 0.05,
  faint: 0.05 + BUBBLE_THRESHOLDS.residue,
  emptyRing: 0.05 + BUBBLE_THRESHOLDS.spill,
};
const m = (fill: number, ring = 0.04) => ({ fill, ring });

describe('bubble decisions', () => {
  it.each([
    ['one clear mark', [0.05, 0.9, 0.06, 0.05], 'B', []],
    ['no mark', [0.05, 0.06, 0.05, 0.04], '', []],
    ['two marks in a single-choice group', [0.9, 0.88, 0.05, 0.05], 'AB', ['multiple-marks']],
    ['a mark in the marginal band', [0.05, 0.5, 0.05, 0.05], 'B', ['marginal-mark']],
    ['a faint residue (erasure or tick)', [0.05, 0.9, 0.22, 0.05], 'B', ['erasure-or-faint-mark']],
    ['an almost-threshold empty', [0.05, 0.36, 0.05, 0.05], '', ['marginal-mark', 'erasure-or-faint-mark']],
  ])('%s', (_what, fills, value, doubt) => {
    const r = decideBubbles(
      field,
      fills.map((f) => m(f)),
      stats,
    );
    expect(r.value).toBe(value);
    expect(r.doubt.sort()).toEqual([...doubt].sort());
    expect(r.confidence <= 0.5).toBe(doubt.length > 0);
  });

  it('flags ink around a mark (a cross over a filled bubble)', () => {
    const r = decideBubbles(field, [m(0.05), m(0.92, 0.3), m(0.05), m(0.05)], stats);
    expect(r.doubt).toContain('ink-around-mark');
  });

  it('doubts an empty bubble with ink beside it (a tick off its centre, a layout off where it is)', () => {
    const r = decideBubbles(field, [m(0.05), m(0.08, 0.6), m(0.05), m(0.05)], stats);
    expect(r).toMatchObject({ value: '', doubt: ['ink-around-mark'] });
    expect(r.confidence).toBeLessThanOrEqual(0.5);
  });

  it('allows several marks in a multiple-choice group', () => {
    const r = decideBubbles({ ...field, multiple: true }, [m(0.9), m(0.05), m(0.85), m(0.05)], stats);
    expect(r).toMatchObject({ value: 'AC', doubt: [] });
  });

  it('finds the sheet split in the widest gap, and falls back without one', () => {
    const light = [0.04, 0.05, 0.06, 0.07, 0.62, 0.65, 0.66, 0.05];
    expect(sheetBubbleStats(light).threshold).toBeCloseTo((0.07 + 0.62) / 2, 5);
    expect(sheetBubbleStats([0.05, 0.06, 0.07]).threshold).toBe(BUBBLE_THRESHOLDS.defaultThreshold);
    const dark = [0.05, 0.06, 0.9, 0.92];
    expect(sheetBubbleStats(dark).threshold).toBeLessThanOrEqual(BUBBLE_THRESHOLDS.maxThreshold);
  });

  it('on a self-calibrated sheet, splits at the first clear gap and counts spill above its marks own ring', () => {
    // Above-empty fills: empties about 0, light pencil at 0.2-0.3 and pen at 0.8; every mark's ring is dark
    // alike (the pen fills a printed circle wider than the layout's box), one is darker still (a cross).
    const fills = [0, 0.01, 0.02, 0.01, 0, 0.22, 0.25, 0.3, 0.8, 0.82];
    const rings = [0, 0, 0.01, 0, 0, 0.4, 0.42, 0.41, 0.45, 0.75];
    const t = { ...BUBBLE_THRESHOLDS, minThreshold: 0.1, maxThreshold: 0.6, marginal: 0.07 };
    const own = sheetBubbleStats(fills, t, rings);
    expect(own.threshold).toBeCloseTo((0.02 + 0.22) / 2, 5);
    expect(own.markRing).toBeCloseTo(0.42, 5);
    const read = (i: number) => decideBubbles(field, [m(fills[i]!, rings[i]), m(0), m(0), m(0)], own, t);
    expect(read(6)).toMatchObject({ value: 'A', doubt: [] });
    expect(read(9).doubt).toEqual(['ink-around-mark']);
    // Without its own rings the widest gap is among the marks, and every light mark would be in doubt.
    expect(sheetBubbleStats(fills, t).threshold).toBeGreaterThan(0.5);
  });

  // UmarFarootAPS scan-type-2, 62 dpi: its empty bubbles' rings scatter from 0 to 0.37 above their level, and
  // its seven-pixel bubbles' fills by 0.1; a clean 300-dpi scan's lie close.
  const wide = {
    ring: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.37],
    fill: [-0.04, 0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12],
  };
  const close = [0, 0.01, 0.01, 0.02, 0.02, 0.02, 0.03, 0.03];
  it.each([
    ['ring', 'scatter widely', wide.ring, 0.33, []],
    ['ring', 'scatter widely, one far beyond the rest (a tick)', wide.ring, 0.9, ['ink-around-mark']],
    ['ring', 'lie close', close, 0.25, ['ink-around-mark']],
    ['fill', 'scatter widely', wide.fill, 0.11, []],
    [
      'fill',
      'scatter widely, one far beyond the rest (an erasure)',
      wide.fill,
      0.3,
      ['erasure-or-faint-mark'],
    ],
    ['fill', 'lie close', close, 0.11, ['erasure-or-faint-mark']],
  ] as const)(
    'doubts an empty bubble by its %s only beyond the fixed margin and the scatter of unmarked bubbles that %s',
    (kind, _what, empty, value, doubt) => {
      // A self-calibrated sheet: its unmarked bubbles, then two marks.
      const fills = [...(kind === 'fill' ? empty : empty.map(() => 0)), 0.8, 0.82];
      const rings = [...(kind === 'ring' ? empty : empty.map(() => 0)), 0.4, 0.4];
      const own = sheetBubbleStats(fills, BUBBLE_THRESHOLDS, rings);
      const probe = kind === 'ring' ? m(0, value) : m(value, 0);
      expect(decideBubbles(field, [m(0.8, 0.4), probe, m(0, 0), m(0, 0)], own).doubt).toEqual([...doubt]);
    },
  );

  it.each([
    // 2-omr-marker's digit columns: 6.4 mm boxes 7.5 mm apart, so a ring (to 1.55 half-sizes) takes in the next box.
    ['next to the mark, its ring taking in the marked box', 1, []],
    ['next to the mark on the other side', 3, []],
    ['two boxes away, out of the mark’s reach (a tick beside it)', 4, ['ink-around-mark']],
  ])('an empty bubble with a dark ring %s', (_what, dark, doubt) => {
    const column: BubblesInstance = {
      ...field,
      labels: ['0', '1', '2', '3', '4'],
      rects: [0, 1, 2, 3, 4].map((k) => ({ x: 50, y: 40 + 7.5 * k, w: 6.4, h: 6.4 })),
    };
    const measures = [0, 1, 2, 3, 4].map((k) => m(k === 2 ? 0.9 : 0.05, k === dark ? 0.4 : 0.04));
    expect(decideBubbles(column, measures, stats)).toMatchObject({ value: '2', doubt });
  });

  it.each([
    // JoyChopra1298's JEE sheet: 3.9 mm bubbles in rows 4.84 mm apart, so a ring takes in the next row's box.
    ['the row below marked under it', [{ x: 50, y: 44.84, w: 3.9, h: 3.9 }], []],
    ['the row two below marked (out of reach)', [{ x: 50, y: 49.68, w: 3.9, h: 3.9 }], ['ink-around-mark']],
    ['no other row given: its own row only', undefined, ['ink-around-mark']],
  ])('an empty bubble of a dense grid with a dark ring, %s', (_what, marked, doubt) => {
    const row: BubblesInstance = {
      ...field,
      rects: [0, 1, 2, 3].map((k) => ({ x: 50 + 6 * k, y: 40, w: 3.9, h: 3.9 })),
    };
    const measures = [m(0.05, 0.4), m(0.05), m(0.9), m(0.05)];
    const page = marked && [row.rects[2]!, ...marked];
    expect(decideBubbles(row, measures, stats, BUBBLE_THRESHOLDS, page)).toMatchObject({ value: 'C', doubt });
  });
});
