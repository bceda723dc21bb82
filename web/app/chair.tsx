/**
 * The subject-commission chair's dashboard: progress by check round, overdue works, each expert's load and
 * figures against the standards, pulling a batch for an expert, and downloads (a batch of works as PDF or
 * ZIP, appeal kits).
 */
import { useEffect, useState } from 'preact/hooks';
import type {
  Appeal,
  assignChecks,
  ExpertStatistics,
  Progress,
  Protocol,
  ProtocolStatus,
  pullChecks,
} from '../../contract/checking.ts';
import type { Answer } from '../../contract/endpoint.ts';
import { ApiError, download, json } from './api.ts';
import { Field } from './ui.tsx';

interface Exam {
  id: string;
  kind: string;
  subjectCode: string;
  date: string;
  processingDeadline: string | null;
}
const PROTOCOL_STATUS: Record<ProtocolStatus, string> = {
  printed: 'у эксперта',
  scored: 'баллы приняты',
  rejected: 'отклонён',
  void: 'аннулирован',
};
const ROUNDS = ['screening', 'first', 'second', 'third', 'appeal'];
const ROUND_NAMES: Record<string, string> = {
  screening: 'пустые бланки',
  first: 'первая',
  second: 'вторая',
  third: 'третья',
  appeal: 'апелляции',
};
const STATUS = ['open', 'assigned', 'submitted'];
const STATUS_NAMES: Record<string, string> = {
  open: 'в очереди',
  assigned: 'на руках',
  submitted: 'проверено',
};
const EXPERT_STATUS: Record<string, string> = { leading: 'ведущий', senior: 'старший', main: 'основной' };
const share = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

function Failure({ error }: { error: string }) {
  return error ? <p class="error">{error}</p> : null;
}

