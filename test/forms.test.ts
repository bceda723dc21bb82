import { describe, expect, it, vi } from 'vitest';
import {
  expandForm,
  FormDefinitionError,
  parseFormDefinition,
  redactionAreas,
  shippedForms,
} from '../forms/definitions.ts';
import { anchorCentre, anchorInkShare } from '../forms/schema.ts';

const minimal = {
  id: 'tiny',
  title: 'tiny',
  kind: 'bubble-sheet',
  edition: '2026',
  source: 'test',
  page: { width: 100, height: 100 },
  anchors: [
    { id: 'A', x: 1, y: 1, w: 5, h: 5 },
    { id: 'B', x: 90, y: 1, w: 5, h: 5 },
    { id: 'C', x: 1, y: 90, w: 5, h: 5 },
  ],
  barcodes: [],
  alphabets: { digits: '0123456789' },
  fields: [
    {
      name: 'q.{n}',
      kind: 'bubbles',
      multiple: false,
      labels: ['A', 'B'],
      bubbles: { origin: [10, 10], size: [4, 3], count: 2, pitch: [6, 0] },
      repeat: { from: 3, count: 2, step: [0, 8] },
    },
    {
      name: 'code',
      kind: 'cells',
      alphabet: 'digits',
      cells: { origin: [10, 50], size: [4, 6], count: 3, pitch: [5, 0] },
    },
  ],
};

function withField(field: unknown) {
  return { ...minimal, fields: [field] };
}

const answerArea = { name: 'answer', kind: 'writing', area: { x: 10, y: 60, w: 80, h: 30 } };
const ean = { role: 'sheet-number', symbology: 'ean13', x: 50, y: 10, w: 40, h: 10 };
const link = {
  name: 'next',
  kind: 'link',
  target: 'additional-answer-sheet-2',
  cells: { origin: [10, 40], size: [4, 6], count: 13, pitch: [5, 0] },
};

