/**
 * Answers read under their task's type: the per-subject data (calibration/answers/<year>/), the whole-answer
 * decoder (pipeline/answers.ts), and a generated AS1 page of a known subject through recognisePage.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSubjectRules } from '../domain/checking.ts';
import {
  ANSWER_TYPES,
  type AnswerType,
  answerTypeOf,
  answerYears,
  loadSubjectAnswers,
  parseSubjectAnswers,
  shippedAnswers,
  TYPE_PATTERN,
} from '../forms/answer-types.ts';
import { type CellsInstance, expandForm, shippedForms } from '../forms/definitions.ts';
import { answerTypeOfField, decodeAnswer, type TypedAnswer } from '../pipeline/answers.ts';
import { fieldAccept } from '../pipeline/cells.ts';
import { loadCharacterModel } from '../pipeline/character-model.ts';
import { BLANK_READ, type CharacterRead, resolveScripts } from '../pipeline/characters.ts';
import { recognisePage } from '../pipeline/recognise.ts';
import { renderFilledSheet } from '../samples/generate.ts';

const MATHS = {
  year: 2026,
  exam: 'EGE',
  subjectCode: '02',
  subject: 'mathematics-profile',
  example: true,
  basis: 'test',
  tasks: [{ from: 1, to: 12, type: 'decimal' }],
};

describe('answer types as data', () => {
  // Which subjects have short answers at all is test/rule-sets.test.ts's list (GVE's written Russian has none).
  it.each(answerYears())('every subject file of %i loads, each beside its subject checking rules', (year) => {
    const answers = loadSubjectAnswers(year);
    const rules = loadSubjectRules(year);
    for (const a of answers) {
      const subjectRules = rules.find(
        (r) => r.exam === a.exam && r.subject === a.subject && r.subjectCode === a.subjectCode,
      );
      expect(subjectRules, `${a.exam} ${a.subject}`).toBeDefined();
      // Short-answer tasks are not the extended ones the experts check.
      const checked = new Set(subjectRules!.tasks.map((t) => Number(t.task)));
      for (const r of a.tasks) for (let n = r.from; n <= r.to; n++) expect(checked.has(n)).toBe(false);
    }
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'an unknown type',
      { tasks: [{ from: 1, to: 2, type: 'number' }] },
      'ege-mathematics-profile.json',
      /type/,
    ],
    [
      'a range backwards',
      { tasks: [{ from: 5, to: 2, type: 'digits' }] },
      'ege-mathematics-profile.json',
      /from is after to/,
    ],
    [
      'a task in two ranges',
      {
        tasks: [
          { from: 1, to: 5, type: 'digits' },
          { from: 5, to: 6, type: 'decimal' },
        ],
      },
      'ege-mathematics-profile.json',
      /task 5 in two ranges/,
    ],
    ['no basis', { basis: '' }, 'ege-mathematics-profile.json', /basis/],
    ['an unknown key', { typo: 1 }, 'ege-mathematics-profile.json', /typo/],
    ['a file named for another subject', {}, 'ege-physics.json', /declares ege-mathematics-profile.json/],
    ['another year', { year: 2025 }, 'ege-mathematics-profile.json', /declares year 2025/],
  ])('refuses %s', (_name, change, file, message) => {
    expect(() => parseSubjectAnswers({ ...MATHS, ...change }, 2026, file)).toThrow(message);
  });

  it('refuses a year whose two files claim one subject', () => {
    const dir = mkdtempSync(join(tmpdir(), 'answers-'));
    mkdirSync(join(dir, '2026'));
    writeFileSync(join(dir, '2026', 'ege-mathematics-profile.json'), JSON.stringify(MATHS));
    writeFileSync(join(dir, '2026', 'ege-maths.json'), JSON.stringify({ ...MATHS, subject: 'maths' }));
    expect(() => loadSubjectAnswers(2026, pathToFileURL(`${dir}/`))).toThrow(/EGE 02 in two files/);
  });

  it('ships the newest year for a page of no known exam, and no types for a year without its own', () => {
    expect(shippedAnswers().map((a) => a.year)).toContain(answerYears()[0]);
    expect(shippedAnswers(1999)).toEqual([]);
  });

  it('types a task by its range, and an untyped task as free', () => {
    const maths = parseSubjectAnswers(MATHS, 2026, 'ege-mathematics-profile.json');
    expect([answerTypeOf(maths, 1), answerTypeOf(maths, 12), answerTypeOf(maths, 13)]).toEqual([
      'decimal',
      'decimal',
      'free',
    ]);
  });

  it.each<[AnswerType, string[], string[]]>([
    ['integer', ['13', '-7', '0'], ['1,5', '-', '1-2', '07']],
    ['decimal', ['-0,25', '13', '0,08', '2,50'], [',5', '1,', '1,2,3', '--1', '0908']],
    ['digits', ['134', '0'], ['-1', '1,2']],
    ['cyrillic-word', ['ВСЁ-ТАКИ', 'КОТ'], ['-КОТ', 'КОТ-', 'CAT']],
    ['latin-word', ['WAX'], ['ВОСК', 'W-X']],
    ['word-or-number', ['1812', 'ПЁТР', '-0,5'], ['1812Г', 'WAX']],
  ])('%s: its pattern takes %j and refuses %j', (type, good, bad) => {
    for (const v of good) expect(TYPE_PATTERN[type].test(v)).toBe(true);
    for (const v of bad) expect(TYPE_PATTERN[type].test(v)).toBe(false);
    expect(ANSWER_TYPES).toContain(type);
  });
});

/** A written cell with the given probabilities (the rest of the field's symbols at 0). */
function cell(p: Record<string, number>, spoilt = false): CharacterRead {
  const alternatives = Object.entries(p)
    .map(([symbol, v]) => ({ symbol, p: v }))
    .sort((a, b) => b.p - a.p);
  return {
    symbol: alternatives[0]!.symbol,
    confidence: alternatives[0]!.p,
    alternatives,
    blank: false,
    homoglyphs: '',
    ...(spoilt && { spoilt: true as const }),
  };
}

