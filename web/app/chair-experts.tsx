/**
 * A chair's experts for the exam's year and subject: the users who may check, picked from a list (never a
 * login typed in), registered with their status, admission and conflict of interest; and in the chair's
 * words why a pull gave an expert fewer checks than asked. The registered experts are offered (a datalist,
 * `expert-users`) wherever the chair names an expert.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ExamRow } from '../../contract/admin.ts';
import type { ExpertCandidate, ExpertRegistration, PullShortfall } from '../../contract/checking.ts';
import { json } from './api.ts';
import { type Guard, useIsCurrent } from './ui.tsx';

const STATUSES: Record<ExpertRegistration['status'], string> = {
  leading: 'ведущий эксперт',
  senior: 'старший эксперт',
  main: 'основной эксперт',
};

const ADMISSIONS = {
  trained: 'обучение пройдено',
  qualified: 'квалификационные испытания сданы',
  briefed: 'инструктаж пройден',
  seminar: 'согласование подходов (семинар)',
} as const;

const CONFLICTS: Record<NonNullable<ExpertRegistration['conflict']>, string> = {
  none: 'нет',
  declared: 'заявлен, не рассмотрен',
  cleared: 'рассмотрен, допущен',
  barred: 'отстранён',
};

const ROUNDS: Record<string, string> = {
  screening: 'проверка пустых бланков',
  first: 'первые проверки',
  second: 'вторые проверки',
  third: 'третьи проверки',
  appeal: 'перепроверки по апелляциям',
};

/** Why a pull came short (contract/checking.ts PullShortfall), for the chair. */
export function shortfallText(s: PullShortfall): string {
  switch (s.code) {
    case 'not-registered':
      return 'эксперт не зарегистрирован ни по одному предмету, по которому есть экзамен';
    case 'not-admitted':
      return `эксперт не допущен к проверке: не отмечено ${s.params.missing
        .map((m) => `«${ADMISSIONS[m as keyof typeof ADMISSIONS] ?? m}»`)
        .join(', ')}`;
    case 'conflict':
      return `конфликт интересов: ${CONFLICTS[s.params.conflict as keyof typeof CONFLICTS] ?? s.params.conflict}`;
    case 'rounds-not-allowed': {
      const waiting = Object.entries(s.params.rounds)
        .map(([r, n]) => `${ROUNDS[r] ?? r}: ${n}`)
        .join(', ');
      const why =
        s.params.status === 'main'
          ? 'их выполняют только ведущие и старшие эксперты'
          : !s.params.checkedThisYear
            ? 'эксперт в этом году ещё не выполнил ни одной первой или второй проверки'
            : 'эксперт не может их взять';
      return `ожидают ${waiting}, но ${why}`;
    }
    case 'own-works':
      return `оставшиеся проверки (${s.params.checks}) относятся к работам, которые этот эксперт уже проверял`;
    case 'pool-empty':
      return 'в очереди больше нет проверок';
  }
}

const EMPTY = {
  userId: '',
  status: 'main' as ExpertRegistration['status'],
  trained: false,
  qualified: false,
  briefed: false,
  seminar: false,
  conflict: 'none' as NonNullable<ExpertRegistration['conflict']>,
  screening: false,
};

export function Experts({
  exam,
  guard,
  notify,
}: {
  exam: ExamRow | null;
  guard: Guard;
  notify: (notice: string) => void;
}) {
  const [candidates, setCandidates] = useState<ExpertCandidate[]>([]);
  const [draft, setDraft] = useState(EMPTY);
  const year = exam ? Number(exam.date.slice(0, 4)) : null;
  const isCurrent = useIsCurrent(exam?.id);
  const load = async () => {
    if (!exam || year === null) return;
    const list =
      (await json<ExpertCandidate[]>(
        'GET',
        `/api/checking/experts?year=${year}&subject=${exam.subjectCode}`,
      )) ?? [];
    if (isCurrent(exam.id)) setCandidates(list);
  };
  useEffect(() => {
    void guard(load);
  }, [exam?.id]);
  // Picking a registered expert shows their registration, to change it.
  const pick = (userId: string) => {
    const r = candidates.find((c) => c.userId === userId)?.registration;
    setDraft(r ? { ...EMPTY, ...r, userId } : { ...EMPTY, userId });
  };
  const nameOf = (c: ExpertCandidate) => (c.name === c.userId ? c.userId : `${c.name} (${c.userId})`);
  if (!exam) return null;
  return (
    <>
      <h2>Эксперты предметной комиссии</h2>
      <table data-testid="commission">
        <thead>
          <tr>
            <th>Эксперт</th>
            <th>Статус</th>
            <th>Допуск</th>
            <th>Конфликт интересов</th>
          </tr>
        </thead>
        <tbody>
          {candidates
            .filter((c) => c.registration)
            .map((c) => (
              <tr key={c.userId}>
                <td>{nameOf(c)}</td>
                <td>
                  {STATUSES[c.registration!.status]}
                  {c.registration!.screening && ', проверяет пустые бланки'}
                </td>
                <td>
                  {Object.entries(ADMISSIONS).every(([k]) => c.registration![k as keyof typeof ADMISSIONS])
                    ? 'допущен'
                    : 'не допущен'}
                </td>
                <td>{CONFLICTS[c.registration!.conflict ?? 'none']}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <form
        class="row expert-form"
        onSubmit={(e) => {
          e.preventDefault();
          void guard(async () => {
            await json('POST', '/api/checking/experts', {
              ...draft,
              year,
              subjectCode: exam.subjectCode,
            });
            const who = candidates.find((c) => c.userId === draft.userId);
            notify(`Эксперт ${who ? nameOf(who) : draft.userId} зарегистрирован: ${STATUSES[draft.status]}`);
            setDraft(EMPTY);
            await load();
          });
        }}
      >
        <label>
          Пользователь
          <select value={draft.userId} onChange={(e) => pick(e.currentTarget.value)} required>
            <option value="">— выберите —</option>
            {candidates.map((c) => (
              <option key={c.userId} value={c.userId}>
                {nameOf(c)}
                {c.registration ? ` · ${STATUSES[c.registration.status]}` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Статус
          <select
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value as typeof draft.status })}
          >
            {Object.entries(STATUSES).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Допуск к проверке</legend>
          {Object.entries(ADMISSIONS).map(([k, text]) => (
            <label key={k} class="check">
              <span>
                <input
                  type="checkbox"
                  checked={draft[k as keyof typeof ADMISSIONS]}
                  onChange={(e) => setDraft({ ...draft, [k]: e.currentTarget.checked })}
                />{' '}
                {text}
              </span>
            </label>
          ))}
        </fieldset>
        <label>
          Конфликт интересов
          <select
            value={draft.conflict}
            onChange={(e) => setDraft({ ...draft, conflict: e.currentTarget.value as typeof draft.conflict })}
          >
            {Object.entries(CONFLICTS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <span>
            <input
              type="checkbox"
              checked={draft.screening}
              onChange={(e) => setDraft({ ...draft, screening: e.currentTarget.checked })}
            />{' '}
            проверяет пустые бланки
          </span>
        </label>
        <button type="submit" disabled={!draft.userId}>
          Зарегистрировать эксперта
        </button>
      </form>
      <datalist id="expert-users">
        {candidates
          .filter((c) => c.registration)
          .map((c) => (
            <option key={c.userId} value={c.userId}>
              {c.name}
            </option>
          ))}
      </datalist>
    </>
  );
}
