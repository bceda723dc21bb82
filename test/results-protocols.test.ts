/**
 * Results protocols as PDF (issue 16 item 3; GIA-9 protocols are formed on the day the GEK approves the
 * results, road map L446): one protocol per exam point or school, each starting on its own page and
 * continued over as many as it needs, Russian headings, a refused participant named by code only — read back
 * with pdf-lib, the text recovered through each font's ToUnicode map.
 */
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, type PDFRawStream } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { type ExportRow, resultsProtocols } from '../domain/results-export.ts';
import { resultsProtocolsPdf } from '../print/results.ts';

const latin1 = (s: PDFRawStream) => new TextDecoder('latin1').decode(decodePDFRawStream(s).decode());

/** Each page's text lines, as drawn (`<glyphs> Tj` under `/Font size Tf`), mapped back by ToUnicode. */
async function pageTexts(bytes: Uint8Array): Promise<string[][]> {
  const doc = await PDFDocument.load(bytes);
  return doc.getPages().map((page) => {
    const maps = new Map<string, Map<string, string>>();
    for (const [name, ref] of page.node.Resources()!.lookup(PDFName.of('Font'), PDFDict).entries()) {
      const cmap = latin1(doc.context.lookup(ref, PDFDict).lookup(PDFName.of('ToUnicode')) as PDFRawStream);
      const pairs = [...cmap.matchAll(/<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>/g)].map(
        ([, glyph, text]) =>
          [
            glyph!.toUpperCase(),
            String.fromCharCode(...text!.match(/.{4}/g)!.map((h) => Number.parseInt(h, 16))),
          ] as const,
      );
      maps.set(name.toString(), new Map(pairs));
    }
    const contents = page.node.Contents();
    const streams = contents instanceof PDFArray ? contents.asArray() : [contents];
    const ops = streams.map((s) => latin1(doc.context.lookup(s!) as PDFRawStream)).join('\n');
    const lines: string[] = [];
    let font = new Map<string, string>();
    for (const [, name, hex] of ops.matchAll(/(\/[\w-]+) [\d.]+ Tf|<([0-9A-Fa-f]*)> Tj/g)) {
      if (name) font = maps.get(name)!;
      else
        lines.push(
          hex!
            .match(/.{4}/g)
            ?.map((g) => font.get(g.toUpperCase()) ?? '?')
            .join('') ?? '',
        );
    }
    return lines;
  });
}

const row = (code: string, ppe: string | null, over: Partial<ExportRow> = {}): ExportRow => ({
  code,
  refused: false,
  surname: `Иванов${code}`,
  name: 'Пётр',
  patronymic: null,
  document: '4510 000001',
  examId: '2026-ege-02',
  examKind: 'EGE',
  examForm: 'EGE',
  subjectCode: '02',
  examDate: '2026-06-01',
  ppe,
  school: null,
  variant: '7',
  as1: 2,
  as2: 3,
  primary: 5,
  score: 100,
  scale: 'test-score',
  tasks: [
    { part: 'as1', task: '1', points: 1, max: 1 },
    { part: 'as1', task: '2', points: 1, max: 1 },
    { part: 'as2', task: '3', points: 3, max: 3 },
  ],
  ...over,
});

const EXAM = { id: '2026-ege-02', form: 'EGE', subjectCode: '02', date: '2026-06-01' };

describe('results protocols as PDF', () => {
  it('puts each exam point on its own pages, continued, and names a refused participant by code', async () => {
    // 30 participants of PPE 0101 take 60 lines and the total: two pages of 52 lines; then PPE 0102's one.
    const rows = [
      ...Array.from({ length: 30 }, (_, i) => row(`A${String(i).padStart(2, '0')}`, '0101')),
      row('B1', '0102', { refused: true, surname: 'Тайная' }),
    ];
    const texts = await pageTexts(await resultsProtocolsPdf(EXAM, 'ppe', resultsProtocols(rows, 'ppe'), 2));
    expect(texts.map((lines) => lines[0])).toEqual([
      'Протокол результатов ЕГЭ: предмет 02, 01.06.2026, ППЭ 0101',
      'Протокол результатов ЕГЭ: предмет 02, 01.06.2026, ППЭ 0101',
      'Протокол результатов ЕГЭ: предмет 02, 01.06.2026, ППЭ 0102',
    ]);
    expect(texts[0]!.slice(1, 3)).toEqual([
      '1. ИвановA00 П. · работа A00 · вариант 7 · первичный балл 5 · тестовый балл 100',
      '     часть 1: 1,1 · часть 2: 3',
    ]);
    expect(texts[1]!.slice(-3)).toEqual([
      '',
      'Всего участников: 30.',
      'Результаты не завершены и не включены: 2 работ по экзамену.',
    ]);
    expect(texts[2]![1]).toBe('1. B1 · работа B1 · вариант 7 · первичный балл 5 · тестовый балл 100');
    expect(texts.flat().join('\n')).not.toContain('Тайная');
  });

  it('says so when no result is complete', async () => {
    const texts = await pageTexts(await resultsProtocolsPdf(EXAM, 'school', [], 4));
    expect(texts).toEqual([
      [
        'Протокол результатов ЕГЭ: предмет 02, 01.06.2026',
        'Завершённых результатов нет; не завершены: 4 работ.',
      ],
    ]);
  });
});