describe('form definitions', () => {
  it('ships valid definitions with unique field names', () => {
    const forms = shippedForms();
    expect(forms.map((f) => f.id)).toEqual(
      expect.arrayContaining(['ege-as1-2022', 'ege-as1-2023', 'bubble-sheet-60x5']),
    );
    for (const f of forms) expect(() => expandForm(f)).not.toThrow();
  });

  it('finds one shipped form by its id, validating its file alone, the same object the set then holds', async () => {
    vi.resetModules();
    const schema = await import('../forms/schema.ts');
    const validated = vi.spyOn(schema.FormDefinitionSchema, 'safeParse');
    const fresh = await import('../forms/definitions.ts');
    const one = fresh.findShippedForm('bubble-sheet-60x5');
    expect(one.id).toBe('bubble-sheet-60x5');
    expect(validated).toHaveBeenCalledTimes(1);
    expect(fresh.shippedForms().find((f) => f.id === one.id)).toBe(one);
    expect(fresh.findShippedForm('bubble-sheet-60x5')).toBe(one);
    expect(() => fresh.findShippedForm('no-such-form')).toThrow(
      /unknown form "no-such-form"; shipped: .*ege-as1-2023/,
    );
  });

  it('expands repeats and runs into cells', () => {
    const form = expandForm(parseFormDefinition(minimal));
    expect(form.fields.map((f) => f.name)).toEqual(['q.3', 'q.4', 'code']);
    const q4 = form.byName.get('q.4');
    expect(q4?.kind === 'bubbles' && q4.rects).toEqual([
      { x: 10, y: 18, w: 4, h: 3 },
      { x: 16, y: 18, w: 4, h: 3 },
    ]);
    const code = form.byName.get('code');
    expect(code?.kind === 'cells' && code.allowed).toBe('0123456789');
  });

  it.each([
    [
      'an unknown alphabet',
      withField({
        name: 'x',
        kind: 'cells',
        alphabet: 'nope',
        cells: { origin: [0, 0], size: [1, 1], count: 1 },
      }),
      'fields[0].alphabet',
    ],
    [
      'labels not matching bubbles',
      withField({
        name: 'x',
        kind: 'bubbles',
        multiple: false,
        labels: ['A'],
        bubbles: { origin: [0, 0], size: [1, 1], count: 2, pitch: [2, 0] },
      }),
      'fields[0].labels',
    ],
    [
      'a run without pitch',
      withField({
        name: 'x',
        kind: 'cells',
        alphabet: 'digits',
        cells: { origin: [0, 0], size: [1, 1], count: 2 },
      }),
      'fields[0].cells.pitch',
    ],
    [
      'a repeat without {n}',
      withField({
        name: 'x',
        kind: 'cells',
        alphabet: 'digits',
        cells: { origin: [0, 0], size: [1, 1], count: 1 },
        repeat: { count: 2, step: [0, 5] },
      }),
      'fields[0].name',
    ],
    [
      'a negative cell size',
      withField({
        name: 'x',
        kind: 'cells',
        alphabet: 'digits',
        cells: { origin: [0, 0], size: [-1, 1], count: 1 },
      }),
      'fields[0].cells.size[0]',
    ],
    ['an unknown field kind', withField({ name: 'x', kind: 'signature' }), 'fields[0].kind'],
    ['an unknown key', { ...minimal, colour: 'red' }, '(root)'],
    ['too few anchors', { ...minimal, anchors: minimal.anchors.slice(0, 2) }, 'anchors'],
    ['a bad sheet-number pattern', { ...minimal, sheetNumber: { pattern: '([' } }, 'sheetNumber.pattern'],
    [
      'a redaction without a reason',
      { ...minimal, redact: [{ x: 1, y: 1, w: 5, h: 5 }] },
      'redact[0].reason',
    ],
    [
      'a redaction with a blank reason',
      { ...minimal, redact: [{ x: 1, y: 1, w: 5, h: 5, reason: '  ' }] },
      'redact[0].reason',
    ],
    [
      'a redaction of no width',
      { ...minimal, redact: [{ x: 1, y: 1, w: 0, h: 5, reason: 'r' }] },
      'redact[0].w',
    ],
    [
      'a redaction of negative height',
      { ...minimal, redact: [{ x: 1, y: 1, w: 5, h: -5, reason: 'r' }] },
      'redact[0].h',
    ],
    [
      'a redaction off the page',
      { ...minimal, redact: [{ x: 96, y: 1, w: 5, h: 5, reason: 'r' }] },
      'redact[0]',
    ],
    [
      'a redaction above the page',
      { ...minimal, redact: [{ x: 1, y: -1, w: 5, h: 5, reason: 'r' }] },
      'redact[0]',
    ],
    [
      'a redaction with an unknown key',
      { ...minimal, redact: [{ x: 1, y: 1, w: 5, h: 5, reason: 'r', colour: 'black' }] },
      'redact[0]',
    ],
    [
      'a redaction over the answer',
      { ...minimal, fields: [answerArea], redact: [{ x: 40, y: 85, w: 5, h: 10, reason: 'r' }] },
      'redact[0]',
    ],
    [
      'a barcode whose digits would blank the answer',
      { ...minimal, fields: [answerArea], barcodes: [{ ...ean, y: 45 }] },
      'barcodes[0]',
    ],
    [
      'a link field whose margin would blank the answer',
      { ...minimal, fields: [answerArea, { ...link, cells: { ...link.cells, origin: [10, 53] } }] },
      'fields[1]',
    ],
  ])('rejects %s, naming the key', (_what, json, key) => {
    let error: unknown;
    try {
      parseFormDefinition(json, 'case.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FormDefinitionError);
    expect((error as FormDefinitionError).issues.some((i) => i.startsWith(`${key}:`))).toBe(true);
  });

  it.each([
    [0, { x: 47, y: 7, w: 46, h: 20 }],
    [90, { x: 47, y: 7, w: 50, h: 16 }],
    [180, { x: 47, y: 3, w: 46, h: 20 }],
    [270, { x: 43, y: 7, w: 50, h: 16 }],
  ])(
    'blanks an EAN-13 printed at %i degrees with its quiet zone and the digits below it',
    (rotation, area) => {
      const def = parseFormDefinition({ ...minimal, barcodes: [{ ...ean, rotation }] });
      expect(redactionAreas(def)).toEqual([{ ...area, reason: "barcode sheet-number: the sheet's number" }]);
    },
  );

  it('blanks every barcode, link field and listed region, clipped to the page', () => {
    const def = parseFormDefinition({
      ...minimal,
      barcodes: [{ role: 'qr', symbology: 'qr', x: 1, y: 80, w: 15, h: 15 }],
      fields: [link],
      redact: [{ x: 60, y: 40, w: 30, h: 8, reason: 'printed sheet number' }],
    });
    expect(redactionAreas(def)).toEqual([
      // The QR's quiet zone runs off the left edge: the page's part of it.
      { x: 0, y: 77, w: 19, h: 21, reason: "barcode qr: the sheet's number" },
      {
        x: 8.5,
        y: 38.5,
        w: 67,
        h: 9,
        reason: "link field next: another sheet's number (additional-answer-sheet-2)",
      },
      { x: 60, y: 40, w: 30, h: 8, reason: 'printed sheet number' },
    ]);
  });

  it('blanks every code and link field of each shipped answer sheet 2 for experts', () => {
    const covers = (outer: { x: number; y: number; w: number; h: number }, inner: typeof outer) =>
      outer.x <= inner.x &&
      outer.y <= inner.y &&
      outer.x + outer.w >= inner.x + inner.w &&
      outer.y + outer.h >= inner.y + inner.h;
    const as2 = shippedForms().filter((f) => f.kind.endsWith('answer-sheet-2'));
    expect(as2.map((f) => f.id)).toEqual(['ege-as2-1', 'ege-as2-2', 'ege-as2-additional']);
    for (const def of as2) {
      const areas = redactionAreas(def);
      // The quiet zone the recogniser samples around each code (3 mm) is blank too.
      for (const b of def.barcodes)
        expect(areas.some((a) => covers(a, { x: b.x - 3, y: b.y - 3, w: b.w + 6, h: b.h + 6 }))).toBe(true);
      for (const f of expandForm(def).fields)
        if (f.kind === 'link')
          for (const cell of f.rects) expect(areas.some((a) => covers(a, cell))).toBe(true);
    }
  });

  it('rejects a duplicated field name', () => {
    const def = parseFormDefinition({ ...minimal, fields: [minimal.fields[1], minimal.fields[1]] });
    expect(() => expandForm(def)).toThrow(/defined twice/);
  });

  it('lays out EGE AS1 exactly as the measured spec', () => {
    const as1 = expandForm(shippedForms().find((f) => f.id === 'ege-as1-2023')!);
    const rect = (name: string, i: number) => {
      const f = as1.byName.get(name);
      if (f?.kind !== 'cells') throw new Error(name);
      return f.rects[i]!;
    };
    // Values from shared/forms/ege-answer-sheet-1.md §6-7.
    expect(rect('answer.1', 0)).toMatchObject({ x: 13.94, y: 73.62, w: 4.32, h: 6.53 });
    expect(rect('answer.20', 16).x).toBeCloseTo(99.08, 1);
    expect(rect('answer.11', 0).y).toBeCloseTo(157.21, 2);
    expect(rect('answer.40', 0).x).toBeCloseTo(112.71, 2);
    expect(rect('answer.40', 0).y).toBeCloseTo(229.75, 2);
    expect(rect('replacement.5.task', 0).x).toBeCloseTo(110.75, 2);
    expect(rect('replacement.6.answer', 16).x).toBeCloseTo(198.18, 1);
    expect(as1.fields.filter((f) => f.template === 'answer.{n}')).toHaveLength(40);
    const as2022 = shippedForms().find((f) => f.id === 'ege-as1-2022')!;
    expect(as2022.anchors.find((a) => a.id === 'BR')?.solid).toBe(false);
  });
});

describe('anchor shapes', () => {
  const withAnchor = (anchor: Record<string, unknown>) => ({
    ...minimal,
    anchors: [{ id: 'X', x: 10, y: 20, w: 8, h: 8, ...anchor }, ...minimal.anchors.slice(1)],
  });
  const anchorOf = (anchor: Record<string, unknown>) => parseFormDefinition(withAnchor(anchor)).anchors[0]!;

  it.each([
    ['a square by default', {}, 'square', 1, [14, 24]],
    ['a bar', { w: 9, h: 4, shape: 'bar' }, 'bar', 1, [14.5, 22]],
    ['a circle', { shape: 'circle' }, 'circle', Math.PI / 4, [14, 24]],
    // Arms 2 wide: 8x2 along the top and 2x6 down the left; the ink's centre lies towards the corner.
    [
      'an L meeting top left',
      { shape: 'l', corner: 'tl', arm: 2 },
      'l',
      28 / 64,
      [10 + 76 / 28, 20 + 76 / 28],
    ],
    [
      'an L meeting bottom right',
      { shape: 'l', corner: 'br', arm: 2 },
      'l',
      28 / 64,
      [18 - 76 / 28, 28 - 76 / 28],
    ],
  ] as const)('takes %s', (_what, fields, shape, share, centre) => {
    const a = anchorOf(fields);
    expect(a.shape).toBe(shape);
    expect(anchorInkShare(a)).toBeCloseTo(share, 9);
    expect(anchorCentre(a)[0]).toBeCloseTo(centre[0], 9);
    expect(anchorCentre(a)[1]).toBeCloseTo(centre[1], 9);
  });

  it('keeps every shipped anchor a filled square', () => {
    for (const a of shippedForms().flatMap((f) => f.anchors)) {
      expect(a.shape).toBe('square');
      expect(anchorInkShare(a)).toBe(1);
    }
  });

  it.each([
    ['an unknown shape', { shape: 'star' }, 'anchors[0].shape'],
    ['an L without its corner', { shape: 'l', arm: 2 }, 'anchors[0].corner'],
    ['an L without its arm', { shape: 'l', corner: 'tl' }, 'anchors[0].arm'],
    ['an L whose arm fills it', { shape: 'l', corner: 'tl', arm: 8 }, 'anchors[0].arm'],
    ['an L with an unknown corner', { shape: 'l', corner: 'top', arm: 2 }, 'anchors[0].corner'],
    ['a negative arm', { shape: 'l', corner: 'tl', arm: -1 }, 'anchors[0].arm'],
    ['a square with an arm', { arm: 2 }, 'anchors[0].arm'],
    ['a circle with a corner', { shape: 'circle', corner: 'tl' }, 'anchors[0].corner'],
    ['a long square', { w: 9, h: 4 }, 'anchors[0].h'],
    ['a long circle', { shape: 'circle', w: 9, h: 4 }, 'anchors[0].h'],
  ])('rejects %s, naming the key', (_what, fields, key) => {
    let error: unknown;
    try {
      parseFormDefinition(withAnchor(fields), 'case.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FormDefinitionError);
    expect((error as FormDefinitionError).issues.some((i) => i.startsWith(`${key}:`))).toBe(true);
  });
});
