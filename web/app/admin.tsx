/**
 * The RCOI administrator's station: retention (what is due, what is held past its date, the holds and the
 * destruction acts), the recognition's control sample (silent errors found), users and their roles, the import
 * from the regional system (admin-ris.tsx), an exam's results (results.tsx), and the form definitions and
 * checking rules in use.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ExamRow, FormRow, IssuedUser, RulesRow, UserRow } from '../../contract/admin.ts';
import type { RetentionOutlook } from '../../contract/retention.ts';
import type { ControlSampleRow } from '../../contract/verification.ts';
import { RisImport } from './admin-ris.tsx';
import { failure, json } from './api.ts';
import { Refusal, useConfirm } from './confirm.tsx';
import { ExamPicker } from './exams.tsx';
import { Results } from './results.tsx';
import { actorName, EXAM_KINDS, KIND_NAMES, percent } from './texts.ts';
import { Field } from './ui.tsx';

const ROLES: Record<string, string> = {
  operator: 'оператор сканирования',
  verifier: 'верификатор',
  'senior-verifier': 'старший верификатор',
  expert: 'эксперт',
  chair: 'председатель ПК',
  admin: 'администратор',
};

function Users() {
  const [users, setUsers] = useState<UserRow[]>([]);
  const [draft, setDraft] = useState({ id: '', name: '', role: 'verifier' });
  const [issued, setIssued] = useState<IssuedUser | null>(null);
  const [error, setError] = useState('');
  const [dialog, ask] = useConfirm();
  const load = () => json<UserRow[]>('GET', '/api/users').then((u) => setUsers(u ?? []));
  useEffect(() => {
    void load();
  }, []);
  const act = async (f: () => Promise<unknown>) => {
    setError('');
    try {
      await f();
      await load();
    } catch (err) {
      setError(failure(err));
    }
  };
  return (
    <>
      <h2>Пользователи</h2>
      <table>
        <thead>
          <tr>
            <th>Логин</th>
            <th>Имя</th>
            <th>Роль</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} class={u.disabled ? 'muted' : ''}>
              <td>{u.id}</td>
              <td>{u.name}</td>
              <td>{ROLES[u.role] ?? u.role}</td>
              <td>
                {u.disabled ? (
                  'отключён'
                ) : (
                  <button
                    type="button"
                    class="link"
                    onClick={async () => {
                      const sure = await ask(
                        `Отключить пользователя ${u.name} (${u.id})? Его ключ доступа перестанет действовать; вернуть доступ можно только выдав новый ключ.`,
                        'Отключить',
                      );
                      if (sure) await act(() => json('POST', `/api/users/${u.id}/disable`));
                    }}
                  >
                    Отключить
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            // Issuing a key to an existing login replaces their key: the old one stops working.
            const existing = users.find((u) => u.id === draft.id);
            if (
              existing &&
              !(await ask(
                `Пользователь ${existing.id} уже есть. Выдать ему новый ключ? Прежний ключ перестанет действовать.`,
                'Выдать новый ключ',
              ))
            )
              return;
            const r = await json<IssuedUser>('POST', '/api/users', draft);
            setIssued(r);
            setDraft({ id: '', name: '', role: draft.role });
          });
        }}
      >
        <Field label="Логин" value={draft.id} onChange={(id) => setDraft({ ...draft, id })} />
        <Field label="Имя" value={draft.name} onChange={(name) => setDraft({ ...draft, name })} />
        <select
          aria-label="Роль"
          value={draft.role}
          onChange={(e) => setDraft({ ...draft, role: e.currentTarget.value })}
        >
          {Object.entries(ROLES).map(([r, name]) => (
            <option key={r} value={r}>
              {name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!draft.id || !draft.name}>
          Выдать ключ
        </button>
      </form>
      {issued && (
        <p class="notice">
          Ключ доступа для {issued.id} (показывается один раз): <code>{issued.token}</code>
        </p>
      )}
      <Refusal text={error} />
      {dialog}
    </>
  );
}

/**
 * Each form's blind control sample: answers read without a doubt and verified all the same; the corrected
 * ones are errors that no doubt caught, and the upper end says how many the sample still allows.
 */
