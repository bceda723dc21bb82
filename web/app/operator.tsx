/**
 * The scanner operator's station: batches with live progress, the count reconciliation (declared, received,
 * recognised by form kind), rejected pages with the reason and a preview, the works' assembly report
 * (incomplete works, orphan sheets), the upload of a batch with its manifest built in the form, and the
 * import of the printing system's kit manifest.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ExamRow } from '../../contract/admin.ts';
import type { Answer } from '../../contract/endpoint.ts';
import type { BatchReport, BatchRow, UploadAnswer } from '../../contract/intake.ts';
import type { AssemblyReport, importKits } from '../../contract/works.ts';
import { blobUrl, failure, json } from './api.ts';
import { Refusal } from './confirm.tsx';
import { examLabel } from './exams.tsx';
import { KIND_NAMES, say } from './texts.ts';
import { useIsCurrent } from './ui.tsx';

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
  'orientation-unknown': 'не определить, где верх бланка: переверните и отсканируйте заново',
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
  const isCurrent = useIsCurrent(id);
  const load = async () => {
    const found = await json<BatchReport>('GET', `/api/batches/${encodeURIComponent(id)}`);
    if (isCurrent(id)) setReport(found);
  };
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
      <Refusal text={error} />
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

/** The sheet kinds a manifest declares pages of (SheetKindSchema, forms/schema.ts). */
const DECLARED = Object.keys(KIND_NAMES).filter((k) => k !== 'unidentified');

/** Names a batch's id or station may use (BatchManifestSchema, domain/batch.ts). */
const NAME = '[A-Za-z0-9._\\-]{1,100}';

/**
 * A batch uploaded with its manifest built here: the exam picked from the list, the batch's and the
 * station's names, PPE and room, and the pages declared by sheet kind (the room's forms); then the files.
 */
function Upload({ exams, onUploaded }: { exams: ExamRow[]; onUploaded: (batchId: string) => void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const declared = Object.fromEntries(
      DECLARED.filter((k) => text(`declared.${k}`) !== '').map((k) => [k, Number(text(`declared.${k}`))]),
    );
    const manifest = {
      batch: text('batch'),
      station: text('station'),
      exam: text('exam'),
      ...(text('ppe') && { ppe: text('ppe') }),
      ...(text('room') && { room: text('room') }),
      declared,
    };
    const body = new FormData();
    body.append('manifest', JSON.stringify(manifest));
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
    <form class="upload manifest" onSubmit={submit}>
      <label>
        Экзамен
        <select name="exam" required>
          {exams.map((x) => (
            <option key={x.id} value={x.id}>
              {examLabel(x)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Номер пакета
        <input name="batch" required pattern={NAME} title="латинские буквы, цифры, точка, дефис" />
      </label>
      <label>
        Станция сканирования
        <input name="station" required pattern={NAME} title="латинские буквы, цифры, точка, дефис" />
      </label>
      <label>
        Код ППЭ <input name="ppe" maxLength={20} />
      </label>
      <label>
        Аудитория <input name="room" maxLength={20} />
      </label>
      <fieldset>
        <legend>Заявлено страниц по видам бланков</legend>
        {DECLARED.map((k) => (
          <label key={k}>
            {KIND_NAMES[k]}
            <input name={`declared.${k}`} type="number" min={0} max={100000} />
          </label>
        ))}
      </fieldset>
      <label>
        Страницы <input type="file" name="pages" multiple required />
      </label>
      <button type="submit" disabled={busy || exams.length === 0}>
        {busy ? 'Загрузка…' : 'Загрузить пакет'}
      </button>
      <Refusal text={error} />
    </form>
  );
}

/** The printing system's kit manifest (CSV) imported from a file; bad lines are listed, the rest taken. */
function KitsImport() {
  const [result, setResult] = useState<Answer<typeof importKits> | null>(null);
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    const file = new FormData(e.currentTarget as HTMLFormElement).get('kits');
    if (!(file instanceof File)) return;
    setError('');
    try {
      setResult(await json('POST', '/api/kits', new Blob([await file.text()], { type: 'text/csv' })));
    } catch (err) {
      setResult(null);
      setError((err as Error).message);
    }
  };
  return (
    <form class="row" onSubmit={submit}>
      <label>
        Файл комплектов (CSV) <input type="file" name="kits" accept=".csv,text/csv" required />
      </label>
      <button type="submit">Загрузить комплекты</button>
      {result && (
        <p class="notice" role="status">
          Загружено комплектов: {result.kits}
          {result.errors.length > 0 && `, строк с ошибками: ${result.errors.length}`}
        </p>
      )}
      {result && result.errors.length > 0 && (
        <ul class="error">
          {result.errors.map((x) => (
            <li key={x}>{x}</li>
          ))}
        </ul>
      )}
      <Refusal text={error} />
    </form>
  );
}

export function OperatorStation() {
  const [batches, setBatches] = useState<BatchRow[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [assembly, setAssembly] = useState<AssemblyReport | null>(null);
  const [exams, setExams] = useState<ExamRow[]>([]);
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
    json<ExamRow[]>('GET', '/api/exams')
      .then((x) => setExams(x ?? []))
      .catch((err: unknown) => setError(failure(err)));
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
      <Refusal text={error} />
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
            exams={exams}
            onUploaded={(id) => {
              setOpen(id);
              void load();
            }}
          />
        </div>
        <div>{open && <Batch id={open} />}</div>
      </div>
      <h2>Комплекты бланков</h2>
      <KitsImport />
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
