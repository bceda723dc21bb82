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

export async function examAnalytics(
  db: Queryable,
  examId: string,
  rule: StandOutRule,
): Promise<ExamAnalytics> {
  const { rows, withheld } = await examResults(db, examId);
  const scale = rows[0]?.scale ?? null;
  // Every result of an exam carries the same tasks: the first one's maxima sum to the subject's maximum.
  const primaryMax = rows[0]?.tasks.reduce((a, t) => a + t.max, 0) ?? 0;
  const primary = rows.map((r) => r.primary);
  return {
    examId,
    complete: rows.length,
    withheld,
    scale,
    primary: rows.length === 0 ? [] : histogram(primary, 0, primaryMax, 1),
    score:
      scale === null
        ? []
        : scale === 'mark'
          ? histogram(
              rows.map((r) => r.score),
              2,
              5,
              1,
            )
          : histogram(
              rows.map((r) => r.score),
              0,
              100,
              10,
            ),
    tasks: taskSuccess(rows),
    rule,
    ppe: standOut(
      rows.map((r) => ({ group: r.ppe, score: r.primary })),
      rule,
    ),
    school: standOut(
      rows.map((r) => ({ group: r.school, score: r.primary })),
      rule,
    ),
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
