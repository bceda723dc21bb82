/**
 * The expert's station: the work's answer-sheet-2 pages (zoom and pan with @panzoom/panzoom, rotation, paging
 * through the additional sheets) beside the criteria form with each criterion's maximum and the marking
 * scheme's text. A draft of the scores may be saved (and comes back with the check); scores are final once
 * sent, so the station asks once more before it sends them. A third check shows the earlier experts'
 * scores (without their names). The work is known by its code only; nothing of the participant is here.
 */
import Panzoom, { type PanzoomObject } from '@panzoom/panzoom';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AfterScore, CheckView, Round } from '../../contract/checking.ts';
import { ApiError, blobUrl, failure, json } from './api.ts';
import { Refusal, useConfirm } from './confirm.tsx';

const ROUNDS: Record<Round, string> = {
  screening: 'проверка пустого бланка',
  first: 'первая проверка',
  second: 'вторая проверка',
  third: 'третья проверка',
  appeal: 'перепроверка по апелляции',
};

/** A criterion as experts write it: the rules name it `27.K1` (Latin K), the marking scheme says 27.К1. */
const criterionName = (id: string) => id.replace(/\.K(\d+)$/, '.К$1');

function PageViewer({ check }: { check: CheckView }) {
  const [n, setN] = useState(1);
  const [angle, setAngle] = useState(0);
  const [src, setSrc] = useState<string | null>(null);
  const frame = useRef<HTMLDivElement>(null);
  const zoom = useRef<PanzoomObject | null>(null);
  useEffect(() => {
    let url: string | null = null;
    setSrc(null);
    blobUrl(`/api/checking/checks/${check.id}/pages/${n}`).then((u) => {
      url = u;
      setSrc(u);
    });
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [check.id, n]);
  useEffect(() => {
    if (!frame.current) return;
    const pz = Panzoom(frame.current, { maxScale: 6, minScale: 0.5 });
    const wheel = (e: WheelEvent) => pz.zoomWithWheel(e);
    frame.current.parentElement?.addEventListener('wheel', wheel);
    zoom.current = pz;
    return () => {
      frame.current?.parentElement?.removeEventListener('wheel', wheel);
      pz.destroy();
    };
  }, [check.id]);
  const go = (to: number) => {
    setN(Math.min(check.pages, Math.max(1, to)));
    zoom.current?.reset();
  };
  // Keys for the sheets while no input has the focus (the scores take digits): PageDown/PageUp page through,
  // + and - zoom, R turns right (Shift+R left), 0 resets.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
      const act: Record<string, () => void> = {
        PageDown: () => go(n + 1),
        PageUp: () => go(n - 1),
        '+': () => zoom.current?.zoomIn(),
        '=': () => zoom.current?.zoomIn(),
        '-': () => zoom.current?.zoomOut(),
        r: () => setAngle((a) => (a + 90) % 360),
        R: () => setAngle((a) => (a + 270) % 360),
        '0': () => zoom.current?.reset(),
      };
      const f = act[e.key];
      if (!f) return;
      e.preventDefault();
      f();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [n, check.pages]);
  return (
    <div class="viewer">
      <div class="tools">
        <button type="button" onClick={() => go(n - 1)} disabled={n <= 1} title="Предыдущий лист (PageUp)">
          ◀
        </button>
        <span data-testid="page">
          Лист {n} из {check.pages}
        </span>
        <button
          type="button"
          onClick={() => go(n + 1)}
          disabled={n >= check.pages}
          title="Следующий лист (PageDown)"
        >
          ▶
        </button>
        <button type="button" onClick={() => zoom.current?.zoomOut()} title="Уменьшить">
          −
        </button>
        <button type="button" onClick={() => zoom.current?.zoomIn()} title="Увеличить">
          +
        </button>
        <button type="button" onClick={() => setAngle((a) => (a + 270) % 360)} title="Повернуть влево">
          ⟲
        </button>
        <button type="button" onClick={() => setAngle((a) => (a + 90) % 360)} title="Повернуть вправо">
          ⟳
        </button>
        <button type="button" onClick={() => zoom.current?.reset()} title="Исходный масштаб">
          1:1
        </button>
      </div>
      <div class="stage">
        <div ref={frame}>
          {src ? (
            <img src={src} alt={`Лист ${n}`} class={`turn-${angle}`} draggable={false} />
          ) : (
            <p class="muted">Загрузка листа…</p>
          )}
        </div>
      </div>
    </div>
  );
}

