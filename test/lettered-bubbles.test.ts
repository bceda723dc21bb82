/**
 * Bubble sheets of another design: the option letter printed dark inside every bubble, light pencil marks,
 * dithered 1-bit and 84-dpi scans, and variants that share their marks. The definition carries the bubble
 * thresholds and each bubble's empty level (`rcoi calibrate bubbles` on blank scans).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  calibrateThresholds,
  measureLabelledPage,
  sweepBubbles,
} from '../calibration/calibrate-thresholds.ts';
import { SHEET_READING } from '../calibration/import-omrchecker.ts';
import { calibrateCommand } from '../cli/calibrate.ts';
import { CommandError } from '../cli/usage.ts';
import {
  type BubblesInstance,
  expandForm,
  type FormDefinition,
  FormDefinitionError,
  loadFormDefinitionFile,
  parseFormDefinition,
} from '../forms/definitions.ts';
import type { FormDefinitionInput } from '../forms/schema.ts';
import { aboveEmpty, BUBBLE_THRESHOLDS, bubbleThresholds } from '../pipeline/bubbles.ts';
import { recogniseFilePage } from '../pipeline/page-job.ts';
import { recognisePage } from '../pipeline/recognise.ts';
import { blankFormSvg } from '../render/form.ts';
import type { DegradeParams } from '../samples/degrade.ts';
import type { MarkStyle } from '../samples/fill.ts';
import { generateSheet, type SheetTruth } from '../samples/generate.ts';
import { decodeFirstPage } from './helpers.ts';

const FIXTURE = new URL('./fixtures/lettered-bubble-sheet.json', import.meta.url).pathname;
const raw = (): FormDefinitionInput => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const lettered = loadFormDefinitionFile(FIXTURE);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rcoi-lettered-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `rcoi calibrate …` in-process with its output captured. */
async function calibrate(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await calibrateCommand(args), out: lines.join('\n') };
  } finally {
    log.mockRestore();
  }
}

async function writeScan(name: string, def: FormDefinition, seed: number, marked: boolean): Promise<string> {
  const g = await generateSheet(def, seed, 'scanner', marked ? {} : { exactly: {} });
  const path = join(dir, `${name}.${g.format === 'jpeg' ? 'jpg' : 'png'}`);
  await writeFile(path, g.image);
  return path;
}

describe('bubble reading data in a definition', () => {
  it('is optional: without it the thresholds are the code defaults', () => {
    expect(bubbleThresholds(lettered)).toEqual(BUBBLE_THRESHOLDS);
  });

  it('overrides the defaults key by key', () => {
    const def = parseFormDefinition({ ...raw(), thresholds: { bubbles: { marginal: 0.05, residue: 0.04 } } });
    expect(bubbleThresholds(def)).toEqual({ ...BUBBLE_THRESHOLDS, marginal: 0.05, residue: 0.04 });
  });

  it.each([
    [
      'thresholds out of order',
      { thresholds: { bubbles: { minThreshold: 0.5, maxThreshold: 0.4 } } },
      /minThreshold <= defaultThreshold/,
    ],
    ['a zero marginal band', { thresholds: { bubbles: { marginal: 0 } } }, /thresholds\.bubbles\.marginal/],
    ['a darkness above 1', { thresholds: { bubbles: { spill: 1.5 } } }, /thresholds\.bubbles\.spill/],
    ['an unknown threshold', { thresholds: { bubbles: { gap: 0.1 } } }, /thresholds\.bubbles/],
    [
      'levels of a field that is not there',
      { bubbleEmpty: { 'x.{n}': { A: { fill: 0.2, ring: 0 } } } },
      /bubbleEmpty\.x\.\{n\}: no bubble field/,
    ],
    [
      'a label the field does not have',
      { bubbleEmpty: { 'q.{n}': { Z: { fill: 0.2, ring: 0 } } } },
      /no bubble labelled "Z" in q\.\{n\}/,
    ],
    [
      'an empty level no mark could rise above',
      { bubbleEmpty: { 'q.{n}': { A: { fill: 0.95, ring: 0 } } } },
      /bubbleEmpty\.q\.\{n\}\.A\.fill/,
    ],
    [
      'levels for some bubbles only',
      { bubbleEmpty: { 'q.{n}': { A: { fill: 0.2, ring: 0 } } } },
      /no calibrated empty level for B, C, D, E of q\.\{n\}/,
    ],
    ['a feature with no expectation', { features: [{ x: 1, y: 1, w: 5, h: 5 }] }, /features\[0\]\.ink/],
  ])('refuses %s, naming the key', (_what, extra, message) => {
    expect(() => parseFormDefinition({ ...raw(), ...extra }, 'test')).toThrow(FormDefinitionError);
    expect(() => parseFormDefinition({ ...raw(), ...extra }, 'test')).toThrow(message);
  });

  it('prints the label inside each bubble as the form declares it', () => {
    const svg = blankFormSvg(expandForm(lettered));
    expect(svg).toContain(
      'font-weight="bold" font-size="25.98" fill="rgb(21,21,21)" text-anchor="middle">C</text>',
    );
    const light = parseFormDefinition({ ...raw(), id: 'light-labels', bubbleLabels: undefined });
    expect(blankFormSvg(expandForm(light))).toContain(
      'font-size="23.62" fill="rgb(170,170,170)" text-anchor="middle">C</text>',
    );
  });
});

