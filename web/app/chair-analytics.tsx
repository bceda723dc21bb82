/**
 * The exam's analytics on the chair's station (issue 16 item 8): the distributions of primary and test scores
 * and each task's share of full marks drawn as inline SVG bar charts (the same bars as the server's SVG
 * export), the exam points and schools whose mean stands out, and every figure downloadable as CSV, SVG or
 * PNG, with the experts' agreement over the season.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ExamRow } from '../../contract/admin.ts';
import type { ExamAnalytics } from '../../contract/results.ts';
import { download, json } from './api.ts';
import { type Guard, useIsCurrent } from './ui.tsx';

interface Bar {
  label: string;
  value: number;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);
const round = (v: number) => String(Math.round(v * 100) / 100).replace('.', ',');
const binLabel = (b: { from: number; to: number }) =>
  b.from === b.to ? String(b.from) : `${b.from}–${b.to}`;

/** A bar chart as inline SVG: one bar per datum, heights relative to `max` (the largest value by default). */
export function BarChart({ title, bars, max }: { title: string; bars: Bar[]; max?: number }) {
  const [barW, gap, plotH, top] = [24, 8, 160, 16];
  const width = Math.max(240, bars.length * (barW + gap));
  const scale = max ?? Math.max(0, ...bars.map((b) => b.value));
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg
        role="img"
        aria-label={title}
        width={width}
        height={top + plotH + 20}
        viewBox={`0 0 ${width} ${top + plotH + 20}`}
      >
        <line x1={0} y1={top + plotH} x2={width} y2={top + plotH} stroke="currentColor" />
        {bars.map((b, i) => {
          const h = scale > 0 ? (Math.max(0, b.value) / scale) * plotH : 0;
          const x = i * (barW + gap);
          return (
            <g key={b.label}>
              <rect class="bar" x={x} y={top + plotH - h} width={barW} height={h} fill="#3a6ea5">
                <title>{`${b.label}: ${round(b.value)}`}</title>
              </rect>
              <text x={x + barW / 2} y={top + plotH - h - 3} text-anchor="middle" font-size="10">
                {round(b.value)}
              </text>
              <text x={x + barW / 2} y={top + plotH + 14} text-anchor="middle" font-size="10">
                {b.label}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

const FIGURES = [
  ['primary', 'первичные баллы'],
  ['score', 'тестовые баллы'],
  ['tasks', 'задания'],
  ['ppe', 'ППЭ'],
  ['school', 'ОО'],
] as const;

function Groups({ title, groups }: { title: string; groups: ExamAnalytics['ppe'] }) {
  return (
    <table data-testid={`groups-${title}`}>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th>Код</th>
          <th>Участников</th>
          <th>Средний первичный балл</th>
          <th>Отклонение, стандартных ошибок</th>
          <th>Выделяется</th>
        </tr>
      </thead>
      <tbody>
        {groups.map((g) => (
          <tr key={g.group} class={g.standsOut ? 'stands-out' : undefined}>
            <td>{g.group}</td>
            <td>{g.size}</td>
            <td>{round(g.mean)}</td>
            <td>{g.z === null ? 'мало участников' : round(g.z)}</td>
            <td>{g.standsOut ? (g.z! > 0 ? 'выше' : 'ниже') : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Analytics({ exam, guard }: { exam: ExamRow | null; guard: Guard }) {
  const [a, setA] = useState<ExamAnalytics | null>(null);
  const isCurrent = useIsCurrent(exam?.id);
  useEffect(() => {
    setA(null);
    if (exam)
      void guard(async () => {
        const found = await json<ExamAnalytics>('GET', `/api/exams/${encodeURIComponent(exam.id)}/analytics`);
        if (isCurrent(exam.id)) setA(found);
      });
  }, [exam?.id]);
  if (!exam || !a) return null;
  const base = `/api/exams/${encodeURIComponent(exam.id)}/analytics`;
  const year = exam.date.slice(0, 4);
  const experts = `/api/checking/statistics/agreement?year=${year}&subject=${exam.subjectCode}&kind=${exam.kind}`;
  const files = (label: string, url: (format: string) => string, name: string) => (
    <li key={name}>
      {label}:{' '}
      {(['csv', 'svg', 'png'] as const).map((f) => (
        <button key={f} type="button" onClick={() => guard(() => download(url(f), `${name}.${f}`))}>
          {f.toUpperCase()}
        </button>
      ))}
    </li>
  );
  return (
    <section class="analytics" aria-labelledby="analytics-title">
      <h2 id="analytics-title">Аналитика экзамена</h2>
      <p>
        Результатов: {a.complete}, не готово: {a.withheld}. ППЭ и ОО выделяются, если участников не меньше{' '}
        {a.rule.minSize} и средний первичный балл отстоит от среднего по экзамену не меньше чем на {a.rule.z}{' '}
        стандартные ошибки.
      </p>
      <BarChart
        title="Первичные баллы"
        bars={a.primary.map((b) => ({ label: binLabel(b), value: b.count }))}
      />
      <BarChart
        title={a.scale === 'mark' ? 'Отметки' : 'Тестовые баллы'}
        bars={a.score.map((b) => ({ label: binLabel(b), value: b.count }))}
      />
      <BarChart
        title="Доля полных баллов по заданиям, %"
        max={100}
        bars={a.tasks.map((t) => ({
          label: `${t.part === 'as1' ? '' : 'Ч2 '}${t.task}`,
          value: share(t.full, t.full + t.partial + t.zero),
        }))}
      />
      <Groups title="ППЭ" groups={a.ppe} />
      <Groups title="ОО" groups={a.school} />
      <h3>Выгрузки</h3>
      <ul class="downloads">
        {FIGURES.map(([figure, label]) =>
          files(label, (f) => `${base}/${figure}?format=${f}`, `${exam.id}-${figure}`),
        )}
        {files(
          'согласованность экспертов',
          (f) => `${experts}&format=${f}`,
          `experts-${exam.subjectCode}-${year}`,
        )}
      </ul>
    </section>
  );
}
