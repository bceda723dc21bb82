/**
 * Results out on paper and for publication (issue 16 item 3): the results protocols of an exam, one per exam
 * point or school, as PDF (Russian headings, DejaVu Sans through `PdfBook`), and the publication package, a
 * ZIP with each participant's answer-sheet images and results file (road map L407: images and results on the
 * results service within 2 calendar days of approval). A participant who refused processing of personal data
 * is named by code only.
 */
import type { Readable } from 'node:stream';
import {
  type ExportLayout,
  type ExportRow,
  type ProtocolGrouping,
  participantLabel,
  type ResultsProtocol,
  type Written,
  writeResults,
} from '../domain/results-export.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Adapters } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { printImage } from './kits.ts';
import { PdfBook } from './pdf.ts';
import { NO_IMAGE, zipStream } from './zip.ts';

const EXAM_TITLES: Record<string, string> = {
  EGE: 'ЕГЭ',
  OGE: 'ОГЭ',
  GVE: 'ГВЭ',
  'GVE-9': 'ГВЭ-9',
  'GVE-11': 'ГВЭ-11',
};
const GROUP_TITLES: Record<ProtocolGrouping, [string, string]> = {
  ppe: ['ППЭ', 'ППЭ не указан'],
  school: ['образовательная организация', 'образовательная организация не указана'],
};

export interface ProtocolExam {
  id: string;
  /** EGE, OGE, GVE-9 or GVE-11 (GVE where the grade is not known). */
  form: string;
  subjectCode: string;
  date: string;
}

const marks = (row: ExportRow, part: 'as1' | 'as2') =>
  row.tasks
    .filter((t) => t.part === part)
    .map((t) => t.points)
    .join(',');

/**
 * Two lines per participant: who, the work, the variant, the primary and final scores; then each part's
 * marks in task order (a line of their own, so a long part 1 is not cut off the page).
 */
function protocolLines(row: ExportRow, i: number): string[] {
  const score = row.scale === 'mark' ? `отметка ${row.score}` : `тестовый балл ${row.score}`;
  return [
    `${i + 1}. ${participantLabel(row)} · работа ${row.code} · вариант ${row.variant ?? '—'} · ` +
      `первичный балл ${row.primary} · ${score}`,
    `     часть 1: ${marks(row, 'as1') || '—'} · часть 2: ${marks(row, 'as2') || '—'}`,
  ];
}

/** The protocols of an exam's results, each group on its own pages; `withheld` incomplete results noted. */
export async function resultsProtocolsPdf(
  exam: ProtocolExam,
  by: ProtocolGrouping,
  protocols: ResultsProtocol[],
  withheld: number,
): Promise<Uint8Array> {
  const kind = EXAM_TITLES[exam.form] ?? exam.form;
  const date = exam.date.split('-').reverse().join('.');
  const book = await PdfBook.create(`Протоколы результатов ${kind}, предмет ${exam.subjectCode}, ${date}`);
  const [title, unknown] = GROUP_TITLES[by];
  for (const p of protocols)
    book.textPages(
      `Протокол результатов ${kind}: предмет ${exam.subjectCode}, ${date}, ${p.group === null ? unknown : `${title} ${p.group}`}`,
      [
        ...p.rows.flatMap(protocolLines),
        '',
        `Всего участников: ${p.rows.length}.`,
        ...(withheld > 0 ? [`Результаты не завершены и не включены: ${withheld} работ по экзамену.`] : []),
      ],
    );
  if (protocols.length === 0)
    book.textPages(`Протокол результатов ${kind}: предмет ${exam.subjectCode}, ${date}`, [
      `Завершённых результатов нет; не завершены: ${withheld} работ.`,
    ]);
  return book.bytes();
}

/**
 * The publication package of an exam: `CODE/results.EXT` (the participant's result by the publication
 * layout) and `CODE/as1.jpg`, `CODE/as2-1.jpg`…, streamed as the images are made. Each results file is
 * written before anything is streamed, so a layout that cannot hold a row refuses the whole package.
 */
export function publicationZip(
  deps: Adapters,
  forms: FormDefinition[],
  layout: ExportLayout,
  rows: ExportRow[],
  sheets: { workId: string; name: string; pageId: string }[],
): Readable {
  const files = rows.map((row) => {
    const written = writeResults(layout, [row]);
    if (!written.ok)
      throw new ServiceError('unencodable', `work ${row.code}: ${written.field} holds "${written.char}"`);
    return [row.code, written] as [string, Written];
  });
  return zipStream(async (put) => {
    for (const [code, written] of files) {
      await put(`${code}/results.${written.extension}`, written.bytes);
      for (const sheet of sheets.filter((s) => s.workId === code)) {
        const jpeg = await printImage(deps, forms, sheet.pageId, 'publication');
        await (jpeg ? put(`${code}/${sheet.name}.jpg`, jpeg) : put(`${code}/${sheet.name}.txt`, NO_IMAGE));
      }
    }
  });
}
