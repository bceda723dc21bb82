/**
 * Real sheets of other designs (OMRChecker's samples, samples/corpora/omrchecker-samples): each template is
 * imported as a definition of ours and each image read by the real recogniser, then compared with the
 * readings OMRChecker's maintainers approved. No value may differ from theirs without a doubt; the counts of
 * accepted and doubtful answers are pinned so that a change in either shows. BENCHMARKS.md says what each
 * disagreement is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type ImportedTemplate, importOmrChecker } from '../calibration/import-omrchecker.ts';
import { findShippedForm } from '../forms/definitions.ts';
import { openSource } from '../pipeline/decode.ts';
import { recogniseFilePage } from '../pipeline/page-job.ts';
import { recognisePage } from '../pipeline/recognise.ts';
import type { RecognisedSheet } from '../pipeline/result.ts';
import { parseReference } from './omrchecker-reference.ts';

const ROOT = new URL('../samples/corpora/omrchecker-samples/', import.meta.url).pathname;

function templateFor(image: string): unknown {
  let dir = dirname(join(ROOT, image));
  while (!existsSync(join(dir, 'template.json'))) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'template.json'), 'utf8'));
}

const hasTemplate = (image: string) => {
  for (let dir = dirname(join(ROOT, image)); dir.startsWith(ROOT); dir = dirname(dir))
    if (existsSync(join(dir, 'template.json'))) return true;
  return false;
};

const sheets = parseReference(
  readFileSync(join(ROOT, 'test_all_samples.ambr'), 'utf8'),
  templateFor,
  hasTemplate,
);

/** Per image: OMRChecker's answers we accept (all agreeing) and those we doubt. Every template imports. */
const EXPECTED: Record<string, { accepted: number; doubtful: number }> = {
  '3-answer-key/using-csv/adrian_omr.png': { accepted: 4, doubtful: 1 },
  '3-answer-key/using-image/UPSC-mock/angle-1.jpg': { accepted: 95, doubtful: 8 },
  '3-answer-key/using-image/UPSC-mock/angle-2.jpg': { accepted: 99, doubtful: 4 },
  '3-answer-key/using-image/UPSC-mock/angle-3.jpg': { accepted: 98, doubtful: 5 },
  '3-answer-key/using-image-grouping/angle-1.jpg': { accepted: 95, doubtful: 5 },
  '3-answer-key/weighted-answers/images/adrian_omr.png': { accepted: 5, doubtful: 0 },
  '3-answer-key/weighted-answers/images/adrian_omr_2.png': { accepted: 4, doubtful: 1 },
  '3-answer-key/bonus-marking/IMG_20201116_143512.jpg': { accepted: 10, doubtful: 1 },
  '3-answer-key/bonus-marking-grouping/IMG_20201116_143512.jpg': { accepted: 10, doubtful: 1 },
  '3-answer-key/bonus-marking-grouping/IMG_20201116_150717658.jpg': { accepted: 10, doubtful: 1 },
  '3-answer-key/bonus-marking-grouping/IMG_20201116_150750830.jpg': { accepted: 10, doubtful: 1 },
  'community/Antibodyy/simple_omr_sheet.jpg': { accepted: 6, doubtful: 0 },
  'community/JoyChopra1298/JEE Mains OMR 1.jpg': { accepted: 86, doubtful: 4 },
  'community/JoyChopra1298/JEE Mains OMR 2.jpg': { accepted: 86, doubtful: 4 },
  'community/Sandeep-1507/NEET-2021/omr-1.png': { accepted: 180, doubtful: 21 },
  'community/Sandeep-1507/NEET-2021/omr-2.png': { accepted: 201, doubtful: 0 },
  'community/Sandeep-1507/NEET-2021/omr-3.png': { accepted: 200, doubtful: 1 },
  'community/Shamanth/omr_sheet_01.png': { accepted: 8, doubtful: 0 },
  'community/UmarFarootAPS/scans/scan-type-1.jpg': { accepted: 200, doubtful: 1 },
  'community/UmarFarootAPS/scans/scan-type-2.jpg': { accepted: 183, doubtful: 18 },
  'community/ibrahimkilic/yes_no_questionnarie.jpg': { accepted: 0, doubtful: 5 },
  '2-omr-marker/ScanBatch1/camscanner-1.jpg': { accepted: 21, doubtful: 2 },
  '2-omr-marker/ScanBatch2/camscanner-2.jpg': { accepted: 18, doubtful: 5 },
  '1-mobile-camera/MobileCamera/sheet1.jpg': { accepted: 15, doubtful: 6 },
};