function ControlSample({ rows, forms }: { rows: ControlSampleRow[]; forms: FormRow[] }) {
  const title = (id: string) => forms.find((f) => f.id === id)?.title ?? id;
  return (
    <>
      <h2>Контрольная выборка распознавания</h2>
      <p class="muted">
        Часть ответов, принятых без сомнения, всё равно проверяют верификаторы, не зная об этом; исправленные
        из них — ошибки, которые пропустили пороги распознавания.
      </p>
      {rows.length === 0 ? (
        <p class="muted">Пока нет.</p>
      ) : (
        <table data-testid="control-sample">
          <thead>
            <tr>
              <th>Бланк</th>
              <th>Выбрано</th>
              <th>Проверено</th>
              <th>Исправлено</th>
              <th>Доля ошибок</th>
              <th>Не более (95%)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.form}>
                <td>{title(r.form)}</td>
                <td>{r.sampled}</td>
                <td>{r.decided}</td>
                <td class={r.corrected > 0 ? 'error' : ''}>{r.corrected}</td>
                <td>{percent(r.rate, 2)}</td>
                <td>{percent(r.upper95, 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function AdminStation() {
  const [retention, setRetention] = useState<RetentionOutlook | null>(null);
  const [forms, setForms] = useState<FormRow[]>([]);
  const [control, setControl] = useState<ControlSampleRow[]>([]);
  const [rules, setRules] = useState<RulesRow[]>([]);
  const [exams, setExams] = useState<ExamRow[]>([]);
  const [exam, setExam] = useState<ExamRow | null>(null);
  const [error, setError] = useState('');
  const guard = async (f: () => Promise<void>) => {
    setError('');
    try {
      await f();
    } catch (err) {
      setError(failure(err));
    }
  };
  useEffect(() => {
    const year = new Date().getFullYear();
    Promise.all([
      json<RetentionOutlook>('GET', '/api/retention').then(setRetention),
      json<FormRow[]>('GET', '/api/forms').then((f) => setForms(f ?? [])),
      json<ControlSampleRow[]>('GET', '/api/verification/control').then((c) => setControl(c ?? [])),
      json<ExamRow[]>('GET', '/api/exams').then((x) => {
        setExams(x ?? []);
        setExam(x?.[0] ?? null);
      }),
      json<RulesRow[]>('GET', `/api/checking/rules?year=${year}`)
        .then((r) => setRules(r ?? []))
        .catch(() => setRules([])),
    ]).catch((err) => setError(failure(err)));
  }, []);
  return (
    <section class="admin">
      <Refusal text={error} />
      <h2>Хранение изображений</h2>
      {retention && (
        <>
          <p>
            К уничтожению сейчас: <b>{retention.due.length}</b> · удерживается после срока:{' '}
            <b class={retention.heldPastDate.length ? 'error' : ''}>{retention.heldPastDate.length}</b> · в
            ближайшие 30 дней: <b>{retention.upcoming.length}</b>
          </p>
          <h3>Запреты на уничтожение</h3>
          {retention.holds.length === 0 ? (
            <p class="muted">Нет.</p>
          ) : (
            <ul>
              {retention.holds.map((h) => (
                <li key={h.id}>
                  {h.objectKey ?? `экзамен ${h.examId}`}: {h.reason} ({h.placedBy})
                </li>
              ))}
            </ul>
          )}
          <h3>Акты уничтожения</h3>
          {retention.acts.length === 0 ? (
            <p class="muted">Нет.</p>
          ) : (
            <ul>
              {retention.acts.map((a) => (
                <li key={a.id}>
                  Акт № {a.id}, {new Date(a.at).toLocaleString('ru-RU')}: объектов {a.objects} (
                  {actorName(a.runBy)})
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <ControlSample rows={control} forms={forms} />
      <Users />
      <RisImport guard={guard} />
      <ExamPicker exams={exams} exam={exam} onPick={setExam} />
      <Results exam={exam} guard={guard} />
      <h2>Формы бланков</h2>
      <ul>
        {forms.map((f) => (
          <li key={f.id}>
            {f.title}{' '}
            <span class="muted">
              ({KIND_NAMES[f.kind] ?? f.kind}, образец {f.edition}, <code>{f.id}</code>)
            </span>
          </li>
        ))}
      </ul>
      <h2>Правила проверки</h2>
      <ul>
        {rules.map((r) => (
          <li key={`${r.exam}-${r.subjectCode}`}>
            {EXAM_KINDS[r.exam] ?? r.exam}, {r.subjectName ?? r.subject} (код {r.subjectCode}): критериев{' '}
            {r.criteria}, максимум {r.maxTotal}
            {r.example && <span class="muted"> (пример, заменить официальными критериями)</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
