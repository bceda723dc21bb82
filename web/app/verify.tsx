/**
 * The verifier's station, keyboard first: the field's image with its surroundings beside the recognised value
 * and the symbols allowed. Enter confirms the recognised value (or, once something is typed, saves the
 * correction); Delete marks the field empty, for Enter to save; Escape sends the field to a senior verifier;
 * Ctrl+Z takes back the last decisions. The next task is leased and its image loaded while the current one is
 * on screen, so a decision shows the next field at once.
 *
 * Key safety (as in FlexiCapture's verification): a key decides only a field that has been on screen for the
 * dwell the service sets (RCOI_VERIFY_DWELL_MS, from /api/verification/station), counted from its image's
 * load, and a repeated key (held down) never decides, so a bouncing or held Enter cannot confirm a field no
 * one has seen. The station gives its leases back when the page goes away or the verifier signs out.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { StationState, TaskView } from '../../contract/verification.ts';
import { ApiError, blobUrl, failure, json, token } from './api.ts';
import { alphabetText } from './texts.ts';

interface Loaded {
  task: TaskView;
  image: string;
}

/** Why the recogniser doubted, in the verifier's words (pipeline/result.ts, DoubtReason). */
const DOUBTS: Record<string, string> = {
  'marginal-mark': 'слабая метка',
  'multiple-marks': 'несколько меток',
  'erasure-or-faint-mark': 'стёртая или бледная метка',
  'ink-around-mark': 'чернила вокруг метки',
  'layout-misfit': 'разметка не совпала с бланком',
  'low-confidence-character': 'символ распознан неуверенно',
  'ambiguous-script': 'кириллица или латиница?',
  'gap-in-answer': 'пропуск в ответе',
  'written-across-cells': 'написано поверх клеток',
  'not-of-type': 'ответ не того вида, что задание',
  'marks-only': 'только запятая или минус',
  'uncertain-writing': 'есть ли запись?',
  'link-check-digit': 'контрольная цифра не сходится',
  'incomplete-link': 'номер записан не полностью',
  'replacement-unreadable': 'замена не читается',
  'replacement-conflict': 'противоречивые замены',
  'replacement-count-mismatch': 'число замен не сходится',
};

/** Doubts about which alphabet a letter is from: then each character's script is shown under it. */
const SCRIPT_DOUBTS = new Set(['ambiguous-script', 'not-of-type']);

/** How many of the verifier's last decisions the station can take back. */
const UNDO_DEPTH = 10;
/** The crop is never enlarged beyond this, so a small field stays sharp rather than a grey blur. */
const MAX_UPSCALE = 2;

function scriptOf(ch: string): { mark: string; cls: string } {
  if (/\p{Script=Cyrillic}/u.test(ch)) return { mark: 'кир', cls: 'cyr' };
  if (/\p{Script=Latin}/u.test(ch)) return { mark: 'лат', cls: 'lat' };
  return { mark: '', cls: 'other' };
}

/** A value with each character's script under it (Cyrillic ТН and Latin TH look alike). */
function Scripts({ value, testid }: { value: string; testid: string }) {
  return (
    <span class="scripts" data-testid={testid}>
      {[...value].map((ch, i) => {
        const s = scriptOf(ch);
        return (
          <span key={i} class={`ch ${s.cls}`} data-script={s.cls}>
            {ch}
            <small>{s.mark}</small>
          </span>
        );
      })}
    </span>
  );
}

