/** The chair's view of checking under way: checks by round and status, what is overdue, each expert's figures. */
import type { ExpertStatistics, Progress } from '../../contract/checking.ts';
import { percent } from './texts.ts';

const ROUND_NAMES: Record<string, string> = {
  screening: 'пустые бланки',
  first: 'первая',
  second: 'вторая',
  third: 'третья',
  appeal: 'апелляции',
};
const ROUNDS = Object.keys(ROUND_NAMES);
const STATUS = ['open', 'assigned', 'submitted'];
const STATUS_NAMES: Record<string, string> = {
  open: 'в очереди',
  assigned: 'на руках',
  submitted: 'проверено',
};
const EXPERT_STATUS: Record<string, string> = { leading: 'ведущий', senior: 'старший', main: 'основной' };

/** Checks by round and status, and the overdue ones (each in an expert's hand can go back to the pool). */
export function ProgressTable({
  progress,
  onReturn,
}: {
  progress: Progress | null;
  onReturn: (checkId: number) => void;
}) {
  const count = (round: string, status: string) =>
    progress?.rounds.find((r) => r.round === round && r.status === status)?.checks ?? 0;
  return (
    <>
      <h2>Ход проверки</h2>
      <table data-testid="progress">
        <thead>
          <tr>
            <th>Проверка</th>
            {STATUS.map((s) => (
              <th key={s}>{STATUS_NAMES[s]}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ROUNDS.map((r) => (
            <tr key={r}>
              <td>{ROUND_NAMES[r]}</td>
              {STATUS.map((s) => (
                <td key={s}>{count(r, s)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {progress && progress.overdue.length > 0 && (
        <>
          <h3>Просрочено ({progress.overdue.length})</h3>
          <ul class="overdue">
            {progress.overdue.slice(0, 50).map((o) => (
              <li key={o.checkId}>
                № {o.checkId}: {o.workCode}, {ROUND_NAMES[o.round]} проверка, {o.expertId ?? 'не выдана'},
                срок {o.dueDay}
                {o.expertId && (
                  <>
                    {' '}
                    <button type="button" class="link" onClick={() => onReturn(o.checkId)}>
                      вернуть в очередь
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

/** Each expert's load (from the progress) beside their figures against the standards. */
export function ExpertsTable({ stats, progress }: { stats: ExpertStatistics[]; progress: Progress | null }) {
  return (
    <>
      <h2>Эксперты</h2>
      <table data-testid="experts">
        <thead>
          <tr>
            <th>Эксперт</th>
            <th>Статус</th>
            <th>На руках</th>
            <th>Проверено</th>
            <th>Просрочено</th>
            <th>Согласованность</th>
            <th>Апелляции удовл.</th>
            <th>Эталонные работы</th>
            <th>Статус на след. год</th>
          </tr>
        </thead>
        <tbody>
          {stats.map((s) => {
            const load = progress?.experts.find((e) => e.expertId === s.expertId);
            return (
              <tr key={s.expertId}>
                <td>{s.expertId}</td>
                <td>{EXPERT_STATUS[s.status] ?? s.status}</td>
                <td>{load?.inHand ?? 0}</td>
                <td>{s.checked}</td>
                <td class={load?.overdue ? 'error' : ''}>{load?.overdue ?? 0}</td>
                <td>{percent(s.consistency)}</td>
                <td>{percent(s.upheldAppealShare)}</td>
                <td>{percent(s.referenceAgreement)}</td>
                <td>{s.qualifiesFor ? EXPERT_STATUS[s.qualifiesFor] : 'не проходит'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
