import { describe, expect, it } from 'vitest';
import { expandForm, findShippedForm } from '../forms/definitions.ts';
import { applyDerivations } from '../pipeline/derive.ts';
import type { RecognisedField } from '../pipeline/result.ts';

const as1 = expandForm(findShippedForm('ege-as1-2023'));

const ok = (value: string): RecognisedField => ({ value, confidence: 0.99, doubt: [] });
const unsure = (value: string): RecognisedField => ({
  value,
  confidence: 0.4,
  doubt: ['low-confidence-character'],
});

/** Every AS1 field empty and certain, then the given ones. */
function sheet(fields: Record<string, RecognisedField>): Record<string, RecognisedField> {
  const all: Record<string, RecognisedField> = {};
  for (const f of as1.fields) all[f.name] = ok('');
  return { ...all, ...fields };
}

describe('EGE AS1 replacements', () => {
  it.each([
    ['no replacement: result is the answer', { 'answer.3': ok('42') }, '3', '42', []],
    [
      'a replacement overrides its task',
      { 'answer.3': ok('42'), 'replacement.1.task': ok('03'), 'replacement.1.answer': ok('-7') },
      '3',
      '-7',
      [],
    ],
    [
      'an unreadable replacement answer makes the result doubtful',
      { 'answer.9': ok('1'), 'replacement.2.task': ok('09'), 'replacement.2.answer': unsure('303') },
      '9',
      '303',
      ['replacement-unreadable'],
    ],
    [
      'an empty replacement answer is a doubt, not an erased answer',
      { 'answer.9': ok('1'), 'replacement.2.task': ok('09') },
      '9',
      '',
      ['replacement-unreadable'],
    ],
    [
      'two replacements of one task that disagree',
      {
        'replacement.1.task': ok('15'),
        'replacement.1.answer': ok('81'),
        'replacement.4.task': ok('15'),
        'replacement.4.answer': ok('18'),
      },
      '15',
      '18',
      ['replacement-conflict'],
    ],
    [
      'a doubtful task number taints the result it names',
      { 'answer.1': ok('5'), 'replacement.3.task': unsure('01'), 'replacement.3.answer': ok('2,72') },
      '1',
      '2,72',
      ['replacement-unreadable'],
    ],
  ] as [string, Record<string, RecognisedField>, string, string, string[]][])(
    '%s',
    (_what, fields, n, value, doubt) => {
      const out = applyDerivations(as1, sheet(fields));
      expect(out[`result.${n}`]?.value).toBe(value);
      expect(out[`result.${n}`]?.doubt).toEqual(doubt);
      if (doubt.length) expect(out[`result.${n}`]!.confidence).toBeLessThanOrEqual(0.5);
    },
  );

  it('flags a replacement row that names no task', () => {
    const out = applyDerivations(
      as1,
      sheet({ 'replacement.1.task': ok('77'), 'replacement.1.answer': ok('5') }),
    );
    expect(out['replacement.1.task']?.doubt).toContain('replacement-unreadable');
    for (let n = 1; n <= 40; n++) expect(out[`result.${n}`]?.value).toBe('');
  });

  it('checks the organiser count of filled replacement rows', () => {
    const rows = { 'replacement.1.task': ok('02'), 'replacement.1.answer': ok('97') };
    expect(
      applyDerivations(as1, sheet({ ...rows, replacement_count: ok('1') })).replacement_count?.doubt,
    ).toEqual([]);
    expect(
      applyDerivations(as1, sheet({ ...rows, replacement_count: ok('2') })).replacement_count?.doubt,
    ).toEqual(['replacement-count-mismatch']);
  });

  it('derives nothing for forms without the rule', () => {
    const bubbles = expandForm(findShippedForm('bubble-sheet-60x5'));
    const fields = { 'q.1': ok('A') };
    expect(applyDerivations(bubbles, fields)).toEqual(fields);
  });
});
