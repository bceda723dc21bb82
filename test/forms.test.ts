import { describe, expect, it } from 'vitest';
import { expandForm, FormDefinitionError, parseFormDefinition, shippedForms } from '../calibration/forms.ts';

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

describe('form definitions', () => {
  it('ships valid definitions with unique field names', () => {
    const forms = shippedForms();
    expect(forms.map((f) => f.id)).toEqual(
      expect.arrayContaining(['ege-as1-2022', 'ege-as1-2023', 'bubble-sheet-60x5']),
    );
    for (const f of forms) expect(() => expandForm(f)).not.toThrow();
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
