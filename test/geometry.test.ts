import { describe, expect, it } from 'vitest';
import {
  applyHomography,
  fitAffine,
  fitHomography,
  invert3,
  type Matrix3,
  multiply3,
  residuals,
} from '../pipeline/geometry.ts';

const H: Matrix3 = [11.5, 0.9, 120, -0.7, 11.9, 80, 0.0004, 0.0002, 1];
const src: [number, number][] = [
  [10, 10],
  [200, 12],
  [15, 280],
  [195, 285],
  [100, 150],
  [60, 40],
];

describe('geometry', () => {
  it('fits an exact homography from five or more points', () => {
    const dst = src.map(([x, y]) => applyHomography(H, x, y));
    const fit = fitHomography(src, dst)!;
    for (const r of residuals(fit, src, dst)) expect(r).toBeLessThan(1e-6);
    const [x, y] = applyHomography(fit, 50, 70);
    const [ex, ey] = applyHomography(H, 50, 70);
    expect(x).toBeCloseTo(ex, 6);
    expect(y).toBeCloseTo(ey, 6);
  });

  it('leaves a residual an affine fit cannot absorb under perspective', () => {
    const dst = src.map(([x, y]) => applyHomography(H, x, y));
    const affine = fitAffine(src, dst)!;
    expect(Math.max(...residuals(affine, src, dst))).toBeGreaterThan(5);
  });

  it('finds a displaced point through the residual', () => {
    const dst = src.map(([x, y]) => applyHomography(H, x, y));
    dst[4] = [dst[4]![0] + 12, dst[4]![1]];
    const r = residuals(fitHomography(src, dst)!, src, dst);
    expect(Math.max(...r)).toBeGreaterThan(3);
  });

  it('inverts and composes', () => {
    const I = multiply3(H, invert3(H));
    for (const [i, v] of [1, 0, 0, 0, 1, 0, 0, 0, 1].entries()) expect(I[i]).toBeCloseTo(v, 9);
  });

  it('refuses degenerate input', () => {
    expect(fitHomography(src.slice(0, 3), src.slice(0, 3))).toBeNull();
    expect(
      fitAffine(
        [
          [0, 0],
          [1, 1],
          [2, 2],
        ],
        [
          [0, 0],
          [1, 1],
          [2, 2],
        ],
      ),
    ).toBeNull();
  });
});
