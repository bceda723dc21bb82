import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EntryReport, FormCalibration } from '../calibration/calibrate-form.ts';
import {
  BAND_SWEEP,
  type CharacterSample,
  calibrateThresholds,
  type FieldSample,
  measureLabelledFiles,
  recommend,
  recommendWithin,
  sweepCharacterFields,
  sweepCharacters,
} from '../calibration/calibrate-thresholds.ts';
import { calibrateCommand } from '../cli/calibrate.ts';
import { main } from '../cli/main.ts';
import { UsageError } from '../cli/usage.ts';
import { FORMS_DIR, findShippedForm, parseFormDefinition } from '../forms/definitions.ts';
import type { FormDefinitionInput } from '../forms/schema.ts';
import { BUBBLE_THRESHOLDS } from '../pipeline/bubbles.ts';
import type { DegradeProfile } from '../samples/degrade.ts';
import { generateSheet, type SheetTruth } from '../samples/generate.ts';

const FORM = 'bubble-sheet-60x5';
const def = findShippedForm(FORM);
/** The entry moved in the perturbed definition (questions 21-40), and by how much. */
const MOVED = 2;
const SHIFT = [0.6, -0.4] as const;

let dir: string;

/** Writes generated pages the way `rcoi generate` does: NAME.png|jpg and NAME.json. */
async function writePages(into: string, pages: [number, DegradeProfile][]): Promise<SheetTruth[]> {
  const truths: SheetTruth[] = [];
  for (const [seed, profile] of pages) {
    const g = await generateSheet(def, seed, profile);
    const name = `${FORM}-${profile}-${seed}`;
    await writeFile(join(into, `${name}.${g.format === 'jpeg' ? 'jpg' : 'png'}`), g.image);
    await writeFile(join(into, `${name}.json`), JSON.stringify(g.truth));
    truths.push(g.truth);
  }
  return truths;
}

