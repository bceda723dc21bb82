/**
 * Group verification, a mode of the verifier's station: many doubtful fields of one kind on one screen (all
 * whose doubt is one character, or one field of the form), each crop with its reading. Enter confirms the
 * screen; the verifier first picks out the wrong ones: ↑/↓ (or Tab) move among the crops, typing gives a crop
 * its value, Delete marks it empty, Esc sends it to the one-by-one station. A key decides only once the group
 * has been on screen for the dwell the server sets, and a held (repeating) key never decides.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TaskView } from '../../contract/verification.ts';
import type { GroupDecision, GroupOutcome, TaskGroup } from '../../contract/verification-group.ts';
import { ApiError, blobUrl, json, token } from './api.ts';
import { VerifierStation } from './verify.tsx';
import './verify-group.css';

type By = TaskGroup['kind'];

interface Loaded {
  group: TaskGroup;
  images: Record<number, string>;
}

/** What the verifier made of one crop; none: the reading is right. */
type Mark = { typed: string } | { empty: true } | { solo: true };

function groupTitle(group: TaskGroup): string {
  if (group.kind === 'character') return `Символ «${group.key}»`;
  return group.tasks[0]!.label;
}

/** Why the server refused a crop's decision, by its code. */
const REFUSALS: Record<string, string> = {
  'bad-value': 'значение не подходит для этого поля',
  'not-yours': 'поле больше не закреплено за вами',
  'no-such-task': 'такого поля нет',
  'not-allowed': 'это решение вам недоступно',
};

/** The reading with its doubtful characters marked. */
function Reading({ task }: { task: TaskView }) {
  if (task.value === '') return <span class="muted">(пусто)</span>;
  const doubtful = new Set(task.cells.map((c) => c.cell));
  return (
    <>
      {[...task.value].map((ch, i) =>
        doubtful.has(i + 1) ? <mark key={i}>{ch}</mark> : <span key={i}>{ch}</span>,
      )}
    </>
  );
}

function decisionOf(task: TaskView, mark: Mark | undefined): GroupDecision {
  if (!mark) return { task: task.id, decision: { action: 'confirm' } };
  if ('solo' in mark) return { task: task.id, decision: { action: 'solo' } };
  return { task: task.id, decision: { action: 'correct', value: 'empty' in mark ? '' : mark.typed } };
}

const HOUR = 3_600_000;

