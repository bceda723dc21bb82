/**
 * Registration on the pages that used to defeat it: each case is a page the 1000-page bench rejected or
 * misplaced before, reduced to the one thing that made it hard.
 */
import { describe, expect, it } from 'vitest';
import { findShippedForm } from '../forms/definitions.ts';
import { applyHomography, type Matrix3 } from '../pipeline/geometry.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { findAnchorCandidates, REGISTRATION_TOLERANCE, register } from '../pipeline/register.ts';
import { generateSheet } from '../samples/generate.ts';
import { decodeFirstPage, registrationErrorMm } from './helpers.ts';

/** Paints a square of `value` centred on a page point (mm), as a speck of dust or a patch of paper would. */
function paint(img: GreyImage, t: Matrix3, mm: [number, number], sideMm: number, value: number) {
  const [cx, cy] = applyHomography(t, mm[0], mm[1]);
  const half = (sideMm / 2) * Math.hypot(t[0], t[3]);
  for (let y = Math.floor(cy - half); y < cy + half; y++) {
    for (let x = Math.floor(cx - half); x < cx + half; x++) img.data[y * img.width + x] = value;
  }
}

function registerPage(img: GreyImage, formId: string) {
  const def = findShippedForm(formId);
  return { def, result: register(img, def, findAnchorCandidates(img)) };
}

describe('registration', () => {
  it('fits a keystoned page whose fourth corner has no solid anchor, through its marks', async () => {
    // EGE AS1 2022: four solid anchors (the lower right carries an emblem), so the first fit is affine and
    // misplaces the marks' search windows by a millimetre or more on a keystoned photo.
    const g = await generateSheet(findShippedForm('ege-as1-2022'), 505, 'phone', {}, { perspective: -0.029 });
    const { def, result } = registerPage(await decodeFirstPage(g.image), 'ege-as1-2022');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.registration.model).toBe('homography+marks');
    expect(result.registration.marksUsed).toBeGreaterThan(30);
    expect(registrationErrorMm(def, result.registration.transform, g.truth.transform)).toBeLessThan(0.15);
  });

  it('drops a mark that a stroke displaced instead of rejecting a page that fits', async () => {
    const g = await generateSheet(findShippedForm('ege-as1-2023'), 11, 'scanner', {}, { perspective: 0 });
    const img = await decodeFirstPage(g.image);
    const clean = registerPage(img, 'ege-as1-2023').result;
    expect(clean.ok).toBe(true);
    // A blot at the right end of a row bar (5 x 0.71 mm at 7.37, 80.18) pulls its centroid ~0.35 mm right.
    paint(img, g.truth.transform, [12.72, 80.54], 0.7, 0);
    const { def, result } = registerPage(img, 'ege-as1-2023');
    expect(result.ok).toBe(true);
    if (!result.ok || !clean.ok) return;
    expect(result.registration.marksUsed).toBe(clean.registration.marksUsed - 1);
    expect(result.registration.residualMm).toBeLessThanOrEqual(REGISTRATION_TOLERANCE.maxResidualMm);
    expect(registrationErrorMm(def, result.registration.transform, g.truth.transform)).toBeLessThan(0.1);
  });

  it('finds the anchors when one of the farthest pair is hidden', async () => {
    const g = await generateSheet(
      findShippedForm('bubble-sheet-60x5'),
      12,
      'scanner',
      {},
      { perspective: 0 },
    );
    const img = await decodeFirstPage(g.image);
    const tl = findShippedForm('bubble-sheet-60x5').anchors.find((a) => a.id === 'TL')!;
    paint(img, g.truth.transform, [tl.x + tl.w / 2, tl.y + tl.h / 2], tl.w + 1, 245);
    const { def, result } = registerPage(img, 'bubble-sheet-60x5');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.registration.anchorsUsed).not.toContain('TL');
    expect(result.registration.anchorsUsed).toHaveLength(4);
    expect(registrationErrorMm(def, result.registration.transform, g.truth.transform)).toBeLessThan(0.3);
  });

  it('locates a faint anchor with a black speck of dust beside it', async () => {
    const g = await generateSheet(
      findShippedForm('ege-as2-2'),
      13,
      'scanner',
      {},
      { exposure: 0.5, blurSigmaPx: 1.5 },
    );
    const img = await decodeFirstPage(g.image);
    const ml = findShippedForm('ege-as2-2').anchors.find((a) => a.id === 'ML')!;
    paint(img, g.truth.transform, [ml.x + ml.w + 1.2, ml.y + ml.h / 2], 0.8, 0);
    const { def, result } = registerPage(img, 'ege-as2-2');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.registration.anchorsUsed).toContain('ML');
    expect(result.registration.model).toBe('homography');
    expect(registrationErrorMm(def, result.registration.transform, g.truth.transform)).toBeLessThan(0.3);
  });
});
