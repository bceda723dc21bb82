/**
 * Results out (issue 16 item 3): the layouts as data and the pure writer, table-driven on a small fixture —
 * CSV and XML bytes in UTF-8 and Windows-1251, code tables, marks per part, and a participant who refused
 * processing of personal data written under the code only (order L21, L561-562, L693).
 */
import { describe, expect, it } from 'vitest';
import {
  type ExportLayout,
  type ExportRow,
  loadExportLayouts,
  parseExportLayout,
  participantLabel,
  resultsProtocols,
  writeResults,
} from '../domain/results-export.ts';

const ROW: ExportRow = {
  code: 'W1',
  refused: false,
  surname: 'Ёжикова',
  name: 'Анна',
  patronymic: 'Сергеевна',
  document: '4510 123456',
  examId: '2026-ege-02',
  examKind: 'EGE',
  examForm: 'EGE',
  subjectCode: '02',
  examDate: '2026-06-01',
  ppe: '0101',
  school: '770001',
  variant: '7',
  as1: 3,
  as2: 3,
  primary: 6,
  score: 76,
  scale: 'test-score',
  tasks: [
    { part: 'as2', task: '4', points: 3, max: 3 },
    { part: 'as1', task: '10', points: 2, max: 2 },
    { part: 'as1', task: '2', points: 0, max: 1 },
    { part: 'as1', task: '1', points: 1, max: 1 },
  ],
};
/** Refused: the names the store would never hold are set here to prove the writer drops them anyway. */
const REFUSED: ExportRow = {
  ...ROW,
  code: 'W2',
  refused: true,
  surname: 'Тайная',
  document: '1',
  school: 'A;"B"',
};

const csv = (over: Partial<Extract<ExportLayout, { format: 'csv' }>>): ExportLayout =>
  parseExportLayout(
    {
      example: true,
      year: 2026,
      recipient: 'regional',
      description: 'test',
      format: 'csv',
      encoding: 'utf-8',
      delimiter: ';',
      header: true,
      columns: [
        { name: 'Код', value: 'code' },
        { name: 'Фамилия', value: 'surname' },
        { name: 'Документ', value: 'document' },
        { name: 'Форма', value: 'examKind', codes: { EGE: 'ЕГЭ' } },
        { name: 'ОО', value: 'school' },
        { name: 'Ч1', value: 'marks.as1' },
        { name: 'Ч2', value: 'marks.as2' },
        { name: 'Балл', value: 'score' },
      ],
      ...over,
    },
    'test',
  );

const XML: ExportLayout = parseExportLayout(
  {
    example: true,
    year: 2026,
    recipient: 'federal',
    description: 'test',
    format: 'xml',
    encoding: 'utf-8',
    root: 'Results',
    record: 'P',
    fields: [
      { name: 'Code', value: 'code', as: 'attribute' },
      { name: 'Surname', value: 'surname' },
      { name: 'School', value: 'school' },
      { name: 'Kind', value: 'examKind', codes: { EGE: '1' } },
    ],
    marks: { element: 'M', part: 'part', task: 'n', points: 'p', max: 'max' },
  },
  'test',
);

const CSV_TEXT =
  'Код;Фамилия;Документ;Форма;ОО;Ч1;Ч2;Балл\r\n' +
  'W1;Ёжикова;4510 123456;ЕГЭ;770001;1,0,2;3;76\r\n' +
  'W2;;;ЕГЭ;"A;""B""";1,0,2;3;76\r\n';

const XML_TEXT = (encoding: string) =>
  `<?xml version="1.0" encoding="${encoding}"?>\n<Results>\n` +
  '  <P Code="W1">\n    <Surname>Ёжикова</Surname>\n    <School>770001</School>\n    <Kind>1</Kind>\n' +
  '    <M part="as1" n="1" p="1" max="1"/>\n    <M part="as1" n="2" p="0" max="1"/>\n' +
  '    <M part="as1" n="10" p="2" max="2"/>\n    <M part="as2" n="4" p="3" max="3"/>\n  </P>\n' +
  '  <P Code="W2">\n    <Surname></Surname>\n    <School>A;&quot;B&quot;</School>\n    <Kind>1</Kind>\n' +
  '    <M part="as1" n="1" p="1" max="1"/>\n    <M part="as1" n="2" p="0" max="1"/>\n' +
  '    <M part="as1" n="10" p="2" max="2"/>\n    <M part="as2" n="4" p="3" max="3"/>\n  </P>\n</Results>\n';