/** Runs the command with console output captured. */
async function run(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await calibrateCommand(args), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcoi-calibrate-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('calibrate form', () => {
  let truths: SheetTruth[];
  let perturbed: FormDefinitionInput;
  let report: FormCalibration;
  let adjusted: FormDefinitionInput;
  let printed: string;

  beforeAll(async () => {
    const scans = join(dir, 'scans');
    await mkdir(scans);
    truths = await writePages(scans, [
      [1, 'clean'],
      [2, 'scanner'],
      [3, 'scanner'],
    ]);
    // The printed pages follow the shipped definition; the one calibrated has an entry off by SHIFT.
    const raw = JSON.parse(await readFile(join(FORMS_DIR, `${FORM}.json`), 'utf8')) as FormDefinitionInput;
    perturbed = structuredClone(raw);
    const moved = perturbed.fields[MOVED];
    if (moved?.kind !== 'bubbles') throw new Error('the moved entry should be a bubble group');
    moved.bubbles.origin = [moved.bubbles.origin[0] + SHIFT[0], moved.bubbles.origin[1] + SHIFT[1]];
    const defPath = join(dir, 'perturbed.json');
    await writeFile(defPath, JSON.stringify(perturbed));
    const out = join(dir, 'out', 'perturbed.calibrated.json');
    const r = await run(['form', '--form', defPath, '--out', out, scans]);
    expect(r.code).toBe(0);
    printed = r.out;
    adjusted = JSON.parse(await readFile(out, 'utf8')) as FormDefinitionInput;
    report = JSON.parse(await readFile(join(dir, 'out', 'perturbed.calibrated.report.json'), 'utf8'));
  });

  it('reports each scan’s registration against the generator’s truth', () => {
    expect(report.scans).toHaveLength(truths.length);
    report.scans.forEach((s, i) => {
      const d = truths[i]!.degrade;
      const g = s.geometry!;
      expect(g, s.failure).toBeDefined();
      expect(g.orientation).toBe(d.upsideDown ? 180 : 0);
      expect(g.nominalDpi).toBe(d.dpi);
      expect(g.scaleX).toBeCloseTo(d.scale, 2);
      expect(g.scaleY).toBeCloseTo(d.scale, 2);
      expect(Math.abs(g.rotationDeg - d.rotationDeg)).toBeLessThan(0.05);
      expect(g.residualMm).toBeLessThan(0.1);
    });
  });

  it('finds the moved entry’s offset and no offset elsewhere', () => {
    const byEntry = new Map<number, EntryReport>(report.entries.map((e) => [e.entry, e]));
    expect(report.entries).toHaveLength(def.fields.length);
    for (const [i, e] of byEntry) {
      const [ex, ey] = i === MOVED ? [-SHIFT[0], -SHIFT[1]] : [0, 0];
      expect(Math.abs(e.dx - ex), `entry ${i} dx ${e.dx}`).toBeLessThan(0.1);
      expect(Math.abs(e.dy - ey), `entry ${i} dy ${e.dy}`).toBeLessThan(0.1);
      expect(e.count).toBeGreaterThan(0);
      expect(e.weakShare).toBeLessThan(0.2);
      expect(e.shifted).toBe(i === MOVED);
    }
    expect(printed).toMatch(/^ 2 q\.\{n\} +bubbles +60 .* yes$/m);
  });

  it('writes a valid definition with the moved entry put back and everything else as it was', () => {
    const valid = parseFormDefinition(adjusted);
    const moved = valid.fields[MOVED];
    const original = def.fields[MOVED];
    if (moved?.kind !== 'bubbles' || original?.kind !== 'bubbles') throw new Error('not a bubble group');
    expect(Math.abs(moved.bubbles.origin[0] - original.bubbles.origin[0])).toBeLessThan(0.1);
    expect(Math.abs(moved.bubbles.origin[1] - original.bubbles.origin[1])).toBeLessThan(0.1);
    const withoutOrigin = (d: FormDefinitionInput) => ({
      ...d,
      fields: d.fields.map((f, i) =>
        i === MOVED && f.kind === 'bubbles' ? { ...f, bubbles: { ...f.bubbles, origin: [0, 0] } } : f,
      ),
    });
    expect(withoutOrigin(adjusted)).toEqual(withoutOrigin(perturbed));
  });
});

describe('calibrate thresholds', () => {
  it('sweeps the marginal band on labelled bubble sheets and recommends a swept value', async () => {
    const labelled = join(dir, 'labelled');
    await mkdir(labelled);
    await writePages(labelled, [
      [11, 'scanner'],
      [12, 'scanner'],
      [13, 'scanner'],
      [14, 'clean'],
    ]);
    const images = (await readdir(labelled))
      .filter((f) => !f.endsWith('.json'))
      .map((f) => join(labelled, f));
    const measures = await measureLabelledFiles(def, images);
    expect(measures.pages).toBe(4);
    expect(measures.skipped).toEqual([]);
    expect(measures.charactersSkipped).toMatch(/no character cells/);

    const c = calibrateThresholds(def, measures);
    const rows = c.bubbles.rows;
    expect(rows.map((r) => r.value)).toEqual(BAND_SWEEP);
    expect(rows[0]!.items).toBeGreaterThan(250);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.items).toBe(rows[0]!.items);
      expect(rows[i]!.verifiedShare).toBeLessThanOrEqual(rows[i - 1]!.verifiedShare);
    }
    // The difficult marks the generator draws put some fields in the band whatever its width.
    expect(rows[0]!.verified).toBeGreaterThan(rows.at(-1)!.verified);
    expect(BAND_SWEEP).toContain(c.bubbles.recommended?.value);
    expect(c.bubbles.current).toBe(BUBBLE_THRESHOLDS.marginal);
    expect(c.characters).toBeUndefined();

    const r = await run(['thresholds', '--form', FORM, labelled]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ +0\.12 \* +\d+/m);
    expect(r.out).toMatch(/recommended marginal band 0\.\d\d \(current 0\.12\)/);
    expect(r.out).toMatch(/characters: skipped, form bubble-sheet-60x5 has no character cells/);
  });

  it('counts character verification and accepted errors per accept threshold', () => {
    const s = (symbol: string, confidence: number, truth: string): CharacterSample => ({
      field: 'f',
      symbol,
      confidence: symbol === '' ? 1 : confidence,
      blank: symbol === '',
      truth,
      weight: 1,
    });
    const samples = [
      s('1', 0.999, '1'),
      s('7', 0.96, '1'), // confident and wrong: only a strict threshold catches it
      s('2', 0.7, '2'),
      s('', 1, '5'), // a missed character is accepted at any threshold
      s('', 1, ''), // blank and blank: left out
    ];
    const rows = sweepCharacters(samples, [0.99, 0.9, 0.5]);
    expect(rows.map((r) => [r.items, r.verified, r.acceptedErrors])).toEqual([
      [4, 2, 1],
      [4, 1, 2],
      [4, 0, 2],
    ]);
    expect(recommend(rows)?.value).toBe(0.99);
  });

  it('replays the field-level decision: one doubtful cell or a fixed doubt sends the whole field', () => {
    const f = (units: number, wrong: number, minConfidence: number, fixedDoubt = false): FieldSample => ({
      field: 'answer',
      units,
      wrong,
      fixedDoubt,
      minConfidence,
      weight: 1,
    });
    const fields = [
      f(3, 2, 0.7), // two wrong cells, hidden in a field that an unsure right cell sends to verification
      f(2, 0, 0.995), // read right and sure
      f(4, 2, 0.999, true), // wrong but with a gap: verified at any threshold
      f(1, 1, 0.96), // one confident wrong character
    ];
    const rows = sweepCharacterFields(fields, [0.99, 0.9, 0.5]);
    expect(rows.map((r) => [r.items, r.verified, r.acceptedErrors])).toEqual([
      [10, 8, 0],
      [10, 7, 1],
      [10, 4, 3],
    ]);
    expect(recommendWithin(rows, 0)?.value).toBe(0.99);
    expect(recommendWithin(rows, 1 / 3)?.value).toBe(0.9);
    // Nothing within the budget: the fewest errors.
    expect(recommendWithin(rows.slice(1), 0)?.value).toBe(0.9);
  });

  it('weighs a control answer as the unseen accepted answers it was drawn from', () => {
    // Verified answers of a season: every doubted one (weight 1) and a 2% draw of those accepted unseen.
    const field = (wrong: number, minConfidence: number, weight: number): FieldSample => ({
      field: 'answer',
      units: 2,
      wrong,
      fixedDoubt: false,
      minConfidence,
      weight,
    });
    const fields = [
      field(0, 0.9995, 50), // drawn from the accepted, read right
      field(1, 0.9991, 50), // drawn from the accepted, and wrong: a silent error found
      field(0, 0.995, 1), // doubted at 0.998, read right
      field(1, 0.99, 1), // doubted at 0.998, and wrong
    ];
    const rows = sweepCharacterFields(fields, [0.999, 0.998, 0.995, 0.99]);
    expect(rows.map((r) => [r.value, r.items, r.verified, r.acceptedErrors])).toEqual([
      [0.999, 204, 4, 50],
      [0.998, 204, 4, 50],
      [0.995, 204, 2, 50],
      [0.99, 204, 0, 51],
    ]);
    // At 0.9992 the wrong control answer is caught, and with it the 50 it stands for.
    expect(sweepCharacterFields(fields, [0.9992])[0]).toMatchObject({ verified: 104, acceptedErrors: 0 });
  });
});

