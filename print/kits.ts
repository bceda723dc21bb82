/**
 * What is printed and exported: the appeal kit (images of every form of the work, each form's recognition
 * results, the checking protocols, the result) and a chair's batch of works for checking on paper, as a PDF or
 * a ZIP of images (answer sheets 2 only, by work code, redacted as for an expert's screen: nothing of the
 * participant or the sheet). Experts are numbered, never named.
 */

import type { Readable } from 'node:stream';
import type { Appeal } from '../contract/checking.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Adapters } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { type Audience, pageImage } from '../platform/images.ts';
import { as2Pages } from '../works/store.ts';
import { PdfBook } from './pdf.ts';
import { NO_IMAGE, zipStream } from './zip.ts';

const ROLE_TITLES: Record<string, string> = {
  registration: 'Бланк регистрации',
  as1: 'Бланк ответов № 1',
  'as2-1': 'Бланк ответов № 2, лист 1',
  'as2-2': 'Бланк ответов № 2, лист 2',
  'additional-as2': 'Дополнительный бланк ответов № 2',
};

const ROUND_TITLES: Record<string, string> = {
  first: 'первая проверка',
  second: 'вторая проверка',
  third: 'третья проверка',
  appeal: 'перепроверка по апелляции',
  screening: 'проверка пустого бланка',
};

/** Kits print at 6 px/mm (about 150 dpi): legible handwriting, a few hundred KB a page. */
const PRINT_PX_PER_MM = 6;

/** A page as printed and exported: upright through its registration, JPEG; null when it has none. */
export const printImage = (deps: Adapters, forms: FormDefinition[], pageId: string, audience: Audience) =>
  pageImage(deps, forms, pageId, audience, { pxPerMm: PRINT_PX_PER_MM, format: 'jpeg' });

/** What an appeal kit shows, gathered by the checking room. */
export interface AppealKitContent {
  appeal: Appeal;
  /** The work's forms in print order (registration, AS1, AS2 sheets, additional sheets), with their readings. */
  sheets: {
    role: string;
    sheetNumber: string;
    pageId: string;
    fields: { name: string; value: string; finalValue: string | null; status: string }[];
  }[];
  /** The work's submitted checks, in the order they were submitted; experts by their place only. */
  checks: { round: string; scores: Record<string, number> }[];
  result: { total: number; basis: string; scores: Record<string, number> } | null;
}

export async function appealKit(
  deps: Adapters,
  forms: FormDefinition[],
  { appeal, sheets, checks, result }: AppealKitContent,
): Promise<Uint8Array> {
  const book = await PdfBook.create(`Апелляционный комплект ${appeal.id}`);
  book.textPages(`Апелляция № ${appeal.id}`, [
    `Работа: ${appeal.workCode}`,
    `Зарегистрирована: ${appeal.registeredAt.slice(0, 16).replace('T', ' ')} UTC`,
    `Основание: ${appeal.reason}`,
    `Первичный балл до апелляции: ${appeal.totalBefore}`,
    appeal.status === 'decided'
      ? `Решение: ${appeal.outcome === 'upheld' ? 'удовлетворена' : 'отклонена'}, балл ${appeal.totalAfter}`
      : 'Решение: перепроверка не завершена',
  ]);
  for (const sheet of sheets) {
    const title = `${ROLE_TITLES[sheet.role] ?? sheet.role}, № ${sheet.sheetNumber}`;
    const jpeg = await printImage(deps, forms, sheet.pageId, 'appeal-commission');
    if (jpeg) await book.imagePage(jpeg, title);
    else book.textPages(title, ['Изображение недоступно: страница не зарегистрирована.']);
    book.textPages(
      `Результаты распознавания: ${title}`,
      sheet.fields.map(
        (f) =>
          `${f.name}: ${f.finalValue ?? f.value}${f.status === 'corrected' ? `  (распознано «${f.value}», исправлено верификатором)` : ''}`,
      ),
    );
  }
  checks.forEach((c, i) => {
    const lines = Object.entries(c.scores)
      .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
      .map(([criterion, points]) => `${criterion}: ${points}`);
    book.textPages(`Протокол проверки: ${ROUND_TITLES[c.round] ?? c.round}, эксперт ${i + 1}`, lines);
  });
  if (result)
    book.textPages('Результат', [
      `Первичный балл: ${result.total} (${result.basis})`,
      ...Object.entries(result.scores).map(([k, v]) => `${k}: ${v}`),
    ]);
  return book.bytes();
}

/** The answer-sheet-2 pages of these works, checked first: a work without any is refused before anything is made. */
async function worksPages(deps: Adapters, workIds: string[]): Promise<[string, string[]][]> {
  const works: [string, string[]][] = [];
  for (const workId of workIds) {
    const pages = await as2Pages(deps.db, workId);
    if (pages.length === 0) throw new ServiceError('no-such-work', `work ${workId} has no answer sheets 2`);
    works.push([workId, pages]);
  }
  return works;
}

/** The answer sheets 2 of these works, one page each, captioned by work code and page number only. */
export async function worksBatch(
  deps: Adapters,
  forms: FormDefinition[],
  workIds: string[],
): Promise<Uint8Array> {
  const book = await PdfBook.create('Работы для проверки');
  for (const [workId, pages] of await worksPages(deps, workIds)) {
    for (const [i, pageId] of pages.entries()) {
      const title = `Работа ${workId}, страница ${i + 1} из ${pages.length}`;
      const jpeg = await printImage(deps, forms, pageId, 'expert');
      if (jpeg) await book.imagePage(jpeg, title);
      else book.textPages(title, ['Изображение недоступно: страница не зарегистрирована.']);
    }
  }
  return book.bytes();
}

/** The same pages as a ZIP of JPEG images, `WORK/page-NN.jpg`, streamed as they are made. */
export async function worksZip(
  deps: Adapters,
  forms: FormDefinition[],
  workIds: string[],
): Promise<Readable> {
  const works = await worksPages(deps, workIds);
  return zipStream(async (put) => {
    for (const [workId, pages] of works) {
      for (const [i, pageId] of pages.entries()) {
        const name = `${workId}/page-${String(i + 1).padStart(2, '0')}`;
        const jpeg = await printImage(deps, forms, pageId, 'expert');
        await (jpeg ? put(`${name}.jpg`, jpeg) : put(`${name}.txt`, NO_IMAGE));
      }
    }
  });
}