describe('results written by a layout', () => {
  it.each([
    ['CSV, UTF-8', csv({}), 'utf-8', CSV_TEXT],
    ['CSV, Windows-1251', csv({ encoding: 'windows-1251' }), 'windows-1251', CSV_TEXT],
    [
      'CSV, no header, tab',
      csv({ header: false, delimiter: '\t' }),
      'utf-8',
      CSV_TEXT.split('\r\n')
        .slice(1)
        .join('\r\n')
        .replaceAll('"A;""B"""', 'A;"B"')
        .replaceAll(';', '\t')
        .replaceAll('A\t"B"', '"A;""B"""'),
    ],
    ['XML, UTF-8', XML, 'utf-8', XML_TEXT('utf-8')],
    [
      'XML, Windows-1251',
      { ...XML, encoding: 'windows-1251' } as ExportLayout,
      'windows-1251',
      XML_TEXT('windows-1251'),
    ],
  ])('%s', (_name, layout, encoding, text) => {
    const written = writeResults(layout, [ROW, REFUSED]);
    if (!written.ok) throw new Error(`not written: ${JSON.stringify(written)}`);
    expect(written.rows).toBe(2);
    expect(new TextDecoder(encoding, { fatal: true }).decode(written.bytes)).toBe(text);
    // Windows-1251 is one byte a character (Ё is 0xA8); UTF-8 takes two for each Cyrillic letter.
    expect(written.bytes.includes(0xa8)).toBe(encoding === 'windows-1251');
    expect(written.bytes.length).toBe(
      encoding === 'utf-8' ? new TextEncoder().encode(text).length : text.length,
    );
    expect(written.mediaType).toContain(encoding);
  });

  it('writes no name or document of a participant who refused (order L21, L561-562, L693)', () => {
    for (const layout of [csv({}), XML]) {
      const written = writeResults(layout, [REFUSED]);
      if (!written.ok) throw new Error('not written');
      const text = new TextDecoder().decode(written.bytes);
      expect(text).toContain('W2');
      expect(text).not.toContain('Тайная');
      expect(text).not.toContain('Сергеевна');
    }
  });

  it('names the row and column a Windows-1251 CSV cannot hold, and in XML refers to the character', () => {
    const odd = { ...ROW, surname: 'Zoë Ŋ' };
    expect(writeResults(csv({ encoding: 'windows-1251' }), [ROW, odd])).toEqual({
      ok: false,
      problem: 'unencodable',
      row: 2,
      field: 'Фамилия',
      char: 'ë',
    });
    const xml = writeResults({ ...XML, encoding: 'windows-1251' } as ExportLayout, [odd]);
    if (!xml.ok) throw new Error('not written');
    expect(new TextDecoder('windows-1251').decode(xml.bytes)).toContain('<Surname>Zo&#235; &#330;</Surname>');
  });

  it('refuses a layout with a field it cannot fill or a name XML cannot hold, naming the key', () => {
    expect(() => csv({ columns: [{ name: 'x', value: 'birthDate' as never }] })).toThrow(/columns.0.value/);
    expect(() => parseExportLayout({ ...XML, record: 'two words' }, 'bad.json')).toThrow(
      /bad.json:\n {2}record: an XML name/,
    );
  });
});

describe('the shipped layouts', () => {
  it('are examples that validate, one per recipient, and write the fixture', () => {
    const layouts = loadExportLayouts(2026);
    expect(layouts.map((l) => [l.name, l.layout.recipient, l.layout.example])).toEqual([
      ['federal', 'federal', true],
      ['publication', 'publication', true],
      ['regional', 'regional', true],
    ]);
    for (const { layout } of layouts) expect(writeResults(layout, [ROW, REFUSED]).ok).toBe(true);
    expect(loadExportLayouts(1999)).toEqual([]);
  });
});

describe('results protocols', () => {
  it('group by exam point or school, unknown last, and name the refused by code only', () => {
    const rows = [{ ...ROW, code: 'W3', ppe: '0102' }, { ...ROW, code: 'W9', ppe: null }, ROW, REFUSED];
    expect(resultsProtocols(rows, 'ppe').map((p) => [p.group, p.rows.map((r) => r.code)])).toEqual([
      ['0101', ['W1', 'W2']],
      ['0102', ['W3']],
      [null, ['W9']],
    ]);
    expect(resultsProtocols(rows, 'school').map((p) => p.group)).toEqual(['770001', 'A;"B"']);
    expect([ROW, REFUSED].map(participantLabel)).toEqual(['Ёжикова А. С.', 'W2']);
  });
});
