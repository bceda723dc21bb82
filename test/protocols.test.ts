/** Checking protocols as data: how checks are laid out on lines, and what a filled-in protocol is read as. */
import { describe, expect, it } from 'vitest';
import {
  type ProtocolCheck,
  ProtocolError,
  type ProtocolLine,
  protocolPages,
  readProtocol,
  scoreField,
} from '../domain/protocols.ts';

const criteria = (ids: string[], max = 2) => ids.map((id) => ({ id, max }));
const check = (checkId: number, ids: string[]): ProtocolCheck => ({
  checkId,
  workCode: `W${checkId}`,
  criteria: criteria(ids),
});
const seven = ['13', '14', '15', '16', '17', '18', '19'];
const twelve = Array.from({ length: 12 }, (_, i) => `27.K${i + 1}`);

describe('protocolPages', () => {
  it.each([
    // [criteria per check, checks, lines on each protocol]
    [1, 10, [10]],
    [1, 11, [10, 1]],
    [6, 10, [10]],
    [7, 5, [10]],
    [7, 6, [10, 2]],
    [12, 3, [6]],
    [12, 6, [10, 2]],
    [30, 3, [10, 5]],
  ])('lays %i criteria a check for %i checks out as lines %j', (n, count, lines) => {
    const ids = Array.from({ length: n }, (_, i) => `k${i + 1}`);
    const pages = protocolPages(Array.from({ length: count }, (_, i) => check(i + 1, ids)));
    expect(pages.map((p) => p.length)).toEqual(lines);
    for (const p of pages) expect(p.map((l) => l.line)).toEqual(p.map((_, i) => i + 1));
    // Every criterion of every check on exactly one line, in order, six at most to a line; no check split.
    for (let c = 1; c <= count; c++) {
      const on = pages.filter((p) => p.some((l) => l.checkId === c));
      expect(on).toHaveLength(1);
      const mine = on[0]!.filter((l) => l.checkId === c);
      expect(mine.flatMap((l) => l.criteria)).toEqual(ids);
      expect(Math.max(...mine.map((l) => l.criteria.length))).toBeLessThanOrEqual(6);
    }
  });

  it('puts the Russian essay’s twelve criteria on two lines of six', () => {
    expect(protocolPages([check(5, twelve)])[0]).toEqual([
      { line: 1, checkId: 5, workCode: 'W5', criteria: twelve.slice(0, 6) },
      { line: 2, checkId: 5, workCode: 'W5', criteria: twelve.slice(6) },
    ]);
  });

  it.each([
    ['a criterion worth 10', [{ checkId: 1, workCode: 'W1', criteria: [{ id: 'k', max: 10 }] }], /0-9/],
    ['a check with no criteria', [{ checkId: 1, workCode: 'W1', criteria: [] }], /no criteria/],
    [
      'a check needing 11 lines',
      [
        check(
          1,
          Array.from({ length: 61 }, (_, i) => `k${i}`),
        ),
      ],
      /11 lines/,
    ],
  ])('refuses %s', (_what, checks, message) => {
    expect(() => protocolPages(checks)).toThrow(ProtocolError);
    expect(() => protocolPages(checks)).toThrow(message);
  });
});

describe('readProtocol', () => {
  const lines: ProtocolLine[] = protocolPages([check(1, seven), check(2, ['13', '14'])])[0]!;
  /** A protocol filled in correctly: W1 scores 0..6 in order, W2 scores 1 and 2. */
  const filled = (): Record<string, string> => ({
    expert_code: '10042',
    [scoreField(1, 1)]: '0',
    [scoreField(1, 2)]: '1',
    [scoreField(1, 3)]: '2',
    [scoreField(1, 4)]: '3',
    [scoreField(1, 5)]: '4',
    [scoreField(1, 6)]: '5',
    [scoreField(2, 1)]: '6',
    [scoreField(3, 1)]: '1',
    [scoreField(3, 2)]: '2',
  });

  it('reads each check’s scores by criterion', () => {
    const r = readProtocol(lines, '10042', filled());
    expect(r).toEqual({
      ok: true,
      scores: new Map([
        [1, { '13': 0, '14': 1, '15': 2, '16': 3, '17': 4, '18': 5, '19': 6 }],
        [2, { '13': 1, '14': 2 }],
      ]),
    });
  });

  it.each([
    ['another expert’s code', { expert_code: '10043' }, /code written \(10043\) is not 10042/],
    ['no expert code', { expert_code: '' }, /code written \(none\)/],
    ['a missing score', { [scoreField(2, 1)]: '' }, /line 2 \(work W1\) has no score for criterion 19/],
    ['two digits in a cell', { [scoreField(1, 3)]: '12' }, /"12" for criterion 15, not one digit/],
    ['a letter', { [scoreField(3, 2)]: 'О' }, /line 3 \(work W2\) has "О"/],
    ['a score beside a check’s last criterion', { [scoreField(2, 2)]: '1' }, /line 2 column K2/],
    ['a score on an unused line', { [scoreField(7, 4)]: '0' }, /line 7 column K4 holds "0"/],
  ])('refuses a protocol with %s', (_what, change, reason) => {
    const r = readProtocol(lines, '10042', { ...filled(), ...change });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
});
