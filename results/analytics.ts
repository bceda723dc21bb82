/**
 * An exam's analytics (issue 16 item 8) from its complete results as the export reads them
 * (`examResults`: the exam point and school of each participant), computed by domain/analytics.ts, and each
 * figure as a file: CSV, an SVG bar chart, or that chart as PNG.
 *
 * Groups are judged on the primary score, not the test score or mark: the primary score is linear in the
 * tasks, while the conversion table bends it, so a mean of primary scores is the fairer comparison.
 */
import type { ANALYTICS_FIGURES, ExamAnalytics } from '../contract/results.ts';
import {
  type GroupFigures,
  histogram,
  type StandOutRule,
  standOut,
  taskSuccess,
} from '../domain/analytics.ts';
import type { Queryable } from '../platform/db.ts';
import { type Figure, type FigureFile, figureFile } from '../platform/images.ts';
import { examResults } from './store/export.ts';

/** Test scores by ten points, five-point marks by one: from, to, width. */
const SCORE_BINS: Record<ExamAnalytics['scale'] & string, [number, number, number]> = {
  'test-score': [0, 100, 10],
  mark: [2, 5, 1],
};

export async function examAnalytics(
  db: Queryable,
  examId: string,
  rule: StandOutRule,
): Promise<ExamAnalytics> {
  const { rows, withheld } = await examResults(db, examId);
  const scale = rows[0]?.scale ?? null;
  // The subject's maximum is the sum of its tasks' maxima; the largest over the results, so one computed
  // under another key's tasks still finds its bin.
  const primaryMax = Math.max(0, ...rows.map((r) => r.tasks.reduce((a, t) => a + t.max, 0)));
  const groups = (key: 'ppe' | 'school') =>
    standOut(
      rows.map((r) => ({ group: r[key], score: r.primary })),
      rule,
    );
  return {
    examId,
    complete: rows.length,
    withheld,
    scale,
    primary:
      rows.length === 0
        ? []
        : histogram(
            rows.map((r) => r.primary),
            0,
            primaryMax,
            1,
          ),
    score:
      scale === null
        ? []
        : histogram(
            rows.map((r) => r.score),
            ...SCORE_BINS[scale],
          ),
    tasks: taskSuccess(rows),
    rule,
    ppe: groups('ppe'),
    school: groups('school'),
  };
}

export type FigureName = (typeof ANALYTICS_FIGURES)[number];

const binLabel = (b: { from: number; to: number }) =>
  b.from === b.to ? String(b.from) : `${b.from}–${b.to}`;
const percent = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);
const taskLabel = (t: { part: string; task: string }) => `${t.part === 'as1' ? '' : 'Ч2 '}${t.task}`;

/** A figure's table and chart, as the CSV and SVG writers take them. */
function figureData(a: ExamAnalytics, figure: FigureName): Figure {
  switch (figure) {
    case 'primary':
    case 'score': {
      const bins = a[figure];
      return {
        header: ['from', 'to', 'count'],
        rows: bins.map((b) => [b.from, b.to, b.count]),
        title: `${figure === 'primary' ? 'Первичные баллы' : a.scale === 'mark' ? 'Отметки' : 'Тестовые баллы'}: ${a.examId}`,
        bars: bins.map((b) => ({ label: binLabel(b), value: b.count })),
      };
    }
    case 'tasks':
      return {
        header: [
          'part',
          'task',
          'max',
          'full',
          'partial',
          'zero',
          'full_percent',
          'partial_percent',
          'zero_percent',
        ],
        rows: a.tasks.map((t) => {
          const n = t.full + t.partial + t.zero;
          return [
            t.part,
            t.task,
            t.max,
            t.full,
            t.partial,
            t.zero,
            percent(t.full, n),
            percent(t.partial, n),
            percent(t.zero, n),
          ];
        }),
        title: `Доля полных баллов по заданиям, %: ${a.examId}`,
        bars: a.tasks.map((t) => ({
          label: taskLabel(t),
          value: percent(t.full, t.full + t.partial + t.zero),
        })),
        max: 100,
      };
    case 'ppe':
    case 'school': {
      const groups: GroupFigures[] = a[figure];
      return {
        header: ['group', 'size', 'mean_primary', 'z', 'stands_out'],
        rows: groups.map((g) => [
          g.group,
          g.size,
          Math.round(g.mean * 100) / 100,
          g.z === null ? null : Math.round(g.z * 100) / 100,
          g.standsOut,
        ]),
        title: `Средний первичный балл по ${figure === 'ppe' ? 'ППЭ' : 'ОО'}: ${a.examId}`,
        bars: groups.map((g) => ({ label: g.group, value: g.mean })),
      };
    }
  }
}

export async function analyticsFigure(
  db: Queryable,
  examId: string,
  figure: FigureName,
  format: 'csv' | 'svg' | 'png',
  rule: StandOutRule,
): Promise<FigureFile> {
  return figureFile(figureData(await examAnalytics(db, examId, rule), figure), format, `${examId}-${figure}`);
}