const ACCEPT = 0.97;

describe('an answer decoded as a whole under its type', () => {
  it('reads 13 where each character alone reads 1З', () => {
    const reads = [cell({ 1: 0.9, I: 0.08, 7: 0.02 }), cell({ З: 0.6, 3: 0.39, 8: 0.01 })];
    expect(reads.map((r) => r.symbol).join('')).toBe('1З');
    const d = decodeAnswer(reads, 'integer', ACCEPT);
    expect(d.value).toBe('13');
    expect(d.cells).toEqual([]);
    expect(d.probability).toBeCloseTo((0.98 / 1) * (0.99 / 1), 3);
  });

  it('keeps 0,08 a doubt naming its uncertain comma', () => {
    const reads = [
      cell({ 0: 0.99, О: 0.01 }),
      cell({ ',': 0.6, 9: 0.4 }),
      cell({ 0: 0.995, 6: 0.005 }),
      cell({ 8: 0.99, В: 0.01 }),
    ];
    const d = decodeAnswer(reads, 'decimal', ACCEPT);
    expect(d.value).toBe('0,08');
    expect(d.cells).toEqual([
      {
        cell: 2,
        reason: 'low-confidence-character',
        detail: expect.stringMatching(/^, at 60%, or 9 at 40%/),
      },
    ]);
  });

  it('never accepts 0908 for a 0,08 whose comma reads as a 9: no number starts with 0 and a digit', () => {
    const reads = [
      cell({ 0: 0.99, О: 0.01 }),
      cell({ 9: 0.96, ',': 0.04 }),
      cell({ 0: 0.995, 6: 0.005 }),
      cell({ 8: 0.99, В: 0.01 }),
    ];
    for (const accept of [0.97, 0.9, 0.5]) {
      const d = decodeAnswer(reads, 'decimal', accept);
      expect(d.value).toBe('0908');
      expect(d.cells.map((c) => [c.cell, c.reason])).toContainEqual([2, 'not-of-type']);
    }
  });

  it.each(
    (['integer', 'decimal', 'digits', 'cyrillic-word', 'latin-word', 'word-or-number'] as const).flatMap(
      (type) =>
        [
          '13',
          '-7',
          '0',
          '07',
          '0,08',
          '-0,5',
          '1,',
          ',5',
          '1-2',
          'КОТ',
          'ВСЁ-ТАКИ',
          '-КОТ',
          'WAX',
          '1Ж',
        ].map((value) => [type, value] as const),
    ),
  )('%s: the decoder takes %j exactly when the pattern does', (type, value) => {
    const d = decodeAnswer(
      [...value].map((ch) => cell({ [ch]: 1 })),
      type,
      ACCEPT,
    );
    expect(d.cells.length === 0 && d.value === value).toBe(TYPE_PATTERN[type].test(value));
  });

  it('chooses Cyrillic once for a word whose every letter has a Latin twin', () => {
    const reads = [cell({ К: 0.5, K: 0.5 }), cell({ О: 0.4, O: 0.3, 0: 0.3 }), cell({ Т: 0.45, T: 0.55 })];
    const d = decodeAnswer(reads, 'cyrillic-word', ACCEPT);
    expect(d.value).toBe('КОТ');
    expect(d.cells).toEqual([]);
  });

  it.each<[string, TypedAnswer, CharacterRead[], string, { cell: number; reason: string }[]]>([
    [
      'a letter in a number',
      'decimal',
      [cell({ 1: 0.99, I: 0.01 }), cell({ Ж: 0.95, 8: 0.05 })],
      '1Ж',
      [{ cell: 2, reason: 'not-of-type' }],
    ],
    [
      'a comma that cannot lead',
      'decimal',
      [cell({ ',': 0.98, 1: 0.02 }), cell({ 5: 0.99, 6: 0.01 })],
      ',5',
      [{ cell: 1, reason: 'not-of-type' }],
    ],
    [
      'a lone 3 that may be З',
      'word-or-number',
      [cell({ 3: 0.5, З: 0.5 })],
      '3',
      [{ cell: 1, reason: 'ambiguous-script' }],
    ],
    [
      'a spoilt tile',
      'digits',
      [cell({ 7: 0.999, 1: 0.001 }, true)],
      '7',
      [{ cell: 1, reason: 'low-confidence-character' }],
    ],
    ['blank cells kept in place', 'digits', [BLANK_READ, cell({ 4: 0.99, Ч: 0.01 })], '4', []],
  ])('doubts %s', (_name, type, reads, value, cells) => {
    const d = decodeAnswer(reads, type, ACCEPT);
    expect(d.value).toBe(value);
    expect(d.cells.map(({ cell, reason }) => ({ cell, reason }))).toEqual(cells);
  });

  it('settles an untyped answer of homoglyphs alone by the one script all of them have', () => {
    const h = (symbol: string, homoglyphs: string) => ({ ...cell({ [symbol]: 0.99 }), homoglyphs });
    expect(resolveScripts([h('I', 'I1'), h('З', 'З3'), h('Ч', 'Ч4')]).map((r) => r.symbol)).toEqual([
      '1',
      '3',
      '4',
    ]);
    expect(resolveScripts([h('З', 'З3')])[0]?.confidence).toBe(0);
  });
});