export function GroupStation({ by }: { by: By }) {
  const [current, setCurrent] = useState<Loaded | null | undefined>(undefined);
  const [marks, setMarks] = useState<Record<number, Mark>>({});
  const [errors, setErrors] = useState<Record<number, string>>({});
  const [error, setError] = useState('');
  // The screen whose dwell has passed: a new screen is never ready, not even for the render that shows it.
  const [readyFor, setReadyFor] = useState<Loaded | null>(null);
  const [busy, setBusy] = useState(false);
  // Why the last Enter did nothing: the screen was new, or the key was held down.
  const [notice, setNotice] = useState<'early' | 'held' | null>(null);
  const [done, setDone] = useState<number[]>([]);
  const ahead = useRef<Promise<Loaded | null> | null>(null);
  const inputs = useRef<(HTMLInputElement | null)[]>([]);
  /** Ids of the tasks this station holds leases on: not handed out to it again, released when it closes. */
  const holding = useRef(new Set<number>());
  const dwell = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const crops = useRef<HTMLOListElement>(null);

  const nextGroup = async (): Promise<Loaded | null> => {
    const group = await json<TaskGroup>('POST', '/api/verification/groups/next', {
      by,
      holding: [...holding.current],
    });
    if (!group) return null;
    for (const t of group.tasks) holding.current.add(t.id);
    const urls = await Promise.all(group.tasks.map((t) => blobUrl(`/api/verification/tasks/${t.id}/image`)));
    return { group, images: Object.fromEntries(group.tasks.map((t, i) => [t.id, urls[i]!])) };
  };

  const show = async (next: Promise<Loaded | null>) => {
    const loaded = await next.catch((err: Error) => {
      setError(err.message);
      return null;
    });
    setCurrent(loaded);
    setMarks({});
    setErrors({});
    setNotice(null);
    ahead.current = loaded ? nextGroup() : null;
  };

  useEffect(() => {
    void show(nextGroup());
    // Leases go back when the station closes (reload, another page or mode, sign-out): with the key it was
    // opened with, since signing out clears the stored one first.
    const key = token.get();
    const release = () => {
      if (holding.current.size > 0)
        void fetch('/api/verification/groups/release', {
          method: 'POST',
          keepalive: true,
          headers: { authorization: `Bearer ${key ?? ''}`, 'content-type': 'application/json' },
          body: JSON.stringify({ tasks: [...holding.current] }),
        }).catch(() => {});
      holding.current.clear();
    };
    addEventListener('pagehide', release);
    return () => {
      removeEventListener('pagehide', release);
      release();
    };
  }, []);
  useEffect(() => {
    if (current !== null) return;
    const t = setInterval(() => void show(nextGroup()), 5000);
    return () => clearInterval(t);
  }, [current]);
  // A screen that changes starts its dwell again, once all its crops are on screen.
  // The dwell starts once every crop of the screen is on it (loaded, or failed and shown as such). Asked at each
  // load and when the screen is set: crops kept from a refusal's screen, or loaded before this effect runs
  // (effects run after paint), send no load event afterwards, so counting events would wait for ever.
  const startDwellIfLoaded = () => {
    const imgs = [...(crops.current?.querySelectorAll('img') ?? [])];
    if (!current || imgs.length !== current.group.tasks.length || !imgs.every((img) => img.complete)) return;
    clearTimeout(dwell.current);
    const shown = current;
    dwell.current = setTimeout(() => setReadyFor(shown), shown.group.dwellMs);
  };
  useEffect(() => {
    inputs.current[0]?.focus();
    startDwellIfLoaded();
    return () => clearTimeout(dwell.current);
  }, [current]);

  if (current === undefined) return <p class="muted">Загрузка группы…</p>;
  const rate = (
    <p class="rate" data-testid="rate">
      Проверено за час: {done.length}
    </p>
  );
  if (current === null)
    return (
      <section>
        <p class="empty" data-group="none">
          Сомнительных полей нет. Новые появятся здесь сами.
        </p>
        {error && <p class="error">{error}</p>}
        {rate}
      </section>
    );
  const { group, images } = current;
  const ready = readyFor === current;

  const decide = async () => {
    setBusy(true);
    let outcomes: GroupOutcome[];
    try {
      const body = { decisions: group.tasks.map((t) => decisionOf(t, marks[t.id])) };
      outcomes = (await json<{ outcomes: GroupOutcome[] }>('POST', '/api/verification/groups/decide', body))!
        .outcomes;
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setBusy(false);
      return;
    }
    const failed = outcomes.filter((o) => !o.ok);
    const now = Date.now();
    // A field sent to the one-by-one station is not verified yet.
    const verified = outcomes.filter((o) => o.ok && !(marks[o.task] && 'solo' in marks[o.task]!));
    setDone((d) => [...d.filter((t) => t > now - HOUR), ...verified.map(() => now)]);
    setError('');
    setBusy(false);
    for (const o of outcomes) if (o.ok) URL.revokeObjectURL(images[o.task]!);
    for (const o of outcomes) if (o.ok) holding.current.delete(o.task);
    if (failed.length === 0) return show(ahead.current ?? nextGroup());
    // What was refused stays on screen with its reason, for another look (and another dwell).
    const left = group.tasks.filter((t) => failed.some((o) => o.task === t.id));
    const dwellMs = Math.round((group.dwellMs * left.length) / group.tasks.length);
    setCurrent({ group: { ...group, tasks: left, dwellMs }, images });
    setErrors(Object.fromEntries(failed.map((o) => [o.task, o.ok ? '' : (REFUSALS[o.code] ?? o.code)])));
  };

  const move = (from: number, step: number) => {
    const to = Math.min(Math.max(from + step, 0), group.tasks.length - 1);
    inputs.current[to]?.focus();
  };
  const setMark = (id: number, mark: Mark | null) =>
    setMarks((m) => {
      const { [id]: _, ...rest } = m;
      return mark ? { ...rest, [id]: mark } : rest;
    });

  const onKeyDown = (i: number, task: TaskView) => (e: KeyboardEvent) => {
    const typed = (e.currentTarget as HTMLInputElement).value;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      move(i, e.key === 'ArrowDown' ? 1 : -1);
      return;
    }
    if (e.key !== 'Enter' && e.key !== 'Delete' && e.key !== 'Escape') return;
    e.preventDefault();
    // A held key repeats: it never decides nor marks anything.
    if (e.repeat) {
      if (e.key === 'Enter') setNotice('held');
      return;
    }
    const mark = marks[task.id];
    if (e.key === 'Delete' && typed === '')
      setMark(task.id, mark && 'empty' in mark ? null : { empty: true });
    else if (e.key === 'Escape') setMark(task.id, mark && 'solo' in mark ? null : { solo: true });
    else if (e.key === 'Enter' && !ready) setNotice('early');
    else if (e.key === 'Enter' && !busy) {
      setNotice(null);
      void decide();
    }
  };
  const onInput = (task: TaskView) => (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    const raw = el.value.toUpperCase();
    // A writing area takes "written" or nothing; any other field only its own symbols.
    const kept =
      task.allowed === '' ? raw.toLowerCase() : [...raw].filter((c) => task.allowed.includes(c)).join('');
    el.value = kept;
    setMark(task.id, kept === '' ? null : { typed: kept });
  };

  return (
    <section
      class="verify-group"
      data-group={group.tasks[0]!.id}
      data-phase={ready ? 'ready' : 'dwell'}
      aria-busy={busy}
    >
      <h2>
        {groupTitle(group)} <span class="muted">· полей на экране: {group.tasks.length}</span>
      </h2>
      <ol class="crops" ref={crops}>
        {group.tasks.map((task, i) => {
          const mark = marks[task.id];
          const state = !mark ? '' : 'solo' in mark ? 'solo' : 'empty' in mark ? 'empty' : 'wrong';
          return (
            <li key={task.id} class={`crop-card ${state}`} data-task={task.id} data-mark={state}>
              <img
                src={images[task.id]}
                alt={task.label}
                onLoad={startDwellIfLoaded}
                onError={startDwellIfLoaded}
              />
              <div class="reading">
                <span class="value" data-value={task.value}>
                  <Reading task={task} />
                </span>
                <span class="muted">{task.label}</span>
                <input
                  ref={(el) => {
                    inputs.current[i] = el;
                  }}
                  class="correction"
                  aria-label={`Исправление, поле ${i + 1}`}
                  value={mark && 'typed' in mark ? mark.typed : ''}
                  onInput={onInput(task)}
                  onKeyDown={onKeyDown(i, task)}
                />
                {state === 'empty' && <span class="note">поле пустое</span>}
                {state === 'solo' && <span class="note">по одному</span>}
                {errors[task.id] && <span class="error">{errors[task.id]}</span>}
              </div>
            </li>
          );
        })}
      </ol>
      {error && <p class="error">{error}</p>}
      {notice && (
        <p class="notice" data-notice={notice} role="status">
          {notice === 'early'
            ? 'Enter не принят: группа на экране меньше положенного времени, просмотрите все поля'
            : 'Enter не принят: клавиша зажата, отпустите её и нажмите снова'}
        </p>
      )}
      <p class="keys">
        <kbd>Enter</kbd> {ready ? 'подтвердить экран' : 'станет доступен, когда вы просмотрите все поля'} ·{' '}
        <kbd>↑</kbd>/<kbd>↓</kbd> между полями · введите значение, чтобы исправить поле · <kbd>Delete</kbd>{' '}
        поле пустое · <kbd>Esc</kbd> проверить по одному
      </p>
      {rate}
    </section>
  );
}

/** The verifier's station with its two modes: one field at a time, or a group of one kind. */
export function VerifierModes({ rest }: { rest: string[] }) {
  const group = rest[0] === 'group';
  const by: By = rest[1] === 'field' ? 'field' : 'character';
  const link = (href: string, current: boolean, text: string) => (
    <a href={href} class={current ? 'current' : ''} aria-current={current ? 'page' : undefined}>
      {text}
    </a>
  );
  return (
    <>
      <div class="modes">
        {link('#/verify', !group, 'По одному')}
        {link('#/verify/group', group, 'Группой')}
        {group && (
          <span class="by">
            {link('#/verify/group', by === 'character', 'по символу')}
            {link('#/verify/group/field', by === 'field', 'по полю')}
          </span>
        )}
      </div>
      {group ? <GroupStation key={by} by={by} /> : <VerifierStation />}
    </>
  );
}
