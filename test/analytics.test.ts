/**
 * Analytics as pure figures (domain/analytics.ts, issue 16 item 8): distributions by bins, each task's full,
 * partial and zero marks, groups whose mean stands out by the documented z rule, CSV bytes and the SVG chart.
 */
import { describe, expect, it } from 'vitest';
import { barChart, csv, histogram, STAND_OUT, standOut, taskSuccess } from '../domain/analytics.ts';
import type { TaskMark } from '../domain/scoring.ts';

describe('a distribution by bins', () => {
  it.each([
    { name: 'one point wide', scores: [0, 1, 1, 3], lo: 0, hi: 3, width: 1, counts: [1, 2, 0, 1] },
    {
      name: 'ten wide, 100 in the last',
      scores: [0, 9, 10, 99, 100],
      lo: 0,
      hi: 100,
      width: 10,
      counts: [2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1],
    },
    { name: 'marks 2..5', scores: [5, 5, 2], lo: 2, hi: 5, width: 1, counts: [1, 0, 0, 2] },
    { name: 'no scores: empty bins', scores: [], lo: 0, hi: 4, width: 2, counts: [0, 0, 0] },
  ])('$name', ({ scores, lo, hi, width, counts }) => {
    const bins = histogram(scores, lo, hi, width);
    expect(bins.map((b) => b.count)).toEqual(counts);
    expect(bins[0]!.from).toBe(lo);
    expect(bins.at(-1)!.to).toBe(hi);
  });

  it('refuses a score outside the scale rather than hide it', () => {
    expect(() => histogram([101], 0, 100, 10)).toThrow(/outside/);
  });
});

describe("each task's success", () => {
  const m = (task: string, points: number, max: number, part: TaskMark['part'] = 'as1'): TaskMark => ({
    part,
    task,
    points,
    max,
  });
  it.each([
    {
      name: 'full, partial and zero by the task maximum',
      results: [
        [m('1', 1, 1), m('2', 2, 2)],
        [m('1', 0, 1), m('2', 1, 2)],
        [m('1', 1, 1), m('2', 0, 2)],
      ],
      expected: [
        { part: 'as1', task: '1', max: 1, full: 2, partial: 0, zero: 1 },
        { part: 'as1', task: '2', max: 2, full: 1, partial: 1, zero: 1 },
      ],
    },
    {
      name: 'the same task number in AS1 and AS2 kept apart',
      results: [[m('1', 1, 1), m('1', 1, 3, 'as2')]],
      expected: [
        { part: 'as1', task: '1', max: 1, full: 1, partial: 0, zero: 0 },
        { part: 'as2', task: '1', max: 3, full: 0, partial: 1, zero: 0 },
      ],
    },
  ])('$name', ({ results, expected }) => {
    expect(taskSuccess(results.map((tasks) => ({ tasks })))).toEqual(expected);
  });
});

describe('groups whose mean stands out (z of the group mean, minimum size)', () => {
  // A: 10 results of 70; B: 10 of 50 and 10 of 70; C: 3 of 50; no group: 40 of 50 and 20 of 70.
  const exam = [
    ...Array.from({ length: 10 }, () => ({ group: 'A', score: 70 })),
    ...Array.from({ length: 10 }, () => ({ group: 'B', score: 50 })),
    ...Array.from({ length: 10 }, () => ({ group: 'B', score: 70 })),
    ...Array.from({ length: 3 }, () => ({ group: 'C', score: 50 })),
    ...Array.from({ length: 40 }, () => ({ group: null, score: 50 })),
    ...Array.from({ length: 20 }, () => ({ group: null, score: 70 })),
  ];
  const all = exam.map((r) => r.score);
  const m = all.reduce((a, b) => a + b) / all.length;
  const sigma = Math.sqrt(all.reduce((a, s) => a + (s - m) ** 2, 0) / all.length);
  const zOf = (mean: number, n: number) => (mean - m) / (sigma / Math.sqrt(n));

  it.each([
    {
      name: 'the defaults: A stands out, B does not, C is too small for a z',
      rule: STAND_OUT,
      expected: [
        { group: 'A', size: 10, mean: 70, z: zOf(70, 10), standsOut: true },
        { group: 'B', size: 20, mean: 60, z: zOf(60, 20), standsOut: false },
        { group: 'C', size: 3, mean: 50, z: null, standsOut: false },
      ],
    },
    {
      name: 'a minimum of 3 judges C; a z limit of 5 lets A pass',
      rule: { minSize: 3, z: 5 },
      expected: [
        { group: 'A', size: 10, mean: 70, z: zOf(70, 10), standsOut: false },
        { group: 'B', size: 20, mean: 60, z: zOf(60, 20), standsOut: false },
        { group: 'C', size: 3, mean: 50, z: zOf(50, 3), standsOut: false },
      ],
    },
  ])('$name', ({ rule, expected }) => {
    expect(standOut(exam, rule)).toEqual(expected);
  });

  it('an exam of equal scores has no group standing out', () => {
    const flat = Array.from({ length: 20 }, (_, i) => ({ group: i < 10 ? 'A' : 'B', score: 5 }));
    expect(standOut(flat).every((f) => f.z === null && !f.standsOut)).toBe(true);
  });
});

describe('CSV and the SVG chart', () => {
  it('writes RFC 4180 records with CRLF and quotes what needs it', () => {
    const bytes = csv(
      ['группа', 'mean'],
      [
        ['A, "1"', 1.5],
        ['B', null],
      ],
    );
    expect(new TextDecoder().decode(bytes)).toBe('группа,mean\r\n"A, ""1""",1.5\r\nB,\r\n');
  });

  it('draws one bar per datum, zero ones included, with its label escaped', () => {
    const svg = barChart('Баллы <ЕГЭ>', [
      { label: '0–9', value: 3 },
      { label: 'a&b', value: 0 },
      { label: '20–29', value: 6 },
    ]);
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(3);
    expect(svg).toContain('Баллы &lt;ЕГЭ&gt;');
    expect(svg).toContain('a&amp;b');
    // The largest bar fills the plot (200 high), the others in proportion.
    expect([...svg.matchAll(/class="bar"[^>]*height="([\d.]+)"/g)].map((x) => Number(x[1]))).toEqual([
      100, 0, 200,
    ]);
  });
});