/**
 * Readings of OMRChecker's that the image contradicts (looked at on overlays, BENCHMARKS.md): the value the
 * image shows is the one compared. q31 of this photo has D filled and C plainly empty; OMRChecker reads the
 * same photo with the same q31 layout as D in its using-image sample.
 */
const REFERENCE_WRONG: Record<string, Record<string, string>> = {
  '3-answer-key/using-image-grouping/angle-1.jpg': { q31: 'D' },
};

describe('OMRChecker samples, imported and read', () => {
  it('the snapshot gives a reading for every sample image kept, and each is pinned here', () => {
    expect(sheets.map((s) => s.image).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('reads with a form registered by the outline only when it is the one form named', async () => {
    const ref = sheets.find((s) => s.image.endsWith('bonus-marking/IMG_20201116_143512.jpg'))!;
    const imported = importOmrChecker(ref.template, { id: 'omrchecker-sample' });
    if (!imported.ok) throw new Error(imported.errors.join());
    const page = await (await openSource(readFileSync(join(ROOT, ref.image)))).page(0);
    const alone = await recognisePage(page, { forms: [imported.imported.definition] });
    expect(alone.form).toBe('omrchecker-sample');
    // Among other candidates its outline would fit any sheet, so it identifies nothing.
    const among = await recognisePage(page, {
      forms: [imported.imported.definition, findShippedForm('bubble-sheet-60x5')],
    });
    expect(among).toMatchObject({ status: 'rejected', form: null });
  });

  for (const ref of sheets) {
    it(ref.image, async () => {
      const expected = EXPECTED[ref.image];
      if (!expected) throw new Error(`${ref.image} has no pinned reading`);
      const imported = importOmrChecker(ref.template, { id: 'omrchecker-sample' });
      if (!imported.ok) throw new Error(imported.errors.join('\n'));
      const { definition } = imported.imported;
      // The product's path: decoded at the resolution the form needs, as `rcoi recognise --form` reads it.
      const bytes = new Uint8Array(readFileSync(join(ROOT, ref.image)));
      const sheet = await recogniseFilePage(ref.image, async () => bytes, 0, [definition]);
      expect(sheet.status).not.toBe('rejected');
      const { silent, accepted, doubtful } = tally(ref, imported.imported, sheet);
      expect(silent).toEqual([]);
      expect({ accepted, doubtful }).toEqual(expected);
    });
  }

  it('reads a scan of four corner markers turned upside down the right way up', async () => {
    const ref = sheets.find((s) => s.image.endsWith('UmarFarootAPS/scans/scan-type-1.jpg'))!;
    const imported = importOmrChecker(ref.template, { id: 'omrchecker-sample' });
    if (!imported.ok) throw new Error(imported.errors.join());
    const turned = await sharp(readFileSync(join(ROOT, ref.image)))
      .rotate(180)
      .png()
      .toBuffer();
    const sheet = await recogniseFilePage(ref.image, async () => new Uint8Array(turned), 0, [
      imported.imported.definition,
    ]);
    expect(sheet.registration?.orientation).toBe(180);
    const { silent, accepted } = tally(ref, imported.imported, sheet);
    expect(silent).toEqual([]);
    expect(accepted).toBeGreaterThanOrEqual(199);
  });
});

/**
 * Whether our value is the reference's. The snapshot's tables are pandas' reading of OMRChecker's CSV, which
 * takes a column of digits for a number: a roll number `0234` stands there as `234`.
 */
function agrees(ours: string, reference: string | undefined): boolean {
  if (ours === reference) return true;
  return (
    reference !== undefined &&
    /^\d+$/.test(ours) &&
    /^\d+$/.test(reference) &&
    Number(ours) === Number(reference)
  );
}

/** Our reading of a sample against OMRChecker's, answer by answer (its output columns). */
function tally(ref: (typeof sheets)[number], imported: ImportedTemplate, sheet: RecognisedSheet) {
  let accepted = 0;
  let doubtful = 0;
  const silent: string[] = [];
  for (const c of imported.columns) {
    const fields = c.fields.map((f) => sheet.fields[f]!);
    const value = fields.map((f) => f.value || imported.emptyValue).join('');
    if (fields.some((f) => f.doubt.length > 0)) doubtful++;
    else if (agrees(value, REFERENCE_WRONG[ref.image]?.[c.name] ?? ref.values[c.name])) accepted++;
    else silent.push(`${c.name}: ours ${value}, OMRChecker ${ref.values[c.name]}`);
  }
  return { accepted, doubtful, silent };
}
