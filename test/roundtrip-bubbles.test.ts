import { describe, expect, it } from 'vitest';
import { findShippedForm, shippedForms } from '../forms/definitions.ts';
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

describe('wrong form', () => {
  it('rejects a page forced to a form it is not, instead of reading it', async () => {
    const g = await generateSheet(def, 21, 'scanner');
    const img = await decodeFirstPage(g.image);
    for (const other of ['ege-as1-2023', 'ege-registration', 'ege-protocol']) {
      const sheet = await recognisePage(img, { forms: [findShippedForm(other)] });
      expect(sheet.status, other).toBe('rejected');
      expect(['anchors-not-found', 'registration-residual', 'wrong-form']).toContain(sheet.reason);
    }
  });
});

describe('scanned PDF', () => {
  it('reads every page of a PDF batch like the images themselves', async () => {
    const { PDFDocument } = await import('pdf-lib');
    const { recogniseFilePage } = await import('../pipeline/page-job.ts');
    const sheets = await Promise.all(
      [51, 52].map((s) => generateSheet(def, s, 'scanner', {}, { jpegQuality: 70 })),
    );
    const doc = await PDFDocument.create();
    for (const g of sheets) {
      const jpg = await doc.embedJpg(g.image);
      doc.addPage([595, 842]).drawImage(jpg, { x: 0, y: 0, width: 595, height: 842 });
    }
    const pdf = await doc.save();
    for (const [i, g] of sheets.entries()) {
      const r = await recogniseFilePage('batch.pdf', async () => pdf, i, [def]);
      expect(r.status, r.detail).not.toBe('rejected');
      expect(r.sheetNumber).toBe(g.truth.sheetNumber);
      expect(compare(r, g.truth).silent).toEqual([]);
    }
  });
});