export function ChairStation() {
  const [exams, setExams] = useState<Exam[]>([]);
  const [exam, setExam] = useState<Exam | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [stats, setStats] = useState<ExpertStatistics[]>([]);
  const [appeals, setAppeals] = useState<Appeal[]>([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [pull, setPull] = useState({ expertId: '', count: '20' });
  // The last batch pulled, for printing as checking protocols (paper mode).
  const [pulled, setPulled] = useState<{ expertId: string; checks: number[] } | null>(null);
  const [appeal, setAppeal] = useState({ workId: '', reason: '' });
  const [protocols, setProtocols] = useState<Protocol[]>([]);
  const loadProtocols = async () =>
    setProtocols((await json<Protocol[]>('GET', '/api/checking/protocols')) ?? []);
  // A spoiled or rejected protocol is voided so its checks can be printed again.
  const voidProtocol = (sheetNumber: string) =>
    guard(async () => {
      const reason = window.prompt(`Почему бланк-протокол ${sheetNumber} аннулируется?`);
      if (!reason) return;
      await json('POST', `/api/checking/protocols/${sheetNumber}/void`, { reason });
      await loadProtocols();
    });
  const [works, setWorks] = useState('');

  const guard = async (f: () => Promise<void>) => {
    setError('');
    try {
      await f();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  useEffect(() => {
    void guard(async () => {
      const list = (await json<Exam[]>('GET', '/api/exams')) ?? [];
      setExams(list);
      setExam(list[0] ?? null);
      setAppeals((await json<Appeal[]>('GET', '/api/appeals')) ?? []);
      await loadProtocols();
    });
  }, []);
  const refresh = () =>
    guard(async () => {
      if (!exam) return;
      setProgress(await json<Progress>('GET', `/api/checking/progress?exam=${encodeURIComponent(exam.id)}`));
      const year = exam.date.slice(0, 4);
      setStats(
        (await json<ExpertStatistics[]>(
          'GET',
          `/api/checking/statistics?year=${year}&subject=${exam.subjectCode}&kind=${exam.kind}`,
        )) ?? [],
      );
    });
  useEffect(() => {
    void refresh();
  }, [exam?.id]);

  // Hands a check to another expert (within the rules of a pull), or back to the pool with null.
  const reassign = (checkId: number, expertId: string | null) =>
    guard(async () => {
      const r = await json<Answer<typeof assignChecks>>('POST', '/api/checking/assign', {
        checkIds: [checkId],
        expertId,
      });
      setNotice(
        r?.refused.length
          ? `Проверка № ${checkId}: ${r.refused[0]!.reason}`
          : `Проверка № ${checkId} ${expertId ? `передана эксперту ${expertId}` : 'возвращена в очередь'}`,
      );
      await refresh();
    });
  const [handOver, setHandOver] = useState({ checkId: '', expertId: '' });
  const count = (round: string, status: string) =>
    progress?.rounds.find((r) => r.round === round && r.status === status)?.checks ?? 0;
  const workIds = works
    .split(/[\s,;]+/)
    .map((w) => w.trim())
    .filter(Boolean);

  return (
    <section class="chair">
      <label class="exam">
        Экзамен{' '}
        <select
          value={exam?.id ?? ''}
          onChange={(e) => setExam(exams.find((x) => x.id === e.currentTarget.value) ?? null)}
        >
          {exams.map((x) => (
            <option key={x.id} value={x.id}>
              {x.id} ({x.date}
              {x.processingDeadline ? `, обработать до ${x.processingDeadline}` : ''})
            </option>
          ))}
        </select>
      </label>
      <Failure error={error} />
      {notice && <p class="notice">{notice}</p>}

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
                    <button type="button" class="link" onClick={() => reassign(o.checkId, null)}>
                      вернуть в очередь
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}

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
                <td>{share(s.consistency)}</td>
                <td>{share(s.upheldAppealShare)}</td>
                <td>{share(s.referenceAgreement)}</td>
                <td>{s.qualifiesFor ? EXPERT_STATUS[s.qualifiesFor] : 'не проходит'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h2>Выдать пакет работ</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void guard(async () => {
            const r = await json<Answer<typeof pullChecks>>('POST', '/api/checking/pull', {
              expertId: pull.expertId,
              count: Number(pull.count),
            });
            setNotice(`Эксперту ${pull.expertId} выдано проверок: ${r?.checks.length ?? 0}`);
            setPulled(r?.checks.length ? { expertId: pull.expertId, checks: r.checks } : null);
            await refresh();
          });
        }}
      >
        <Field
          label="Эксперт"
          value={pull.expertId}
          onChange={(expertId) => setPull({ ...pull, expertId })}
        />
        <input
          aria-label="Количество"
          type="number"
          min={1}
          max={500}
          value={pull.count}
          onInput={(e) => setPull({ ...pull, count: e.currentTarget.value })}
        />
        <button type="submit" disabled={!pull.expertId}>
          Выдать
        </button>
      </form>

      {pulled && (
        <p>
          Проверки № {pulled.checks.join(', ')} у эксперта {pulled.expertId}.{' '}
          <button
            type="button"
            onClick={() =>
              guard(async () => {
                await download('/api/checking/protocols', 'protocols.pdf', {
                  expertId: pulled.expertId,
                  checkIds: pulled.checks,
                });
                await loadProtocols();
              })
            }
          >
            Напечатать бланки-протоколы
          </button>
        </p>
      )}

      {protocols.length > 0 && (
        <>
          <h3>Бланки-протоколы</h3>
          <table data-testid="protocols">
            <thead>
              <tr>
                <th>Номер</th>
                <th>Эксперт</th>
                <th>Проверок</th>
                <th>Состояние</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {protocols.map((p) => (
                <tr key={p.sheetNumber}>
                  <td>{p.sheetNumber}</td>
                  <td>{p.expertId}</td>
                  <td>{p.checks}</td>
                  <td class={p.status === 'rejected' ? 'error' : ''}>
                    {PROTOCOL_STATUS[p.status]}
                    {p.reason && `: ${p.reason}`}
                  </td>
                  <td>
                    {(p.status === 'printed' || p.status === 'rejected') && (
                      <button type="button" class="link" onClick={() => voidProtocol(p.sheetNumber)}>
                        аннулировать
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2>Передать проверку</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void reassign(Number(handOver.checkId), handOver.expertId.trim() || null);
        }}
      >
        <Field
          label="№ проверки"
          value={handOver.checkId}
          onChange={(checkId) => setHandOver({ ...handOver, checkId })}
        />
        <Field
          label="Эксперт (пусто: в очередь)"
          value={handOver.expertId}
          onChange={(expertId) => setHandOver({ ...handOver, expertId })}
        />
        <button type="submit" disabled={!/^\d+$/.test(handOver.checkId)}>
          Передать
        </button>
      </form>

      <h2>Работы для печати</h2>
      <div class="row">
        <Field label="Коды работ" title="через запятую или пробел" value={works} onChange={setWorks} />
        {(['pdf', 'zip'] as const).map((kind) => (
          <button
            key={kind}
            type="button"
            disabled={workIds.length === 0}
            onClick={() => guard(() => download(`/api/checking/batch-${kind}`, `works.${kind}`, { workIds }))}
          >
            Скачать {kind.toUpperCase()}
          </button>
        ))}
      </div>

      <h2>Апелляции</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void guard(async () => {
            await json('POST', '/api/appeals', appeal);
            setNotice(`Апелляция по работе ${appeal.workId} зарегистрирована`);
            setAppeal({ workId: '', reason: '' });
            setAppeals((await json<Appeal[]>('GET', '/api/appeals')) ?? []);
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
    </section>
  );
}
