import { describe, expect, it } from 'vitest';
import {
  type Accepts,
  derivedUpdates,
  type FieldState,
  pageIsFinal,
  tasksSettled,
  valueProblem,
} from '../domain/verification.ts';
import { ean13CheckDigitValid } from '../pipeline/barcodes.ts';

describe('what a verifier may enter', () => {
  const sheetNumber: Accepts = { sheetNumber: true };
  const writing: Accepts = { writing: true };
  const digits: Accepts = { symbols: '0123456789' };
  it.each([
    [sheetNumber, '4006381333931', null],
    [sheetNumber, '4006381333932', 'a sheet number is 13 digits with a valid check digit'],
    [sheetNumber, '400638133393', 'a sheet number is 13 digits with a valid check digit'],
    [writing, 'written', null],
    [writing, '', null],
    [writing, 'x', 'a writing area is "written" or empty'],
    [digits, '0427', null],
    [digits, '', null],
    [digits, '4a2a-', 'not allowed in this field: a -'],
  ])('%o takes %j: %s', (accepts, value, problem) => {
    expect(valueProblem(accepts, value, ean13CheckDigitValid)).toBe(problem);
  });
});

const field = (name: string, finalValue: string | null, status = 'accepted'): FieldState => ({
  name,
  value: 'read',
  finalValue,
  status,
});

describe('how derived fields settle', () => {
  it.each([
    [
      'a doubt opens a task',
      { 'result.1': { value: '5', doubt: ['replacement-conflict'] } },
      [],
      [{ name: 'result.1', value: '5', doubt: ['replacement-conflict'] }],
    ],
    [
      'a doubtful field is confirmed with the derived value',
      { 'result.1': { value: '5', doubt: [] } },
      [field('result.1', null, 'doubtful')],
      [{ name: 'result.1', finalValue: '5', status: 'confirmed' }],
    ],
    [
      'a changed value keeps the field’s status',
      { 'result.1': { value: '7', doubt: [] } },
      [field('result.1', '5', 'accepted')],
      [{ name: 'result.1', finalValue: '7', status: 'accepted' }],
    ],
    [
      'the same value changes nothing',
      { 'result.1': { value: '5', doubt: [] } },
      [field('result.1', '5')],
      [],
    ],
    ['a field the page does not have is not written', { 'result.1': { value: '5', doubt: [] } }, [], []],
  ])('%s', (_, derived, fields, updates) => {
    expect(derivedUpdates(derived, fields)).toEqual(updates);
  });
});

describe('when a page is final', () => {
  it.each([
    [[], [field('a', 'x')], true],
    [['done', 'done'], [field('a', 'x'), field('b', '')], true],
    [['done', 'open'], [field('a', 'x')], false],
    [['leased'], [field('a', 'x')], false],
    [['held'], [field('a', 'x')], false],
    [['done'], [field('a', 'x'), field('b', null)], false],
  ])('tasks %j, fields %o: %s', (tasks, fields, final) => {
    expect(pageIsFinal(tasks, fields)).toBe(final);
    if (final) expect(tasksSettled(tasks)).toBe(true);
  });
});