describe('each bubble against its own empty level', () => {
  const field: BubblesInstance = {
    kind: 'bubbles',
    name: 'q.1',
    template: 'q.{n}',
    labels: ['A', 'B', 'C', 'D'],
    multiple: false,
    rects: [],
  };
  const empty = {
    'q.{n}': {
      A: { fill: 0.3, ring: 0.01 },
      B: { fill: 0.12, ring: 0.01 },
      C: { fill: 0.2, ring: 0.01 },
      D: { fill: 0.25, ring: 0.01 },
    },
  };

  it('reads a mark of darkness p over any letter as about p, an empty bubble as about 0', () => {
    // The sheet's dots on the paper (a dithered scan) add 0.02 everywhere; B carries a 0.4 pencil mark.
    const fills = [0.32, 0.12 + 0.4 * 0.88 + 0.02, 0.22, 0.27];
    const [n] = aboveEmpty(
      [field, field],
      [fills.map((fill) => ({ fill, ring: 0.03 })), fills.map((fill) => ({ fill, ring: 0.03 }))],
      empty,
    );
    expect(n![1]!.fill).toBeCloseTo(0.4, 1);
    for (const i of [0, 2, 3]) expect(Math.abs(n![i]!.fill)).toBeLessThan(0.01);
  });

  it('keeps marks marks on a sheet marked nearly everywhere', () => {
    const marked = [0.3, 0.12, 0.2, 0.25].map((e) => ({ fill: e + 0.8 * (1 - e), ring: 0.03 }));
    const [n] = aboveEmpty([field], [marked], empty);
    for (const m of n!) expect(m.fill).toBeGreaterThan(0.65);
  });

  it("without blank scans, takes each letter's empty level from the sheet's own bubbles ('sheet')", () => {
    // Eight questions, one 0.4 pencil mark each, on A, B, C or D in turn: most bubbles of every letter are
    // empty, so the letter's low quantile on the sheet is its level.
    const levels = [0.3, 0.12, 0.2, 0.25];
    const sheet = Array.from({ length: 8 }, (_, q) =>
      levels.map((e, i) => ({ fill: i === q % 4 ? e + 0.4 * (1 - e) : e + 0.01 * (q % 3), ring: 0.03 })),
    );
    const n = aboveEmpty(
      sheet.map(() => field),
      sheet,
      'sheet',
    );
    n.forEach((ms, q) => {
      ms.forEach((m, i) => {
        if (i === q % 4) expect(m.fill).toBeCloseTo(0.4, 1);
        else expect(Math.abs(m.fill)).toBeLessThan(0.03);
      });
    });
  });

  it("takes a block's own empty level inside its bubbles where light falls unevenly (a photo)", () => {
    // Two blocks of eight questions; the second lies in shade, 0.12 darker everywhere, rings included.
    const levels = [0.3, 0.12, 0.2, 0.25];
    const shade = (b: number) => (b === 1 ? 0.12 : 0);
    const fields = [0, 1].flatMap((b) => Array.from({ length: 8 }, () => ({ ...field, block: `b${b}` })));
    const sheet = fields.map((f, q) =>
      levels.map((e, i) => ({
        fill: e + shade(Number(f.block.slice(1))) + (i === q % 4 ? 0.4 : 0),
        ring: 0.03 + shade(Number(f.block.slice(1))),
      })),
    );
    const n = aboveEmpty(fields, sheet, 'sheet');
    n.forEach((ms, q) => {
      ms.forEach((m, i) => {
        if (i !== q % 4) expect(Math.abs(m.fill)).toBeLessThan(0.03);
      });
    });
  });

  it("does not take a block's level where most of its bubbles of a letter are marked", () => {
    // 2-omr-marker's camscanner-2: a block of four questions, three answered D; another of twelve, one each.
    const levels = [0.3, 0.12, 0.2, 0.25];
    const answers = [3, 0, 3, 3, ...Array.from({ length: 12 }, (_, q) => q % 4)];
    const fields = answers.map((_, q) => ({ ...field, block: q < 4 ? 'short' : 'long' }));
    const sheet = answers.map((a) => levels.map((e, i) => ({ fill: e + (i === a ? 0.5 : 0), ring: 0.03 })));
    const n = aboveEmpty(fields, sheet, 'sheet');
    n.forEach((ms, q) => {
      ms.forEach((m, i) => {
        if (i === answers[q]) expect(m.fill).toBeGreaterThan(0.4);
        else expect(Math.abs(m.fill)).toBeLessThan(0.03);
      });
    });
  });

  it('leaves a form without calibration as it was', () => {
    const measures = [[{ fill: 0.3, ring: 0.02 }]];
    expect(aboveEmpty([field], measures, undefined)).toBe(measures);
  });
});