/** The marking scheme beside the script: each criterion's text from the rule set and what earns each point. */
function Scheme({ check }: { check: CheckView }) {
  return (
    <section class="scheme" aria-labelledby="scheme-title">
      <h3 id="scheme-title">Критерии оценивания</h3>
      {check.tasks.flatMap((t) =>
        t.criteria.map((c) => (
          <div key={c.id} data-criterion={c.id}>
            <h3>
              Критерий {c.id}
              {c.title && `: ${c.title}`} <span class="muted">(макс. {c.max})</span>
            </h3>
            {c.scheme && (
              <ol>
                {c.scheme.map((level) => (
                  <li key={level.points}>
                    <b>{level.points} б.</b> {level.text}
                  </li>
                ))}
              </ol>
            )}
          </div>
        )),
      )}
    </section>
  );
}

function ScoreForm({ check, onDone }: { check: CheckView; onDone: (message: string) => void }) {
  const criteria = check.tasks.flatMap((t) => t.criteria.map((c) => ({ ...c, task: t.task })));
  // A saved draft comes back with the check.
  const [scores, setScores] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(check.draft ?? {}).map(([id, p]) => [id, String(p)])),
  );
  const [saved, setSaved] = useState(check.draft ? 'Черновик восстановлен.' : '');
  const [error, setError] = useState('');
  const [dialog, ask] = useConfirm();
  const complete = criteria.every((c) => scores[c.id] !== undefined && scores[c.id] !== '');
  // The scores as last rendered: the Ctrl+S listener is re-registered only after paint, so a key pressed
  // right after typing would otherwise save the scores from before it.
  const latest = useRef(scores);
  latest.current = scores;
  const given = () =>
    Object.fromEntries(
      criteria
        .filter((c) => (latest.current[c.id] ?? '') !== '')
        .map((c) => [c.id, Number(latest.current[c.id])]),
    );
  const saveDraft = async () => {
    setError('');
    try {
      const r = await json<{ savedAt: string }>('PUT', `/api/checking/checks/${check.id}/draft`, {
        scores: given(),
      });
      setSaved(
        `Черновик сохранён в ${new Date(r!.savedAt).toLocaleTimeString('ru-RU')}. Баллы не отправлены.`,
      );
    } catch (err) {
      setError(failure(err));
    }
  };
  // Ctrl+S saves the draft (as in any editor) instead of the browser's "save page".
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 's') return;
      e.preventDefault();
      void saveDraft();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });
  const send = async () => {
    const sure = await ask(
      `Отправить баллы по работе ${check.workCode}? После отправки изменить их нельзя: только исправление с разрешения председателя.`,
      'Отправить',
    );
    if (!sure) return;
    try {
      const after = await json<AfterScore>('POST', `/api/checking/checks/${check.id}/scores`, {
        scores: given(),
      });
      onDone(
        after?.next === 'result'
          ? `Баллы приняты. Итог работы: ${after.total}.`
          : after?.next === 'third-check'
            ? 'Баллы приняты. Расхождение: работа назначена на третью проверку.'
            : 'Баллы приняты.',
      );
    } catch (err) {
      setError(failure(err));
    }
  };
  return (
    <div>
      <form
        class="scores"
        onSubmit={(e) => {
          e.preventDefault();
          if (complete) void send();
        }}
      >
        <table>
          <thead>
            <tr>
              <th>Критерий</th>
              <th>Балл</th>
              <th>Макс.</th>
              {check.earlier.map((e) => (
                <th key={e.round}>{ROUNDS[e.round]}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {criteria.map((c) => (
              <tr key={c.id}>
                <td title={c.title}>{criterionName(c.id)}</td>
                <td>
                  <input
                    type="number"
                    min={0}
                    max={c.max}
                    step={1}
                    required
                    aria-label={`Критерий ${criterionName(c.id)}`}
                    value={scores[c.id] ?? ''}
                    onInput={(e) => setScores({ ...scores, [c.id]: e.currentTarget.value })}
                  />
                </td>
                <td>{c.max}</td>
                {check.earlier.map((e) => (
                  <td key={e.round}>{e.scores[c.id] ?? '—'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <Refusal text={error} />
        {saved && (
          <p class="muted" role="status">
            {saved}
          </p>
        )}
        <button type="button" class="secondary" onClick={saveDraft} title="Ctrl+S">
          Сохранить черновик
        </button>
        <button type="submit" disabled={!complete}>
          Отправить баллы
        </button>
        {dialog}
      </form>
      <Scheme check={check} />
    </div>
  );
}

function Screening({ check, onDone }: { check: CheckView; onDone: (message: string) => void }) {
  const [error, setError] = useState('');
  const [dialog, ask] = useConfirm();
  const answer = async (blank: boolean) => {
    const sure = await ask(
      blank
        ? 'Бланк пустой: работа получит 0 баллов. Изменить это будет нельзя.'
        : 'Бланк не пустой: работа уйдёт на проверку двум экспертам.',
      blank ? 'Бланк пустой' : 'Не пустой',
    );
    if (!sure) return;
    try {
      await json('POST', `/api/checking/checks/${check.id}/screening`, { blank });
      onDone('Ответ принят.');
    } catch (err) {
      setError(failure(err));
    }
  };
  return (
    <div class="scores">
      <p>Бланк ответов № 2 распознан как пустой. Подтвердите или отправьте работу на проверку.</p>
      <button type="button" onClick={() => answer(true)}>
        Бланк пустой
      </button>
      <button type="button" onClick={() => answer(false)}>
        Не пустой
      </button>
      <Refusal text={error} />
      {dialog}
    </div>
  );
}

export function ExpertStation({ rest }: { rest: string[] }) {
  const [check, setCheck] = useState<CheckView | null | undefined>(undefined);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  // #/expert/check/ID opens one check (it must be this expert's); #/expert takes the next one.
  const asked = rest[0] === 'check' ? Number(rest[1]) : null;
  const load = async () => {
    setError('');
    setCheck(undefined);
    try {
      setCheck(
        asked
          ? await json<CheckView>('GET', `/api/checking/checks/${asked}`)
          : await json<CheckView>('POST', '/api/checking/next'),
      );
    } catch (err) {
      setCheck(null);
      setError(
        err instanceof ApiError && err.status === 403
          ? 'Эта работа вам не назначена.'
          : err instanceof ApiError && err.status === 404
            ? 'Такой проверки нет.'
            : failure(err),
      );
    }
  };
  useEffect(() => {
    void load();
  }, [asked]);
  const done = (m: string) => {
    setMessage(m);
    if (asked) location.hash = '#/expert';
    else void load();
  };
  if (check === undefined) return <p class="muted">Загрузка работы…</p>;
  if (check === null)
    return (
      <section>
        {message && <p class="notice">{message}</p>}
        {error ? <Refusal text={error} /> : <p class="empty">Работ для проверки нет.</p>}
        <button type="button" onClick={() => (asked ? (location.hash = '#/expert') : load())}>
          Проверить снова
        </button>
      </section>
    );
  return (
    <section class="expert">
      <h2>
        Работа <span data-testid="work">{check.workCode}</span> · {ROUNDS[check.round]}
        {check.dueDay && <span class="muted"> · срок {check.dueDay}</span>}
      </h2>
      {message && <p class="notice">{message}</p>}
      <div class="split">
        <PageViewer check={check} />
        {check.round === 'screening' ? (
          <Screening check={check} onDone={done} />
        ) : (
          <ScoreForm key={check.id} check={check} onDone={done} />
        )}
      </div>
    </section>
  );
}