/** The station's midnight, from which "today" counts. */
function midnight(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

const stationState = () =>
  json<StationState>('GET', `/api/verification/station?since=${encodeURIComponent(midnight())}`);

/** Refusals of an undo, by HTTP status: a final page (a senior's), or nothing left to take back. */
const UNDO_REFUSED: Record<number, string> = {
  403: 'Страница уже окончательная: это решение отменяет старший верификатор',
  409: 'Это решение уже нельзя отменить',
};

export function VerifierStation() {
  const [current, setCurrent] = useState<Loaded | null | undefined>(undefined);
  const [typed, setTyped] = useState('');
  const [markedEmpty, setMarkedEmpty] = useState(false);
  const [error, setError] = useState('');
  /** The field's image is loading, on screen for less than the dwell, or seen: keys decide only then. */
  const [phase, setPhase] = useState<'loading' | 'dwell' | 'ready'>('loading');
  const [state, setState] = useState<StationState | null>(null);
  const [undoable, setUndoable] = useState<{ id: number; label: string }[]>([]);
  /** Tasks loaded and waiting to be shown (the next one; a field moved aside by an undo). */
  const pending = useRef<Promise<Loaded | null>[]>([]);
  /** Ids of the tasks this station holds leases on: not handed out to it again, released when it closes. */
  const holding = useRef(new Set<number>());
  const shownAt = useRef<number | null>(null);
  const busy = useRef(false);
  const input = useRef<HTMLInputElement>(null);

  // The counts help, they are not the work: a failed refresh keeps the last ones on screen.
  const refreshState = () =>
    stationState()
      .then(setState)
      .catch(() => {});

  const nextTask = async (): Promise<Loaded | null> => {
    const task = await json<TaskView>('POST', '/api/verification/next', { holding: [...holding.current] });
    if (!task) return null;
    holding.current.add(task.id);
    return { task, image: await blobUrl(`/api/verification/tasks/${task.id}/image`) };
  };

  const show = async (next: Promise<Loaded | null>) => {
    const loaded = await next.catch((err: unknown) => {
      setError(failure(err));
      return null;
    });
    shownAt.current = null;
    setPhase('loading');
    setCurrent(loaded);
    setTyped('');
    setMarkedEmpty(false);
    setError('');
    if (loaded && pending.current.length === 0) pending.current.push(nextTask());
  };

  useEffect(() => {
    // The dwell comes with the station's state, so it is known before the first field shows.
    void stationState()
      .then((st) => {
        setState(st);
        return show(nextTask());
      })
      .catch((err: unknown) => setError(failure(err)));
    // Leases go back when the station closes (reload, another page, sign-out): with the key it was opened
    // with, since signing out clears the stored one first.
    const key = token.get();
    const release = () => {
      for (const id of holding.current)
        void fetch(`/api/verification/tasks/${id}/release`, {
          method: 'POST',
          keepalive: true,
          headers: { authorization: `Bearer ${key ?? ''}` },
        }).catch(() => {});
      holding.current.clear();
    };
    // A page the browser kept and shows again (back-forward cache) holds no leases any more: start afresh.
    const restored = (e: PageTransitionEvent) => e.persisted && location.reload();
    addEventListener('pagehide', release);
    addEventListener('pageshow', restored);
    return () => {
      removeEventListener('pagehide', release);
      removeEventListener('pageshow', restored);
      release();
    };
  }, []);
  // With nothing to verify, look again now and then: recognition goes on while the station is open.
  useEffect(() => {
    if (current !== null) return;
    const t = setInterval(() => {
      void show(nextTask());
      void refreshState();
    }, 5000);
    return () => clearInterval(t);
  }, [current]);
  useEffect(() => input.current?.focus(), [current]);

  const dwellMs = state?.dwellMs ?? 0;
  const onImageLoad = (e: Event) => {
    const img = e.currentTarget as HTMLImageElement;
    img.style.maxWidth = `${img.naturalWidth * MAX_UPSCALE}px`;
    const at = performance.now();
    shownAt.current = at;
    setPhase('dwell');
    setTimeout(() => shownAt.current === at && setPhase('ready'), dwellMs);
  };

  const counts = state && (
    <p class="counts">
      <span data-testid="left">Осталось полей: {state.left}</span>
      <span data-testid="today">Сегодня: {state.doneToday}</span>
      <span data-testid="rate">Проверено за час: {state.lastHour}</span>
    </p>
  );

  const undo = async () => {
    const last = undoable.at(-1);
    if (!last || busy.current) return;
    busy.current = true;
    try {
      const task = await json<TaskView>('POST', `/api/verification/tasks/${last.id}/undo`);
      holding.current.add(task!.id);
      const image = await blobUrl(`/api/verification/tasks/${task!.id}/image`);
      // The field on screen waits, still leased, to come back after the one taken back.
      if (current) pending.current.unshift(Promise.resolve(current));
      setUndoable((u) => u.slice(0, -1));
      await show(Promise.resolve({ task: task!, image }));
    } catch (err) {
      setUndoable((u) => u.slice(0, -1));
      setError((err instanceof ApiError && UNDO_REFUSED[err.status]) || failure(err));
    } finally {
      busy.current = false;
      void refreshState();
    }
  };

  const undoButton = undoable.length > 0 && (
    <button type="button" class="undo" onClick={() => void undo()}>
      Отменить решение: {undoable.at(-1)!.label} (<kbd>Ctrl</kbd>+<kbd>Z</kbd>)
    </button>
  );

  if (current === undefined) return <p class={error ? 'error' : 'muted'}>{error || 'Загрузка задания…'}</p>;
  if (current === null)
    return (
      <section>
        <p class="empty" data-task="none">
          Сомнительных полей нет. Новые появятся здесь сами.
        </p>
        {undoButton}
        {counts}
      </section>
    );
  const { task, image } = current;

  const decide = async (body: object) => {
    busy.current = true;
    try {
      await json('POST', `/api/verification/tasks/${task.id}`, body);
    } catch (err) {
      busy.current = false;
      setError(failure(err));
      return;
    }
    holding.current.delete(task.id);
    URL.revokeObjectURL(image);
    setUndoable((u) => [...u, { id: task.id, label: task.label }].slice(-UNDO_DEPTH));
    void refreshState();
    await show(pending.current.shift() ?? nextTask());
    busy.current = false;
  };

  /** A key may decide only a field seen for the dwell, never as a repeat, never while a decision is on its way. */
  const refusal = (e: KeyboardEvent): string | null => {
    if (busy.current) return 'Решение сохраняется…';
    if (e.repeat) return 'Удерживаемая клавиша не считается: нажмите ещё раз';
    if (shownAt.current === null || performance.now() - shownAt.current < dwellMs)
      return 'Поле ещё не просмотрено: нажмите ещё раз';
    return null;
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const decisive = e.key === 'Enter' || e.key === 'Delete' || e.key === 'Escape';
    const undoKey = e.ctrlKey && e.key === 'z' && typed === '';
    if (!decisive && !undoKey) return;
    if (undoKey) {
      e.preventDefault();
      if (!e.repeat) void undo();
      return;
    }
    if (e.key === 'Delete' && typed !== '') return;
    e.preventDefault();
    if (e.key === 'Escape' && markedEmpty) {
      setMarkedEmpty(false);
      return;
    }
    const refused = refusal(e);
    if (refused) {
      setError(refused);
      return;
    }
    if (e.key === 'Delete') {
      // The field should be empty: marked first, saved by Enter, so a stray Delete decides nothing.
      setMarkedEmpty(true);
      setError('');
    } else if (e.key === 'Escape') void decide({ action: 'escalate' });
    else if (markedEmpty) void decide({ action: 'correct', value: '' });
    else void decide(typed === '' ? { action: 'confirm' } : { action: 'correct', value: typed });
  };
  const onInput = (e: Event) => {
    const raw = (e.currentTarget as HTMLInputElement).value.toUpperCase();
    // A writing area takes "written" or nothing; any other field only its own symbols.
    const kept =
      task.allowed === '' ? raw.toLowerCase() : [...raw].filter((c) => task.allowed.includes(c)).join('');
    setError(kept === raw || task.allowed === '' ? '' : 'Этот символ в поле недопустим');
    setTyped(kept);
    setMarkedEmpty(false);
  };
  const scripts = task.doubt.some((d) => SCRIPT_DOUBTS.has(d));

  return (
    <section class="verify" data-task={task.id} data-phase={phase}>
      <div class="crop">
        <img src={image} alt={`Поле «${task.label}»`} onLoad={onImageLoad} />
      </div>
      <div class="decision">
        <p class="field" data-testid="field-label">
          {task.label} <span class="muted">{task.form}</span>
        </p>
        <p class="recognised" data-testid="recognised" data-value={task.value}>
          {task.value === '' ? (
            <span class="muted">(пусто)</span>
          ) : scripts ? (
            <Scripts value={task.value} testid="recognised-scripts" />
          ) : (
            task.value
          )}
        </p>
        <p class="muted">
          уверенность {Math.round(task.confidence * 100)}%
          {task.doubt.length > 0 && ` · ${task.doubt.map((d) => DOUBTS[d] ?? d).join(', ')}`}
        </p>
        {task.cells.length > 0 && (
          <ul class="cells" data-testid="doubtful-cells">
            {task.cells.map((c) => (
              <li key={c.cell} data-cell={c.cell}>
                клетка {c.cell}: {DOUBTS[c.reason] ?? c.reason}
              </li>
            ))}
          </ul>
        )}
        <input
          ref={input}
          class={markedEmpty ? 'correction marked-empty' : 'correction'}
          aria-label="Исправление"
          value={typed}
          onInput={onInput}
          onKeyDown={onKeyDown}
          placeholder={markedEmpty ? 'поле пустое — Enter сохранит, Esc отменит' : 'Enter — верно'}
        />
        {scripts && typed !== '' && <Scripts value={typed} testid="typed-scripts" />}
        {markedEmpty && (
          <p class="marked" data-testid="marked-empty">
            Поле будет сохранено пустым: <kbd>Enter</kbd> сохранить, <kbd>Esc</kbd> отменить
          </p>
        )}
        {error && <p class="error">{error}</p>}
        <p class="allowed">
          Допустимо: {task.allowed === '' ? <code>written или пусто</code> : alphabetText(task.allowed)}
        </p>
        <p class="keys">
          <kbd>Enter</kbd> подтвердить · введите значение и <kbd>Enter</kbd> исправить · <kbd>Delete</kbd>,{' '}
          <kbd>Enter</kbd> поле пустое · <kbd>Esc</kbd> старшему верификатору · <kbd>Ctrl</kbd>+<kbd>Z</kbd>{' '}
          отменить последнее решение
        </p>
        {undoButton}
        {counts}
      </div>
    </section>
  );
}
