/** Registration without marks: a sheet found by its outline on a darker ground, or an image that is the page. */
import { describe, expect, it } from 'vitest';
import { parseFormDefinition } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { applyHomography, fitHomography, type Matrix3, type Point } from '../pipeline/geometry.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { registerByImageFrame, registerByPageEdges } from '../pipeline/register-page.ts';

function form(registration: 'page-edges' | 'image-frame'): FormDefinition {
  return parseFormDefinition({
    id: 'outline',
    title: 'a sheet without marks',
    kind: 'bubble-sheet',
    edition: 'test',
    source: 'test',
    page: { width: 200, height: 280 },
    registration,
    barcodes: [],
    alphabets: {},
    fields: [],
  });
}

/**
 * A photo: the page (paper 220, a dark square near its top left) seen through `t`, on a ground of 40; its right
 * edge waves by `waveMm` (a curled sheet); `ruled`, its paper 10 mm in from its edges is ruled into 10 mm boxes.
 */
function photo(t: Matrix3, width: number, height: number, waveMm = 0, ruled = false): GreyImage {
  const data = new Uint8Array(width * height);
  const inverse = fitHomography(
    [0, 1, 2, 3].map((i) => applyHomography(t, i % 3 === 0 ? 0 : 200, i < 2 ? 0 : 280)),
    [
      [0, 0],
      [200, 0],
      [200, 280],
      [0, 280],
    ],
  )!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = applyHomography(inverse, x + 0.5, y + 0.5);
      const onPage = u >= 0 && u <= 200 + waveMm * Math.sin((2 * Math.PI * v) / 140) && v >= 0 && v <= 280;
      const rule = ruled && u > 10 && u < 190 && v > 10 && v < 270 && (u % 10 < 1 || v % 10 < 1);
      data[y * width + x] = !onPage ? 40 : rule || (u > 20 && u < 40 && v > 20 && v < 40) ? 30 : 220;
    }
  }
  return { data, width, height };
}

const distanceMm = (t: Matrix3, truth: Matrix3, p: Point, pxPerMm: number) => {
  const [a, b] = applyHomography(t, p[0], p[1]);
  const [c, d] = applyHomography(truth, p[0], p[1]);
  return Math.hypot(a - c, b - d) / pxPerMm;
};

describe('registration by the sheet’s edges', () => {
  // A tilted, keystoned sheet in the middle of a 900 x 1200 photo: 3 px a millimetre.
  const corners: Point[] = [
    [180, 150],
    [760, 190],
    [790, 1040],
    [130, 1010],
  ];
  const truth = fitHomography(
    [
      [0, 0],
      [200, 0],
      [200, 280],
      [0, 280],
    ],
    corners,
  )!;

  it('puts every page point within half a millimetre of where it is', () => {
    const r = registerByPageEdges(photo(truth, 900, 1200), form('page-edges'));
    if (!r.ok) throw new Error(r.failure.detail);
    for (const p of [
      [0, 0],
      [200, 280],
      [30, 30],
      [100, 140],
      [180, 260],
    ] as Point[])
      expect(distanceMm(r.registration.transform, truth, p, 3)).toBeLessThan(0.5);
    expect(r.registration.model).toBe('page-edges');
    expect(r.registration.residualMm).toBeLessThan(0.5);
  });

  it('finds a sheet ruled into boxes beside a bright band of more pixels than its unbroken margin', () => {
    const img = photo(truth, 900, 1200, 0, true);
    // A white caption strip along the photo's foot, clear of the sheet: 117,000 px against the margin's 86,000.
    img.data.fill(250, 1070 * 900);
    const r = registerByPageEdges(img, form('page-edges'));
    if (!r.ok) throw new Error(r.failure.detail);
    for (const p of [
      [0, 0],
      [200, 280],
    ] as Point[])
      expect(distanceMm(r.registration.transform, truth, p, 3)).toBeLessThan(0.5);
  });

  it('rejects an image with no sheet on a darker ground, saying so', () => {
    const blank = { data: new Uint8Array(600 * 800).fill(30), width: 600, height: 800 };
    expect(registerByPageEdges(blank, form('page-edges'))).toMatchObject({
      ok: false,
      failure: { reason: 'page-not-found' },
    });
  });

  it('rejects a sheet whose edge is not straight (curled or folded)', () => {
    const img = photo(truth, 900, 1200, 2.3);
    expect(registerByPageEdges(img, form('page-edges'))).toMatchObject({
      ok: false,
      failure: { reason: 'registration-residual' },
    });
  });
});

describe('registration by the image frame', () => {
  it('takes the image’s corners for the page’s', () => {
    const r = registerByImageFrame(
      { data: new Uint8Array(400 * 560), width: 400, height: 560 },
      form('image-frame'),
    );
    if (!r.ok) throw new Error(r.failure.detail);
    expect(applyHomography(r.registration.transform, 200, 280)).toEqual([
      expect.closeTo(400, 6),
      expect.closeTo(560, 6),
    ]);
    expect(r.registration.dpi).toBeCloseTo(2 * 25.4, 3);
  });
});
