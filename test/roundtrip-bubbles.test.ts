import { describe, expect, it } from 'vitest';
import { findShippedForm, shippedForms } from '../calibration/forms.ts';
import { recognisePage } from '../pipeline/recognise.ts';
import type { DegradeProfile } from '../samples/degrade.ts';
import { generateSheet } from '../samples/generate.ts';
import { compare, decodeFirstPage, registrationErrorMm } from './helpers.ts';

const def = findShippedForm('bubble-sheet-60x5');

describe('generator → recogniser round trip: bubble sheet', () => {
  it.each([
    ['clean', 1],
    ['scanner', 2],
    ['scanner', 3],
    ['phone', 4],
    ['phone', 5],
    ['harsh', 6],
  ] as [DegradeProfile, number][])(
    '%s page (seed %i): registered, identified, no silent errors',
    async (profile, seed) => {
      const g = await generateSheet(def, seed, profile);
      const sheet = await recognisePage(await decodeFirstPage(g.image), { forms: shippedForms() });
      expect(sheet.status, sheet.detail).not.toBe('rejected');
      expect(sheet.form).toBe(def.id);
      // Never a wrong number; on the worst pages it may be withheld, with the doubt saying why.
      if (profile === 'harsh' && sheet.sheetNumber === undefined)
        expect(sheet.doubt.length).toBeGreaterThan(0);
      else expect(sheet.sheetNumber).toBe(g.truth.sheetNumber);
      expect(sheet.registration?.orientation).toBe(g.truth.degrade.upsideDown ? 180 : 0);
      expect(registrationErrorMm(def, sheet.registration!.transform, g.truth.transform)).toBeLessThan(0.5);
      const c = compare(sheet, g.truth);
      expect(c.silent).toEqual([]);
      // Doubts are the exception, not the rule: the sheet is mostly read automatically.
      expect(c.doubted.length).toBeLessThan(Object.keys(g.truth.fields).length * 0.3);
    },
  );

  it('reads an upside-down page', async () => {
    let seed = 100;
    let g = await generateSheet(def, seed, 'scanner');
    while (!g.truth.degrade.upsideDown) g = await generateSheet(def, ++seed, 'scanner');
    const sheet = await recognisePage(await decodeFirstPage(g.image), { forms: [def] });
    expect(sheet.registration?.orientation).toBe(180);
    expect(compare(sheet, g.truth).silent).toEqual([]);
  });

  it('reads plain solid marks exactly', async () => {
    const g = await generateSheet(def, 7, 'scanner', { difficultMarks: false });
    const sheet = await recognisePage(await decodeFirstPage(g.image), { forms: [def] });
    const c = compare(sheet, g.truth);
    expect(c.wrong).toEqual([]);
    expect(sheet.status).toBe('recognised');
  });
});
