/**
 * The scanner operator's station: batches with live progress, the count reconciliation (declared, received,
 * recognised by form kind), rejected pages with the reason and a preview, the works' assembly report
 * (incomplete works, orphan sheets), and the upload of a batch.
 */
import { useEffect, useState } from 'preact/hooks';
import type { BatchReport, BatchRow, UploadAnswer } from '../../contract/intake.ts';
import type { AssemblyReport } from '../../contract/works.ts';
import { blobUrl, failure, json } from './api.ts';
import { KIND_NAMES, say } from './texts.ts';

/** Why a page was rejected (RejectionReason, pipeline/result.ts), in the operator's words. */
const REJECTIONS: Record<string, string> = {
  'unreadable-file': 'файл не читается',
  'empty-file': 'пустой файл',
  'unsupported-format': 'неподдерживаемый формат',
  'corrupt-image': 'повреждённое изображение',
  'too-many-pixels': 'слишком большое изображение',
  'too-many-pages': 'слишком много страниц',
  'too-small': 'слишком маленькое изображение',
  'anchors-not-found': 'не найдены реперные метки',
  'registration-residual': 'бланк искажён: метки не совпадают с формой',
  'page-not-found': 'лист не найден на снимке',
  'wrong-form': 'форма бланка не опознана',
  'ambiguous-form': 'бланк подходит к нескольким формам: укажите форму',
  'internal-error': 'внутренняя ошибка распознавания',
};

const PAGE_STATUS: Record<string, string> = {
  pending: 'в очереди',
  recognised: 'распознано',
  'needs-verification': 'на верификации',
  final: 'готово',
  rejected: 'отклонено',
};

function Preview({ pageId }: { pageId: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let url: string | null = null;
    blobUrl(`/api/pages/${encodeURIComponent(pageId)}/preview`)
      .then((u) => {
        url = u;
        setSrc(u);
      })
      .catch(() => setFailed(true));
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [pageId]);
  if (failed) return <span class="muted">изображение не читается</span>;
  return src ? <img class="preview" src={src} alt="Страница" /> : <span class="muted">…</span>;
}