describe('calibrate usage', () => {
  it('refuses missing arguments with a usage error, which main answers with exit code 2', async () => {
    await expect(calibrateCommand([])).rejects.toBeInstanceOf(UsageError);
    await expect(calibrateCommand(['form', dir])).rejects.toThrow(/needs --form/);
    await expect(calibrateCommand(['thresholds', '--form', FORM])).rejects.toThrow(/one LABELLED_DIR/);
    // Labels come from files or from the database, never both; --pages only counts the database's.
    await expect(calibrateCommand(['thresholds', '--form', FORM, '--verified', dir])).rejects.toThrow(
      /--verified takes no LABELLED_DIR/,
    );
    await expect(calibrateCommand(['thresholds', '--form', FORM, '--pages', '5', dir])).rejects.toThrow(
      /--pages goes with --verified/,
    );
    for (const pages of ['0', '2.5', 'many'])
      await expect(
        calibrateCommand(['thresholds', '--form', FORM, '--verified', '--pages', pages]),
      ).rejects.toThrow(/--pages needs a whole number/);
    await expect(calibrateCommand(['form', '--form', 'no-such-form', dir])).rejects.toThrow(/unknown form/);
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main(['calibrate', 'sideways'])).toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toMatch(/unknown calibrate command "sideways"/);
    } finally {
      err.mockRestore();
    }
  });
});
