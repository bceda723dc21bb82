/**
 * An exam's results for chairs and administrators (issue 16 item 3): computed (again) with what changed, listed
 * with why a result is incomplete, and downloaded as the export layouts, the results protocols per exam point
 * or school, and the publication package.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ExamRow } from '../../contract/admin.ts';
import type { Computation, WorkResult } from '../../contract/results.ts';
import { download, json } from './api.ts';
import { useConfirm } from './confirm.tsx';
import { RESULT_REASONS } from './texts.ts';
import { Field, type Guard, useIsCurrent } from './ui.tsx';

/** The year's export layouts (calibration/exports/YEAR/) a chair sends out, with their files' extensions. */
const LAYOUTS = [
  { name: 'regional', title: 'для РИС', ext: 'csv' },
  { name: 'federal', title: 'для ФЦТ', ext: 'xml' },
] as const;

/** The list shows this many results; the export files hold them all. */
const SHOWN = 500;

const STATUS: Record<string, string> = { complete: 'полный', incomplete: 'неполный' };
const value = (v: number | string | null) => (v === null ? '—' : String(v));
const pair = ([before, after]: readonly [number | string | null, number | string | null]) =>
  before === after ? value(after) : `${value(before)} → ${value(after)}`;

export function Results({ exam, guard }: { exam: ExamRow | null; guard: Guard }) {
  const [results, setResults] = useState<WorkResult[] | null>(null);
  const [computation, setComputation] = useState<Computation | null>(null);
  const [group, setGroup] = useState('');
  const [work, setWork] = useState('');
  const [dialog, ask] = useConfirm();
  const base = exam ? `/api/exams/${encodeURIComponent(exam.id)}/results` : '';
  const isCurrent = useIsCurrent(exam?.id);
  const load = async () => {
    const asked = exam?.id;
    const list = await json<WorkResult[]>('GET', base);
    if (isCurrent(asked)) setResults(list);
  };
  useEffect(() => {
    setComputation(null);
    setResults(null);
    if (exam) void guard(load);
  }, [exam?.id]);
  if (!exam) return null;
  const compute = () =>
    guard(async () => {
      const sure = await ask(
        `Рассчитать результаты экзамена ${exam.id}? Рассчитанные ранее заменятся новыми; изменения попадут в журнал.`,
        'Рассчитать',
      );
      if (!sure) return;
      setComputation(await json<Computation>('POST', base));
      await load();
    });
  const file = (suffix: string, ext: string) => `${exam.id}-${suffix}.${ext}`;
  const incomplete = results?.filter((r) => r.status === 'incomplete').length ?? 0;
  return (
    <section class="results" aria-labelledby="results-heading">
      <h2 id="results-heading">Результаты</h2>
      <button type="button" onClick={compute}>
        Рассчитать результаты
      </button>
      {dialog}
      {computation && (
        <div class="computation" role="status">
          <p>
            Рассчитано: полных {computation.complete}, неполных {computation.incomplete}; изменилось
            результатов: {computation.changes.length}
            {computation.replaced.length > 0 ? ' (ключи или шкала изменились после прошлого расчёта)' : ''}.
          </p>
          {computation.changes.length > 0 && (
            <table>
              <caption>Что изменилось</caption>
              <thead>
                <tr>
                  <th>Работа</th>
                  <th>Состояние</th>
                  <th>Первичный балл</th>
                  <th>Итог</th>
                  <th>Задания</th>
                </tr>
              </thead>
              <tbody>
                {computation.changes.map((c) => (
                  <tr key={c.workId}>
                    <td>{c.workId}</td>
                    <td>{pair([STATUS[c.status[0]] ?? null, STATUS[c.status[1]] ?? null])}</td>
                    <td>{pair(c.primary)}</td>
                    <td>{pair(c.score)}</td>
                    <td>
                      {c.tasks
                        .map((t) => `${t.part === 'as1' ? 'Б1' : 'Б2'} № ${t.task}: ${pair(t.points)}`)
                        .join('; ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      {results && results.length === 0 && <p class="muted">Результаты ещё не рассчитаны.</p>}
      {results && results.length > 0 && (
        <table class="result-list">
          <caption>
            Результатов {results.length}, из них неполных {incomplete}
            {results.length > SHOWN ? `; показаны первые ${SHOWN}, все есть в выгрузках` : ''}
          </caption>
          <thead>
            <tr>
              <th>Работа</th>
              <th>Вариант</th>
              <th>Б1</th>
              <th>Б2</th>
              <th>Первичный балл</th>
              <th>Итог</th>
              <th>Почему неполный</th>
            </tr>
          </thead>
          <tbody>
            {results.slice(0, SHOWN).map((r) => (
              <tr key={r.workId} class={r.status}>
                <td>{r.workId}</td>
                <td>{value(r.variant)}</td>
                <td>{value(r.as1)}</td>
                <td>{value(r.as2)}</td>
                <td>{value(r.primary)}</td>
                <td>
                  {value(r.score)}
                  {r.score !== null && r.scale === 'mark' ? ' (отметка)' : ''}
                </td>
                <td>{r.reasons.map((x) => RESULT_REASONS[x] ?? x).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Выгрузки</h3>
      <ul class="downloads">
        {LAYOUTS.map((l) => (
          <li key={l.name}>
            <button
              type="button"
              class="link"
              onClick={() =>
                guard(() => download(`${base}/export?layout=${l.name}`, file(`results-${l.name}`, l.ext)))
              }
            >
              Результаты {l.title}
            </button>
          </li>
        ))}
      </ul>
      <div class="row">
        <Field label="Протоколы одного ППЭ или школы: код (пусто: все)" value={group} onChange={setGroup} />
        {(['ppe', 'school'] as const).map((by) => (
          <button
            key={by}
            type="button"
            onClick={() => {
              const only = group.trim() ? `&group=${encodeURIComponent(group.trim())}` : '';
              void guard(() =>
                download(
                  `${base}/protocols?by=${by}${only}`,
                  file(`protocols-${by}${group.trim() ? `-${group.trim()}` : ''}`, 'pdf'),
                ),
              );
            }}
          >
            {by === 'ppe' ? 'Протоколы по ППЭ' : 'Протоколы по школам'}
          </button>
        ))}
      </div>
      <div class="row">
        <Field label="Пакет одной работы (пусто: весь экзамен)" value={work} onChange={setWork} />
        <button
          type="button"
          onClick={() => {
            const only = work.trim() ? `?work=${encodeURIComponent(work.trim())}` : '';
            void guard(() =>
              download(
                `${base}/publication${only}`,
                file(`publication${work.trim() ? `-${work.trim()}` : ''}`, 'zip'),
              ),
            );
          }}
        >
          Пакет для публикации
        </button>
      </div>
    </section>
  );
}