function Batch({ id }: { id: string }) {
  const [report, setReport] = useState<BatchReport | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState('');
  const load = () => json<BatchReport>('GET', `/api/batches/${encodeURIComponent(id)}`).then(setReport);
  // The operator makes another scan of a sheet the one that stands (and is verified), with a reason.
  const stand = async (sheetNumber: string, pageId: string) => {
    const reason = window.prompt('Почему этот скан должен стать основным?');
    if (!reason) return;
    try {
      await json('POST', `/api/sheets/${sheetNumber}/scan`, { pageId, reason });
      await load();
    } catch (err) {
      setError(failure(err));
    }
  };
  useEffect(() => {
    void load();
    // Live progress while pages are still being recognised.
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, [id]);
  if (!report) return <p class="muted">Загрузка пакета…</p>;
  const r = report.reconciliation;
  const done = r.receivedPages - r.pendingPages;
  return (
    <div class="batch" data-testid="batch">
      <h3>Пакет {id}</h3>
      <progress max={r.receivedPages} value={done} />{' '}
      <span>
        обработано {done} из {r.receivedPages} страниц ({report.files} файлов)
      </span>
      <p>
        {Object.entries(report.pagesByStatus)
          .map(([s, n]) => `${PAGE_STATUS[s] ?? s}: ${n}`)
          .join(' · ')}
      </p>
      <table>
        <thead>
          <tr>
            <th>Вид бланка</th>
            <th>Заявлено</th>
            <th>Распознано</th>
          </tr>
        </thead>
        <tbody>
          {r.byKind.map((k) => (
            <tr key={k.kind} class={k.declared !== k.recognised ? 'mismatch' : ''}>
              <td>{KIND_NAMES[k.kind] ?? k.kind}</td>
              <td>{k.declared}</td>
              <td>{k.recognised}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.notes.length > 0 && (
        <ul class="error">
          {r.notes.map((d) => (
            <li key={say(d)}>{say(d)}</li>
          ))}
        </ul>
      )}
      {error && <p class="error">{error}</p>}
      {report.rescans.length > 0 && (
        <>
          <h4>Повторные сканы</h4>
          <ul class="rescans">
            {report.rescans.map((r) => (
              <li key={r.sheetNumber}>
                бланк {r.sheetNumber}:
                <ul>
                  {r.pages.map((p) => (
                    <li key={p.pageId}>
                      <button
                        type="button"
                        class="link"
                        onClick={() => setShown(shown === p.pageId ? null : p.pageId)}
                      >
                        {p.pageId.slice(0, 10)}…
                      </button>{' '}
                      {PAGE_STATUS[p.status] ?? p.status}
                      {p.standing ? (
                        <b> · основной</b>
                      ) : (
                        <>
                          {' '}
                          <button type="button" onClick={() => stand(r.sheetNumber, p.pageId)}>
                            Сделать основным
                          </button>
                        </>
                      )}
                      {shown === p.pageId && <Preview pageId={p.pageId} />}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      )}
      {report.rejected.length > 0 && (
        <>
          <h4>Отклонённые страницы</h4>
          <ul class="rejected">
            {report.rejected.map((p) => (
              <li key={p.pageId}>
                <button
                  type="button"
                  class="link"
                  onClick={() => setShown(shown === p.pageId ? null : p.pageId)}
                >
                  {p.file}, стр. {p.page}
                </button>
                : {(p.reason && REJECTIONS[p.reason]) ?? p.reason}
                {shown === p.pageId && <Preview pageId={p.pageId} />}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Upload({ onUploaded }: { onUploaded: (batchId: string) => void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const manifest = data.get('manifest');
    const body = new FormData();
    body.append('manifest', manifest instanceof File ? await manifest.text() : String(manifest ?? ''));
    for (const f of data.getAll('pages')) if (f instanceof File) body.append('pages', f, f.name);
    setBusy(true);
    setError('');
    try {
      const answer = await json<UploadAnswer>('POST', '/api/batches', body);
      form.reset();
      onUploaded(answer!.batchId);
    } catch (err) {
      setError(failure(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="upload" onSubmit={submit}>
      <label>
        Паспорт пакета (batch.json){' '}
        <input type="file" name="manifest" accept=".json,application/json" required />
      </label>
      <label>
        Страницы <input type="file" name="pages" multiple required />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Загрузка…' : 'Загрузить пакет'}
      </button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

export function OperatorStation() {
  const [batches, setBatches] = useState<BatchRow[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [assembly, setAssembly] = useState<AssemblyReport | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    json<BatchRow[]>('GET', '/api/batches')
      .then((b) => {
        setBatches(b ?? []);
        setOpen((o) => o ?? b?.[0]?.id ?? null);
      })
      .catch((err) => setError(failure(err)));
  useEffect(() => {
    void load();
  }, []);
  const assemble = async () => {
    try {
      setAssembly(await json<AssemblyReport>('POST', '/api/works/assemble'));
    } catch (err) {
      setError(failure(err));
    }
  };
  const incomplete = assembly?.works.filter((w) => w.status !== 'complete') ?? [];
  return (
    <section class="operator">
      {error && <p class="error">{error}</p>}
      <div class="split">
        <div>
          <h2>Пакеты</h2>
          <table>
            <thead>
              <tr>
                <th>Пакет</th>
                <th>Станция</th>
                <th>Экзамен</th>
                <th>Файлов</th>
              </tr>
            </thead>
            <tbody>
              {batches.map((b) => (
                <tr key={b.id} class={b.id === open ? 'current' : ''} onClick={() => setOpen(b.id)}>
                  <td>
                    <button type="button" class="link">
                      {b.external_id}
                    </button>
                  </td>
                  <td>{b.station}</td>
                  <td>{b.exam_id}</td>
                  <td>{b.files}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Новый пакет</h2>
          <Upload
            onUploaded={(id) => {
              setOpen(id);
              void load();
            }}
          />
        </div>
        <div>{open && <Batch id={open} />}</div>
      </div>
      <h2>Сборка работ</h2>
      <button type="button" onClick={assemble}>
        Собрать работы и показать расхождения
      </button>
      {assembly && (
        <div class="assembly">
          <p>
            Работ: {assembly.works.length}, неполных: {incomplete.length}, бланков без комплекта:{' '}
            {assembly.orphans.length}
          </p>
          <ul>
            {incomplete.map((w) => (
              <li key={w.id}>
                {w.id} (комплект {w.kitId}): {w.reasons.map(say).join('; ')}
              </li>
            ))}
            {assembly.orphans.map((o) => (
              <li key={o.sheetNumber}>
                бланк {o.sheetNumber} ({o.form}) не входит ни в один комплект
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
