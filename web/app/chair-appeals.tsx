/** Score appeals: a chair registers one on a work and follows them, each with its kit as a PDF. */
import { useEffect, useState } from 'preact/hooks';
import type { Appeal } from '../../contract/checking.ts';
import { download, json } from './api.ts';
import { useConfirm } from './confirm.tsx';
import { Field, type Guard } from './ui.tsx';

export function Appeals({ guard, notify }: { guard: Guard; notify: (notice: string) => void }) {
  const [appeals, setAppeals] = useState<Appeal[]>([]);
  const [appeal, setAppeal] = useState({ workId: '', reason: '' });
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
        <table>
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
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
