/**
 * Score appeals: a chair registers one on a work and follows them, each with its kit as a PDF, its steps on
 * the regulation's clock (a step marked done on its day) and the conflict commission's decision once the
 * re-check is scored; and what is past the regulation's deadlines (appeal steps, exams' checks).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Appeal, AppealSteps, Overdue } from '../../contract/checking.ts';
import { download, json } from './api.ts';
import { useConfirm } from './confirm.tsx';
import { appealStepName, ruleText, STEP_STATES, stepActor } from './texts.ts';
import { Field, type Guard } from './ui.tsx';

/** Today in the station's own calendar, as a day input holds it. */
const today = () => new Date().toLocaleDateString('sv-SE');

/** `onChanged` after a step is marked done or a decision recorded: what is overdue has changed. */
export function Appeals(props: { guard: Guard; notify: (notice: string) => void; onChanged: () => void }) {
  const { guard, notify } = props;
  const [appeals, setAppeals] = useState<Appeal[]>([]);
  const [appeal, setAppeal] = useState({ workId: '', reason: '' });
  const [open, setOpen] = useState<number | null>(null);
  const [dialog, ask] = useConfirm();
  const load = async () => setAppeals((await json<Appeal[]>('GET', '/api/appeals')) ?? []);
  useEffect(() => {
    void guard(load);
  }, []);
  return (
    <>
      <h2>Апелляции</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void guard(async () => {
            const sure = await ask(
              `Зарегистрировать апелляцию по работе ${appeal.workId}? Работа уйдёт на перепроверку; отменить регистрацию нельзя.`,
              'Зарегистрировать апелляцию',
            );
            if (!sure) return;
            await json('POST', '/api/appeals', appeal);
            notify(`Апелляция по работе ${appeal.workId} зарегистрирована`);
            setAppeal({ workId: '', reason: '' });
            await load();
          });
        }}
      >
        <Field
          label="Код работы"
          value={appeal.workId}
          onChange={(workId) => setAppeal({ ...appeal, workId })}
        />
        <Field
          label="Суть апелляции"
          value={appeal.reason}
          onChange={(reason) => setAppeal({ ...appeal, reason })}
        />
        <button type="submit" disabled={!appeal.workId || !appeal.reason}>
          Зарегистрировать
        </button>
      </form>
      {dialog}
      {appeals.length === 0 ? (
        <p class="muted">Апелляций нет.</p>
      ) : (
        <table class="appeals">
          <thead>
            <tr>
              <th>№</th>
              <th>Работа</th>
              <th>Состояние</th>
              <th>Балл до</th>
              <th>Балл после</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {appeals.map((a) => (
              <tr key={a.id}>
                <td>{a.id}</td>
                <td>{a.workCode}</td>
                <td>
                  {a.outcome === 'upheld'
                    ? 'удовлетворена'
                    : a.outcome === 'rejected'
                      ? 'отклонена'
                      : 'перепроверка'}
                </td>
                <td>{a.totalBefore ?? '—'}</td>
                <td>{a.totalAfter ?? '—'}</td>
                <td>
                  <button
                    type="button"
                    class="link"
                    onClick={() => guard(() => download(`/api/appeals/${a.id}/kit`, `appeal-${a.id}.pdf`))}
                  >
                    Комплект PDF
                  </button>{' '}
                  <button
                    type="button"
                    class="link"
                    aria-expanded={open === a.id}
                    onClick={() => setOpen(open === a.id ? null : a.id)}
                  >
                    Шаги № {a.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open !== null && (
        <AppealDetail
          key={open}
          appeal={appeals.find((a) => a.id === open) ?? null}
          guard={guard}
          notify={notify}
          onChanged={async () => {
            await load();
            props.onChanged();
          }}
        />
      )}
    </>
  );
}

/** One appeal's steps with their due days and states, marking one done, and the commission's decision. */
function AppealDetail(props: {
  appeal: Appeal | null;
  guard: Guard;
  notify: (notice: string) => void;
  onChanged: () => Promise<void>;
}) {
  const { appeal, guard, notify } = props;
  const [steps, setSteps] = useState<AppealSteps | null>(null);
  const [doneOn, setDoneOn] = useState(today());
  const [decision, setDecision] = useState({ outcome: 'upheld', heardOn: today() });
  const [dialog, ask] = useConfirm();
  const load = async () => {
    if (appeal) setSteps(await json<AppealSteps>('GET', `/api/appeals/${appeal.id}/steps`));
  };
  useEffect(() => {
    void guard(load);
  }, [appeal?.id]);
  if (!appeal) return null;
  const markDone = (step: string) =>
    guard(async () => {
      const sure = await ask(
        `Отметить шаг «${appealStepName(step)}» выполненным ${doneOn}? Отметку нельзя изменить.`,
        'Отметить выполненным',
      );
      if (!sure) return;
      setSteps(await json<AppealSteps>('POST', `/api/appeals/${appeal.id}/steps/${step}`, { doneOn }));
      await props.onChanged();
      notify(`Апелляция № ${appeal.id}: шаг «${appealStepName(step)}» выполнен ${doneOn}`);
    });
  const decide = () =>
    guard(async () => {
      const upheld = decision.outcome === 'upheld';
      const sure = await ask(
        upheld
          ? `Записать решение конфликтной комиссии: апелляция № ${appeal.id} удовлетворена (заседание ${decision.heardOn})? Результатом станут баллы перепроверки (${appeal.recheckTotal}); изменить решение нельзя.`
          : `Записать решение конфликтной комиссии: апелляция № ${appeal.id} отклонена (заседание ${decision.heardOn})? Результат останется прежним (${appeal.totalBefore}); изменить решение нельзя.`,
        'Записать решение',
      );
      if (!sure) return;
      await json('POST', `/api/appeals/${appeal.id}/decision`, decision);
      notify(`Решение по апелляции № ${appeal.id} записано`);
      await props.onChanged();
      await load();
    });
  return (
    <section class="appeal" aria-labelledby="appeal-heading">
      <h3 id="appeal-heading">
        Апелляция № {appeal.id}, работа {appeal.workCode}
      </h3>
      {appeal.status === 'rechecked' && (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void decide();
          }}
        >
          <label>
            Решение конфликтной комиссии{' '}
            <select
              value={decision.outcome}
              onChange={(e) => setDecision({ ...decision, outcome: e.currentTarget.value })}
            >
              <option value="upheld">удовлетворить</option>
              <option value="rejected">отклонить</option>
            </select>
          </label>
          <label>
            День заседания{' '}
            <input
              type="date"
              value={decision.heardOn}
              onInput={(e) => setDecision({ ...decision, heardOn: e.currentTarget.value })}
            />
          </label>
          <button type="submit" disabled={!decision.heardOn}>
            Записать решение
          </button>
        </form>
      )}
      {appeal.status === 'rechecking' && <p class="muted">Решение можно записать после перепроверки.</p>}
      {appeal.status === 'decided' && (
        <p>
          {`Решение: ${appeal.outcome === 'upheld' ? 'удовлетворена' : 'отклонена'}, заседание ${appeal.heardOn}; `}
          баллы перепроверки {appeal.recheckTotal ?? '—'}, итог {appeal.totalAfter ?? '—'}.
        </p>
      )}
      <label>
        Выполнено в день{' '}
        <input type="date" value={doneOn} onInput={(e) => setDoneOn(e.currentTarget.value)} />
      </label>
      {steps && (
        <table>
          <caption>Шаги по регламенту</caption>
          <thead>
            <tr>
              <th>Шаг</th>
              <th>Кто</th>
              <th>Основание</th>
              <th>Срок</th>
              <th>Состояние</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {steps.steps.map((s) => (
              <tr key={s.step} class={s.state === 'overdue' ? 'overdue' : ''}>
                <td>{appealStepName(s.step)}</td>
                <td>{stepActor(s.by)}</td>
                <td>{ruleText(s.rule)}</td>
                <td>{s.dueDay ?? (s.problem ? 'не рассчитан: нет производственного календаря' : '—')}</td>
                <td class={s.state === 'overdue' ? 'error' : ''}>
                  {STEP_STATES[s.state] ?? s.state}
                  {s.doneOn ? ` ${s.doneOn}` : ''}
                </td>
                <td>
                  {(s.state === 'open' || s.state === 'overdue') && (
                    <button type="button" class="link" onClick={() => markDone(s.step)}>
                      Выполнен
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {dialog}
    </section>
  );
}

/** What is past the regulation's deadlines: appeal steps not done, exams with overdue first and second checks. */
export function OverduePanel({ guard, revision }: { guard: Guard; revision: number }) {
  const [overdue, setOverdue] = useState<Overdue | null>(null);
  useEffect(() => {
    void guard(async () => setOverdue(await json<Overdue>('GET', '/api/checking/overdue')));
  }, [revision]);
  if (!overdue) return null;
  const nothing = overdue.appealSteps.length === 0 && overdue.exams.length === 0;
  return (
    <section class="overdue" aria-labelledby="overdue-heading">
      <h2 id="overdue-heading">Просрочено</h2>
      {nothing && <p class="muted">Просроченного нет.</p>}
      {overdue.appealSteps.length > 0 && (
        <table>
          <caption>Шаги апелляций</caption>
          <thead>
            <tr>
              <th>Апелляция</th>
              <th>Работа</th>
              <th>Шаг</th>
              <th>Кто</th>
              <th>Основание</th>
              <th>Срок</th>
            </tr>
          </thead>
          <tbody>
            {overdue.appealSteps.map((s) => (
              <tr key={`${s.appealId}-${s.step}`} class="overdue">
                <td>№ {s.appealId}</td>
                <td>{s.workCode}</td>
                <td>{appealStepName(s.step)}</td>
                <td>{stepActor(s.by)}</td>
                <td>{ruleText(s.rule)}</td>
                <td class="error">{s.dueDay}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {overdue.exams.length > 0 && (
        <table>
          <caption>Проверки экспертами</caption>
          <thead>
            <tr>
              <th>Экзамен</th>
              <th>Срок обработки</th>
              <th>Проверить до</th>
              <th>Просрочено проверок</th>
            </tr>
          </thead>
          <tbody>
            {overdue.exams.map((x) => (
              <tr key={x.examId} class="overdue">
                <td>{x.examId}</td>
                <td>
                  {x.processingDeadline}
                  {x.defaulted ? ' (по регламенту: срок экзамену не задан)' : ''}
                </td>
                <td class="error">{x.dueDay}</td>
                <td>{x.overdueChecks}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