/** Reads the pages with the definition: fields sent to verification and wrong values accepted without a doubt. */
async function readAll(
  pages: { image: Uint8Array; fields: Record<string, { value: string }> }[],
  def: FormDefinition,
) {
  let fields = 0;
  let doubted = 0;
  let silent = 0;
  for (const page of pages) {
    const sheet = await recognisePage(await decodeFirstPage(page.image), { forms: [def] });
    expect(sheet.status).not.toBe('rejected');
    for (const [name, truth] of Object.entries(page.fields)) {
      const read = sheet.fields[name]!;
      fields++;
      if (read.doubt.length > 0) doubted++;
      else if (read.value !== truth.value) silent++;
    }
  }
  return { fields, doubted, silent, accepted: (fields - doubted) / fields };
}

describe('rcoi calibrate bubbles on a sheet with letters printed in its bubbles', () => {
  const CONDITIONS: [string, MarkStyle, Partial<DegradeParams>][] = [
    ['light pencil, 300 dpi grey', 'pencil', {}],
    ['solid marks, dithered 1-bit 300 dpi', 'solid', { dpi: 300, bilevel: 'dither' }],
    ['light pencil, dithered 1-bit 300 dpi', 'pencil', { dpi: 300, bilevel: 'dither' }],
    ['light pencil, 84 dpi', 'pencil', { dpi: 84 }],
  ];
  let calibrated: FormDefinition;
  const pages: Record<
    string,
    { image: Uint8Array; fields: Record<string, { value: string }>; truth: SheetTruth }[]
  > = {};

  beforeAll(async () => {
    const blanks = [
      await writeScan('blank-1', lettered, 1, false),
      await writeScan('blank-2', lettered, 2, false),
    ];
    const out = join(dir, 'lettered.bubbles.json');
    const r = await calibrate(['bubbles', '--form', FIXTURE, '--out', out, ...blanks]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 of 2 blank scan page\(s\) measured/);
    calibrated = loadFormDefinitionFile(out);
    for (const [name, markStyle, overrides] of CONDITIONS) {
      pages[name] = [];
      for (const seed of [21, 22]) {
        const g = await generateSheet(lettered, seed, 'scanner', { markStyle }, overrides);
        pages[name].push({ image: g.image, fields: g.truth.fields, truth: g.truth });
      }
    }
  }, 120_000);

  it('writes each letter its own empty level, and thresholds tighter than the defaults', () => {
    const empty = calibrated.bubbleEmpty;
    const q = empty === 'sheet' ? undefined : empty?.['q.{n}'];
    expect(Object.keys(q ?? {}).sort()).toEqual(['A', 'B', 'C', 'D', 'E']);
    // The letters make empty bubbles 0.12-0.35 dark, and differently so: B has more ink than C.
    for (const level of Object.values(q ?? {})) expect(level.fill).toBeGreaterThan(0.12);
    expect(q?.B?.fill).toBeGreaterThan((q?.C?.fill ?? 1) + 0.05);
    expect(calibrated.thresholds.bubbles?.defaultThreshold).toBeLessThan(BUBBLE_THRESHOLDS.minThreshold);
  });

  it.each(CONDITIONS.map(([name]) => [name]))(
    '%s: 0 silent errors and at least 97 percent auto-accepted, against under 90 uncalibrated',
    async (name) => {
      const before = await readAll(pages[name]!, lettered);
      const after = await readAll(pages[name]!, calibrated);
      expect(after.silent).toBe(0);
      expect(after.accepted).toBeGreaterThanOrEqual(0.97);
      expect(before.accepted).toBeLessThan(0.9);
    },
  );

  it.each(CONDITIONS.map(([name]) => [name]))(
    '%s, without blank scans (each sheet its own levels, blocks aligned): 0 silent errors, at least 97 percent',
    async (name) => {
      // What the OMRChecker importer declares, on a form that has no calibration of its own.
      const own = parseFormDefinition({ ...raw(), id: 'lettered-self-calibrated', ...SHEET_READING });
      const read = await readAll(pages[name]!, own);
      expect(read.silent).toBe(0);
      expect(read.accepted).toBeGreaterThanOrEqual(0.97);
    },
  );

  it.each(CONDITIONS.map(([name]) => [name]))(
    '%s: calibrate thresholds replays a self-calibrated form as recognition reads it',
    async (name) => {
      const own = parseFormDefinition({ ...raw(), id: 'lettered-self-calibrated', ...SHEET_READING });
      const measured = [];
      let doubted = 0;
      let silent = 0;
      for (const page of pages[name]!) {
        const img = await decodeFirstPage(page.image);
        const m = measureLabelledPage(img, own, { ...page.truth, form: own.id }, false);
        if (typeof m === 'string') throw new Error(m);
        measured.push(m.bubbles);
        const sheet = await recognisePage(img, { forms: [own] });
        for (const s of m.bubbles.fields) {
          const read = sheet.fields[s.field.name]!;
          if (read.doubt.length > 0) doubted++;
          else if (read.value !== s.truth) silent++;
        }
      }
      const marginal = own.thresholds.bubbles?.marginal ?? 0;
      const [row] = sweepBubbles(measured, [marginal], bubbleThresholds(own));
      expect(row).toMatchObject({ verified: doubted, acceptedErrors: silent });
    },
  );

  it('calibrate thresholds starts from the calibrated thresholds, not the defaults', () => {
    const none = {
      pages: 0,
      skipped: [],
      bubbles: [],
      characters: [],
      fields: [],
      charactersSkipped: 'none',
    };
    const c = calibrateThresholds(calibrated, none);
    expect(c.bubbles.current).toBe(calibrated.thresholds.bubbles?.marginal);
    expect(c.bubbles.current).not.toBe(BUBBLE_THRESHOLDS.marginal);
  });

  it('refuses "blank" scans with marks on them, writing nothing', async () => {
    const marked = await writeScan('marked', lettered, 3, true);
    const out = join(dir, 'never.json');
    await expect(calibrate(['bubbles', '--form', FIXTURE, '--out', out, marked])).rejects.toThrow(
      CommandError,
    );
    await expect(calibrate(['bubbles', '--form', FIXTURE, '--out', out, marked])).rejects.toThrow(
      /not blank: .*marked\.(png|jpg) has bubbles marked/,
    );
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('dithered 1-bit files, as scanners write them', () => {
  // The generator's dithered pages are 8-bit PNGs of black and white; a scanner's are mostly 1-bit files, and
  // some are saved as JPEGs. Read as recognition reads a file, with the resolution the form needs, every one of
  // them comes out at half size, each pixel its 2x2 block's mean, the grey the dots stand for: the 1-bit PNG in
  // its own decoder, the others after libvips. Read at full size, these pages had 15 to 28 false faint-mark
  // doubts among 140 answers (a sample every 0.2 mm hits single dots).
  const files = {
    '1-bit PNG': async (page: Uint8Array) => {
      const { data, info } = await sharp(page).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const oneBit = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
        .toColourspace('b-w')
        .png({ palette: true, colours: 2 })
        .toBuffer();
      expect(oneBit[24]).toBe(1);
      return oneBit;
    },
    'G4 TIFF': (page: Uint8Array) =>
      sharp(page).toColourspace('b-w').tiff({ compression: 'ccittfax4', bitdepth: 1 }).toBuffer(),
    '8-bit PNG': async (page: Uint8Array) => page,
    JPEG: (page: Uint8Array) => sharp(page).toColourspace('b-w').jpeg({ quality: 85 }).toBuffer(),
  };
  it.each([
    ['1-bit PNG', 'solid marks', 'solid', 0],
    ['1-bit PNG', 'light pencil, turned 3 degrees', 'pencil', 3],
    ['G4 TIFF', 'solid marks', 'solid', 0],
    ['8-bit PNG', 'light pencil, turned 3 degrees', 'pencil', 3],
    ['JPEG', 'solid marks', 'solid', 0],
  ] as const)(
    '%s, %s: 0 silent errors and at least 98 percent auto-accepted',
    async (file, _, markStyle, rotationDeg) => {
      const own = parseFormDefinition({ ...raw(), id: 'lettered-self-calibrated', ...SHEET_READING });
      let fields = 0;
      let doubted = 0;
      let silent = 0;
      for (const seed of [31, 33]) {
        const g = await generateSheet(
          own,
          seed,
          'scanner',
          { markStyle },
          { dpi: 300, bilevel: 'dither', rotationDeg },
        );
        const bytes = await files[file](g.image);
        const sheet = await recogniseFilePage('scan', async () => bytes, 0, [own]);
        expect(sheet.status).not.toBe('rejected');
        if (sheet.status === 'rejected') continue;
        for (const [name, truth] of Object.entries(g.truth.fields)) {
          const read = sheet.fields[name]!;
          fields++;
          if (read.doubt.length > 0) doubted++;
          else if (read.value !== truth.value) silent++;
        }
      }
      expect(silent).toBe(0);
      expect((fields - doubted) / fields).toBeGreaterThanOrEqual(0.98);
    },
  );

  it('calibrates on dithered blank scans as it reads them: thresholds as tight as grey scans give', async () => {
    const blanks: string[] = [];
    for (const seed of [1, 2]) {
      const g = await generateSheet(
        lettered,
        seed,
        'scanner',
        { exactly: {} },
        { dpi: 300, bilevel: 'dither' },
      );
      const path = join(dir, `dithered-blank-${seed}.png`);
      await writeFile(path, await files['1-bit PNG'](g.image));
      blanks.push(path);
    }
    const out = join(dir, 'dithered.bubbles.json');
    expect((await calibrate(['bubbles', '--form', FIXTURE, '--out', out, ...blanks])).code).toBe(0);
    // Measured at full size, where the dots scatter every empty bubble, the residue doubt started at 0.091
    // (grey blank scans of the same sheets: 0.057), and an erasure up to there would pass as empty.
    expect(loadFormDefinitionFile(out).thresholds.bubbles?.residue).toBeLessThan(0.07);
  });
});

describe('the generator', () => {
  it('makes dithered 1-bit scans: black and white dots whose density keeps the grey', async () => {
    const overrides = { dpi: 300, bilevel: 'dither' as const, noiseSd: 0, blurSigmaPx: 0 };
    const dithered = await decodeFirstPage((await generateSheet(lettered, 41, 'clean', {}, overrides)).image);
    const { bilevel: _, ...grey } = overrides;
    const smooth = await decodeFirstPage((await generateSheet(lettered, 41, 'clean', {}, grey)).image);
    expect(new Set(dithered.data)).toEqual(new Set([0, 255]));
    const mean = (d: Uint8Array) => d.reduce((a, v) => a + v, 0) / d.length;
    expect(Math.abs(mean(dithered.data) - mean(smooth.data))).toBeLessThan(1);
  });
});

describe('variants that share their marks', () => {
  // The same design with 40 questions: its third column of bubbles is blank paper.
  const COLUMN_3 = { x: 146, y: 110, w: 32, h: 160 };
  const variant = (id: string, questions: 40 | 60, features?: 'present' | 'absent'): FormDefinition => {
    const r = raw();
    return parseFormDefinition({
      ...r,
      id,
      fields: questions === 60 ? r.fields : r.fields.slice(0, 3),
      ...(features && { features: [{ ...COLUMN_3, ink: features }] }),
    });
  };
  const sixty = variant('variant-60', 60);
  const forty = variant('variant-40', 40);

  it('without anything to tell them apart: rejected, asking for --form, not guessed', async () => {
    const page = await generateSheet(forty, 31, 'scanner');
    const img = await decodeFirstPage(page.image);
    const sheet = await recognisePage(img, { forms: [sixty, forty] });
    expect(sheet).toMatchObject({ status: 'rejected', reason: 'ambiguous-form', form: null });
    expect(sheet.detail).toMatch(/variant-60, variant-40 alike.*--form/);
    // Named on the command line, the form is read.
    expect(await recognisePage(img, { forms: [forty] })).toMatchObject({ form: 'variant-40' });
  }, 30_000);

  it('told apart by the feature each declares', async () => {
    const declared = [variant('variant-60f', 60, 'present'), variant('variant-40f', 40, 'absent')];
    for (const [def, seed] of [
      [declared[1]!, 32],
      [declared[0]!, 33],
      [declared[1]!, 34],
    ] as const) {
      for (const overrides of [{}, { dpi: 300, bilevel: 'dither' as const }]) {
        const page = await generateSheet(def, seed, 'scanner', {}, overrides);
        const sheet = await recognisePage(await decodeFirstPage(page.image), { forms: declared });
        expect(sheet.form).toBe(def.id);
        expect(sheet.status).not.toBe('rejected');
      }
    }
  }, 60_000);
});