describe('answers typed by the sheet subject', () => {
  const def = shippedForms().find((f) => f.id === 'ege-as1-2023')!;
  const form = expandForm(def);

  it.each<
    [string, Record<string, string | [string, 'low-confidence-character']>, string, AnswerType | undefined]
  >([
    ['task 1 of mathematics', { subject_code: '02' }, 'answer.1', 'decimal'],
    ['task 12 of mathematics', { subject_code: '02' }, 'answer.12', 'decimal'],
    ['task 13 of mathematics, not a short answer', { subject_code: '02' }, 'answer.13', 'free'],
    ['task 2 of Russian', { subject_code: '01' }, 'answer.2', 'cyrillic-word'],
    ['a doubtful subject', { subject_code: ['02', 'low-confidence-character'] }, 'answer.1', undefined],
    ['a subject without types', { subject_code: '99' }, 'answer.1', undefined],
    ['no subject read', {}, 'answer.1', undefined],
    ['a field that is no answer', { subject_code: '02' }, 'region', undefined],
    [
      'a replacement of task 7',
      { subject_code: '01', 'replacement.2.task': '07' },
      'replacement.2.answer',
      'cyrillic-word',
    ],
    [
      'a replacement whose task is doubtful',
      { subject_code: '01', 'replacement.2.task': ['07', 'low-confidence-character'] },
      'replacement.2.answer',
      undefined,
    ],
    ['a replacement of no task read', { subject_code: '01' }, 'replacement.2.answer', undefined],
  ])('types %s', (_name, values, field, type) => {
    const read = Object.fromEntries(
      Object.entries(values).map(([name, v]) => {
        const [value, doubt] = typeof v === 'string' ? [v, undefined] : v;
        return [name, { value, confidence: 1, doubt: doubt ? [doubt] : [] }];
      }),
    );
    expect(answerTypeOfField(form, field, read, shippedAnswers())).toBe(type);
  });

  it.each<[string, Record<string, string>, string[]]>([
    [
      'mathematics: numbers',
      { subject_code: '02', 'answer.1': '3', 'answer.2': '13', 'answer.3': '134' },
      ['answer.1'],
    ],
    ['Russian: a word', { subject_code: '01', 'answer.2': 'КОТ', 'answer.3': '4' }, ['answer.2', 'answer.3']],
  ])('%s: accepted under their types, ambiguous without', async (_name, exactly, ambiguous) => {
    const { page } = await renderFilledSheet(form, 7, { exactly });
    const typed = await recognisePage(page, { forms: [def] });
    const untyped = await recognisePage(page, { forms: [def], answers: [] });
    for (const [name, value] of Object.entries(exactly)) {
      expect(typed.fields[name]).toMatchObject({ value, doubt: [] });
      if (ambiguous.includes(name)) expect(untyped.fields[name]?.doubt).toContain('ambiguous-script');
    }
  });

  it('doubts an answer of marks alone (a speck read as a comma), typed or not, and reads a number with them', async () => {
    const exactly = { subject_code: '99', 'answer.17': ',', 'answer.18': '-', 'answer.19': '-4,5' };
    const { page } = await renderFilledSheet(form, 11, { exactly });
    const read = await recognisePage(page, { forms: [def] });
    expect(read.fields['answer.17']).toMatchObject({ value: ',', doubt: ['marks-only'] });
    expect(read.fields['answer.18']).toMatchObject({ value: '-', doubt: ['marks-only'] });
    expect(read.fields['answer.19']).toMatchObject({ value: '-4,5', doubt: [] });
  });

  it('gives recognition and calibration one threshold per field: the model’s own for the pre-printed subject', () => {
    const strict = { ...def, thresholds: { ...def.thresholds, characterAccept: 1 } };
    const field = (name: string) => form.byName.get(name) as CellsInstance;
    expect(fieldAccept(strict, field('subject_code'))).toBe(loadCharacterModel().header.acceptThreshold);
    expect(fieldAccept(strict, field('answer.1'))).toBe(1);
    expect(fieldAccept({ ...def, thresholds: {} }, field('answer.1'))).toBe(
      loadCharacterModel().header.acceptThreshold,
    );
  });

  it('reads the pre-printed subject at the model threshold, however strict the form is with handwriting', async () => {
    const { page } = await renderFilledSheet(form, 7, { exactly: { subject_code: '02' } });
    // So strict that no read of a cell passes it: only print read at the model's threshold is accepted.
    const strict = { ...def, thresholds: { ...def.thresholds, characterAccept: 1 } };
    const read = await recognisePage(page, { forms: [strict] });
    expect(read.fields.subject_code).toMatchObject({ value: '02', doubt: [] });
  });
});
