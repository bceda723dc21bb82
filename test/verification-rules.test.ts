import { describe, expect, it } from 'vitest';
import {
  type Accepts,
  controlEstimate,
  controlPlace,
  derivedUpdates,
  type FieldState,
  inControlSample,
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

describe('the blind control sample', () => {
  const keys = Array.from({ length: 50_000 }, (_, i) => `${(i * 7919).toString(16)}/0/answer.${i % 40}`);

  it.each([
    [0, 0, 0],
    [0.02, 0.016, 0.024],
    [0.1, 0.095, 0.105],
    [0.5, 0.49, 0.51],
  ])('draws a share of %s of alike keys within [%s, %s]', (share, low, high) => {
    const drawn = keys.filter((k) => inControlSample(k, share)).length / keys.length;
    expect(drawn).toBeGreaterThanOrEqual(low);
    expect(drawn).toBeLessThanOrEqual(high);
  });

  it('draws the same keys every time, and a larger share draws them too', () => {
    const small = keys.filter((k) => inControlSample(k, 0.02));
    expect(keys.filter((k) => inControlSample(k, 0.02))).toEqual(small);
    expect(small.every((k) => inControlSample(k, 0.1))).toBe(true);
    // Keys that differ in one character only (answer.1 … answer.40 of one page) are not drawn together.
    const page = Array.from({ length: 40 }, (_, i) => `ab12/0/answer.${i + 1}`);
    expect(page.filter((k) => inControlSample(k, 0.5)).length).toBeGreaterThan(10);
    expect(page.filter((k) => inControlSample(k, 0.5)).length).toBeLessThan(30);
  });

  it('places the drawn keys evenly over the range of the doubts', () => {
    const places = keys
      .filter((k) => inControlSample(k, 0.02))
      .map((k) => controlPlace(k, 0.02))
      .sort((a, b) => a - b);
    expect(places[0]).toBeGreaterThanOrEqual(0);
    expect(places.at(-1)).toBeLessThan(1);
    for (const q of [0.25, 0.5, 0.75]) expect(places[Math.floor(q * places.length)]!).toBeCloseTo(q, 1);
  });

  it.each([
    // decided, corrected, rate, upper end (Wilson 95%)
    [0, 0, null, null],
    [100, 0, 0, 0.037],
    [1000, 0, 0, 0.0038],
    [1000, 3, 0.003, 0.0088],
    [50, 25, 0.5, 0.6336],
  ])('estimates %s decided with %s corrected: rate %s, at most %s', (decided, corrected, rate, upper) => {
    const e = controlEstimate(decided, corrected);
    expect(e.rate).toBe(rate);
    if (upper === null) expect(e.upper95).toBeNull();
    else expect(e.upper95).toBeCloseTo(upper, 3);
  });
});
