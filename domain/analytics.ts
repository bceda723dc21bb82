/**
 * Analytics for chairs and the RCOI (issue 16 item 8) as pure functions of an exam's complete results: score
 * distributions, per-task success rates, exam points and schools whose mean stands out, and the figures as CSV
 * and as an SVG bar chart. The store only fetches the results (results/store/export.ts, `examResults`).
 */
import { csvCell } from './results-export.ts';
import type { TaskMark } from './scoring.ts';

export interface Bin {
  /** The bin holds scores from `from` to `to`, both included (whole points). */
  from: number;
  to: number;
  count: number;
}

/**
 * Whole-point scores from `lo` to `hi` counted in bins `width` points wide, the first starting at `lo`; the
 * last bin ends at `hi` (narrower when the range does not divide). A score outside the range is an error: the
 * caller's range is the scale's, and a score beyond it means a broken result, not a bar to hide.
 */
export function histogram(scores: number[], lo: number, hi: number, width: number): Bin[] {
  if (!(Number.isInteger(width) && width >= 1 && hi >= lo)) throw new Error(`bad bins ${lo}..${hi}/${width}`);
  const bins: Bin[] = [];
  for (let from = lo; from <= hi; from += width)
    bins.push({ from, to: Math.min(from + width - 1, hi), count: 0 });
  for (const s of scores) {
    if (s < lo || s > hi) throw new Error(`score ${s} outside ${lo}..${hi}`);
    bins[Math.floor((s - lo) / width)]!.count++;
  }
  return bins;
}

export interface TaskSuccess {
  part: TaskMark['part'];
  task: string;
  max: number;
  /** Results with the task's full points, some but not all, none. */
  full: number;
  partial: number;
  zero: number;
}

/** Each task's full, partial and zero marks over the results, in the order the results list their tasks. */
export function taskSuccess(results: { tasks: TaskMark[] }[]): TaskSuccess[] {
  const byTask = new Map<string, TaskSuccess>();
  for (const r of results)
    for (const m of r.tasks) {
      const id = `${m.part}:${m.task}`;
      let t = byTask.get(id);
      if (!t) {
        t = { part: m.part, task: m.task, max: m.max, full: 0, partial: 0, zero: 0 };
        byTask.set(id, t);
      }
      if (m.points >= m.max) t.full++;
      else if (m.points > 0) t.partial++;
      else t.zero++;
    }
  return [...byTask.values()];
}

/** When a group's mean stands out: `minSize` results at least, and |z| of its mean at least `z`. */
export interface StandOutRule {
  minSize: number;
  z: number;
}

/** Defaults: 10 results make a mean worth judging; |z| ≥ 3 happens by chance about 3 times in 1,000 groups. */
export const STAND_OUT: StandOutRule = { minSize: 10, z: 3 };

export interface GroupFigures {
  group: string;
  size: number;
  mean: number;
  /** How many standard errors the group's mean lies from the exam's mean; null for a group too small. */
  z: number | null;
  standsOut: boolean;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Each group's (exam point's, school's) mean score against the exam's: z = (group mean − exam mean) /
 * (σ / √n), σ the exam's population standard deviation and n the group's size, i.e. how far the group's
 * mean is from what n results drawn at random from the exam would give. A group under `minSize` results gets
 * no z; an exam whose scores are all equal (σ = 0) has no group standing out. Groups by name; results
 * without a group (null) count for the exam's mean only.
 */
export function standOut(
  results: { group: string | null; score: number }[],
  rule: StandOutRule = STAND_OUT,
): GroupFigures[] {
  if (results.length === 0) return [];
  const all = results.map((r) => r.score);
  const m = mean(all);
  const sigma = Math.sqrt(mean(all.map((s) => (s - m) ** 2)));
  const groups = new Map<string, number[]>();
  for (const r of results)
    if (r.group !== null) groups.set(r.group, [...(groups.get(r.group) ?? []), r.score]);
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, scores]) => {
      const gm = mean(scores);
      const z =
        scores.length < rule.minSize || sigma === 0 ? null : (gm - m) / (sigma / Math.sqrt(scores.length));
      return { group, size: scores.length, mean: gm, z, standsOut: z !== null && Math.abs(z) >= rule.z };
    });
}

/** A table as CSV (RFC 4180: commas, CRLF after every record), UTF-8 with no byte-order mark. */
export function csv(header: string[], rows: (string | number | boolean | null)[][]): Uint8Array {
  const line = (cells: (string | number | boolean | null)[]) =>
    `${cells.map((c) => csvCell(c === null ? '' : String(c), ',')).join(',')}\r\n`;
  return new TextEncoder().encode([header, ...rows].map(line).join(''));
}

export interface Bar {
  label: string;
  value: number;
}

const escapeXml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Short decimal text for an axis or a bar: at most two decimals, no trailing zeros. */
const figure = (v: number) => String(Math.round(v * 100) / 100);

/**
 * A vertical bar chart as a standalone SVG document: one `<rect class="bar">` per bar (zero-height bars
 * included, so the count of bars is the count of data), its value above and its label below, and the title
 * at the top. Heights are relative to `max` (the largest value when not given).
 */
export function barChart(title: string, bars: Bar[], max?: number): string {
  const [barW, gap, top, plotH, bottom, left] = [24, 8, 40, 200, 40, 16];
  const width = Math.max(320, left * 2 + bars.length * (barW + gap));
  const height = top + plotH + bottom;
  const scale = max ?? Math.max(0, ...bars.map((b) => b.value));
  const parts = bars.map((b, i) => {
    const h = scale > 0 ? (Math.max(0, b.value) / scale) * plotH : 0;
    const x = left + i * (barW + gap);
    const y = top + plotH - h;
    const cx = x + barW / 2;
    return (
      `<rect class="bar" x="${x}" y="${figure(y)}" width="${barW}" height="${figure(h)}" fill="#3a6ea5">` +
      `<title>${escapeXml(`${b.label}: ${figure(b.value)}`)}</title></rect>` +
      `<text x="${cx}" y="${figure(y - 4)}" text-anchor="middle" font-size="10">${figure(b.value)}</text>` +
      `<text x="${cx}" y="${top + plotH + 14}" text-anchor="middle" font-size="10">${escapeXml(b.label)}</text>`
    );
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>` +
    `<text x="${left}" y="20" font-size="14">${escapeXml(title)}</text>` +
    `<line x1="${left}" y1="${top + plotH}" x2="${width - left}" y2="${top + plotH}" stroke="#000"/>` +
    `${parts.join('')}</svg>\n`
  );
}
