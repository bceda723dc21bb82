/**
 * The regional information system's export, imported by an administrator (issue 16 item 2): the mapping (JSON)
 * and the export's files picked, sent as base64 (a Windows-1251 CSV is bytes, not text); the counts taken, or
 * every row's error in a table, nothing taken.
 */
import { useState } from 'preact/hooks';
import type { Answer } from '../../contract/endpoint.ts';
import type { importRis, RisError } from '../../contract/participants.ts';
import { ApiError, failure, json } from './api.ts';
import { Refusal, useConfirm } from './confirm.tsx';
import { inSentence, risErrorText } from './texts.ts';
import type { Guard } from './ui.tsx';

type Imported = Extract<Answer<typeof importRis>, { imported: true }>;

async function base64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = '';
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function RisImport({ guard }: { guard: Guard }) {
  const [mapping, setMapping] = useState<File | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [imported, setImported] = useState<Imported | null>(null);
  const [errors, setErrors] = useState<RisError[]>([]);
  const [refusal, setRefusal] = useState('');
  const [dialog, ask] = useConfirm();
  const send = () =>
    guard(async () => {
      setImported(null);
      setErrors([]);
      setRefusal('');
      if (!mapping) return;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(await mapping.text()) as Record<string, unknown>;
      } catch {
        setRefusal(`Файл сопоставления ${mapping.name} не читается как JSON`);
        return;
      }
      const sure = await ask(
        `Загрузить из РИС файлов: ${files.length} (сопоставление ${mapping.name})? Участники, ППЭ и комплекты будут записаны в базу; ошибка в любой строке отменит всю загрузку.`,
        'Загрузить',
      );
      if (!sure) return;
      const body = {
        mapping: parsed,
        files: await Promise.all(files.map(async (f) => ({ name: f.name, content: await base64(f) }))),
      };
      try {
        setImported(await json<Imported>('POST', '/api/ris/import', body));
      } catch (err) {
        const answer = err instanceof ApiError ? (err.answer as { errors?: RisError[] }) : {};
        // A mapping that does not fit is refused as a whole, said beside the panel.
        if (answer.errors) setErrors(answer.errors);
        else setRefusal(`Не загружено: ${inSentence(failure(err))}`);
      }
    });
  return (
    <section class="ris" aria-labelledby="ris-heading">
      <h2 id="ris-heading">Загрузка из РИС</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label>
          Сопоставление (JSON){' '}
          <input
            type="file"
            accept=".json,application/json"
            onChange={(e) => setMapping(e.currentTarget.files?.[0] ?? null)}
          />
        </label>
        <label>
          Файлы выгрузки{' '}
          <input type="file" multiple onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])} />
        </label>
        <button type="submit" disabled={!mapping || files.length === 0}>
          Загрузить
        </button>
      </form>
      {dialog}
      <Refusal text={refusal} />
      {imported && (
        <p class="notice" role="status">
          Загружено: ППЭ {imported.ppes}, участников {imported.participants} (из них отказались от обработки
          персональных данных: {imported.refused}), комплектов {imported.kits}.
        </p>
      )}
      {errors.length > 0 && (
        <>
          <p class="error" role="alert">
            Ничего не загружено: ошибок в выгрузке {errors.length}.
          </p>
          <table class="ris-errors">
            <caption>Ошибки по строкам</caption>
            <thead>
              <tr>
                <th>Файл</th>
                <th>Строка</th>
                <th>Столбец или элемент</th>
                <th>Ошибка</th>
              </tr>
            </thead>
            <tbody>
              {errors.map((e, i) => (
                <tr key={`${e.file}-${e.row}-${i}`}>
                  <td>{e.file}</td>
                  <td>{e.row === 0 ? 'весь файл' : e.row}</td>
                  <td>{e.column ?? e.element ?? '—'}</td>
                  <td>{risErrorText(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
