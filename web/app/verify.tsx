/**
 * The verifier's station, keyboard first: the field's image enlarged beside the recognised value and the
 * symbols allowed. Enter confirms the recognised value (or, once something is typed, saves the correction);
 * Escape sends the field to a senior verifier. The next task is leased and its image loaded while the
 * current one is on screen, so a decision shows the next field at once.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TaskView } from '../../contract/verification.ts';
import { blobUrl, failure, json } from './api.ts';
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

async function nextTask(): Promise<Loaded | null> {
  const task = await json<TaskView>('POST', '/api/verification/next');
  if (!task) return null;
  return { task, image: await blobUrl(`/api/verification/tasks/${task.id}/image`) };
}

const HOUR = 3_600_000;

export function VerifierStation() {
  const [current, setCurrent] = useState<Loaded | null | undefined>(undefined);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState<number[]>([]);
  const ahead = useRef<Promise<Loaded | null> | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const show = async (next: Promise<Loaded | null>) => {
    const loaded = await next.catch((err: unknown) => {
      setError(failure(err));
      return null;
    });
    setCurrent(loaded);
    setTyped('');
    setError('');
    ahead.current = loaded ? nextTask() : null;
  };

  useEffect(() => {
    void show(nextTask());
  }, []);
  // With nothing to verify, look again now and then: recognition goes on while the station is open.
  useEffect(() => {
    if (current !== null) return;
    const t = setInterval(() => void show(nextTask()), 5000);
    return () => clearInterval(t);
  }, [current]);
  useEffect(() => input.current?.focus(), [current]);

  if (current === undefined) return <p class="muted">Загрузка задания…</p>;
  const rate = (
    <p class="rate" data-testid="rate">
      Проверено за час: {done.length}
    </p>
  );
  if (current === null)
    return (
      <section>
        <p class="empty" data-task="none">
          Сомнительных полей нет. Новые появятся здесь сами.
        </p>
        {rate}
      </section>
    );
  const { task, image } = current;

  const decide = async (body: object) => {
    try {
      await json('POST', `/api/verification/tasks/${task.id}`, body);
    } catch (err) {
      setError(failure(err));
      return;
    }
    URL.revokeObjectURL(image);
    const now = Date.now();
    setDone((d) => [...d.filter((t) => t > now - HOUR), now]);
    await show(ahead.current ?? nextTask());
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void decide(typed === '' ? { action: 'confirm' } : { action: 'correct', value: typed });
    } else if (e.key === 'Delete' && typed === '') {
      // The field should be empty: nothing typed cannot say that, so Delete does.
      e.preventDefault();
      void decide({ action: 'correct', value: '' });
    } else if (e.key === 'Escape') {
      e.preventDefault();
      void decide({ action: 'escalate' });
    }
  };
  const onInput = (e: Event) => {
    const raw = (e.currentTarget as HTMLInputElement).value.toUpperCase();
    // A writing area takes "written" or nothing; any other field only its own symbols.
    const kept =
      task.allowed === '' ? raw.toLowerCase() : [...raw].filter((c) => task.allowed.includes(c)).join('');
    setError(kept === raw || task.allowed === '' ? '' : 'Этот символ в поле недопустим');
    setTyped(kept);
  };

  return (
    <section class="verify" data-task={task.id}>
      <div class="crop">
        <img src={image} alt={`Поле ${task.field}`} />
      </div>
      <div class="decision">
        <p class="field">
          {task.field} <span class="muted">{task.form}</span>
        </p>
        <p class="recognised" data-testid="recognised" data-value={task.value}>
          {task.value === '' ? <span class="muted">(пусто)</span> : task.value}
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
          class="correction"
          aria-label="Исправление"
          value={typed}
          onInput={onInput}
          onKeyDown={onKeyDown}
          placeholder="Enter — верно"
        />
        {error && <p class="error">{error}</p>}
        <p class="allowed">
          Допустимо: {task.allowed === '' ? <code>written или пусто</code> : alphabetText(task.allowed)}
        </p>
        <p class="keys">
          <kbd>Enter</kbd> подтвердить · введите значение и <kbd>Enter</kbd> исправить · <kbd>Delete</kbd>{' '}
          поле пустое · <kbd>Esc</kbd> старшему верификатору
        </p>
        {rate}
      </div>
    </section>
  );
}
