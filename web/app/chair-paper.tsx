/**
 * Batches for experts and paper: a chair pulls a batch of checks for an expert and prints it as checking
 * protocols, follows the protocols out (voiding a spoiled or rejected one), and downloads works to print.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Protocol, ProtocolStatus, pullChecks } from '../../contract/checking.ts';
import type { Answer } from '../../contract/endpoint.ts';
import { download, json } from './api.ts';
import { shortfallText } from './chair-experts.tsx';
import { Field, type Guard } from './ui.tsx';

const PROTOCOL_STATUS: Record<ProtocolStatus, string> = {
  printed: 'у эксперта',
  scored: 'баллы приняты',
  rejected: 'отклонён',
  void: 'аннулирован',
};

export function Batches({
  guard,
  notify,
  onPulled,
}: {
  guard: Guard;
  notify: (notice: string) => void;
  onPulled: () => Promise<void>;
}) {
  const [pull, setPull] = useState({ expertId: '', count: '20' });
  // The last batch pulled, for printing as checking protocols (paper mode).
  const [pulled, setPulled] = useState<{ expertId: string; checks: number[] } | null>(null);
  // Why the last pull gave fewer checks than asked, in the chair's words.
  const [shortfall, setShortfall] = useState<string[]>([]);
  const [protocols, setProtocols] = useState<Protocol[]>([]);
  const loadProtocols = async () =>
    setProtocols((await json<Protocol[]>('GET', '/api/checking/protocols')) ?? []);
  useEffect(() => {
    void guard(loadProtocols);
  }, []);
  // A spoiled or rejected protocol is voided so its checks can be printed again.
  const voidProtocol = (sheetNumber: string) =>
    guard(async () => {
      const reason = window.prompt(`Почему бланк-протокол ${sheetNumber} аннулируется?`);
      if (!reason) return;
      await json('POST', `/api/checking/protocols/${sheetNumber}/void`, { reason });
      await loadProtocols();
    });

  return (
    <>
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
            notify(`Эксперту ${pull.expertId} выдано проверок: ${r?.checks.length ?? 0}`);
            setPulled(r?.checks.length ? { expertId: pull.expertId, checks: r.checks } : null);
            setShortfall((r?.shortfall ?? []).map(shortfallText));
            await onPulled();
          });
        }}
      >
        <Field
          label="Эксперт"
          list="expert-users"
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

      {shortfall.length > 0 && (
        <div class="warning" data-testid="shortfall">
          Выдано меньше, чем запрошено:
          <ul>
            {shortfall.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ul>
        </div>
      )}

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
    </>
  );
}

/** Works by code, downloaded as one PDF or a ZIP of images, to check on paper. */
export function WorksDownload({ guard }: { guard: Guard }) {
  const [works, setWorks] = useState('');
  const workIds = works
    .split(/[\s,;]+/)
    .map((w) => w.trim())
    .filter(Boolean);
  return (
    <>
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
    </>
  );
}
