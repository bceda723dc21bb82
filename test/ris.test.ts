/**
 * Reading the regional information system's exports (issue 16.2): a mapping as data places our fields in CSV
 * columns or XML elements and attributes, converts dates and codes, and every row is checked; one bad row
 * anywhere refuses the import with every error listed. Participants who refused processing of personal data
 * (order L21, L561-562, L693) are read under their code only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  csvRecords,
  type FileMapping,
  parseMapping,
  type RisFacts,
  type RisFile,
  type RisMapping,
  readRisFiles,
  validateRis,
} from '../domain/ris.ts';
import { parseXml, XmlError } from '../domain/xml.ts';
import { ean13CheckDigitValid } from '../pipeline/barcodes.ts';

const root = new URL('..', import.meta.url);
const example = parseMapping(
  JSON.parse(readFileSync(new URL('calibration/regional/2026/38-ege.json', root), 'utf8')),
);
const sample = (name: string): RisFile => ({
  name,
  bytes: readFileSync(new URL(`samples/regional/${name}`, root)),
});
const SAMPLES = ['ppe-38.csv', 'participants-38.xml', 'kits-38.csv'].map(sample);

const facts = (more: Partial<RisFacts> = {}): RisFacts => ({
  exams: new Set(['2026-ege-02']),
  ppes: new Set(),
  participants: new Set(),
  kitOfSheet: new Map(),
  sheetNumberValid: ean13CheckDigitValid,
  ...more,
});

/** Windows-1251 bytes of a text (every character must have one). */
function cp1251(text: string): Uint8Array {
  const table = new Map<string, number>();
  const decoder = new TextDecoder('windows-1251');
  for (let b = 0; b < 256; b++) table.set(decoder.decode(Uint8Array.of(b)), b);
  return Uint8Array.from([...text].map((ch) => table.get(ch)!));
}
const utf8 = (text: string) => new TextEncoder().encode(text);

const run = (mapping: RisMapping, files: RisFile[], f = facts()) =>
  validateRis(readRisFiles(mapping, files), f);

/** The example mapping with one source changed (the others as shipped). */
const withSource = (kind: FileMapping['kind'], change: Partial<FileMapping>): RisMapping => ({
  ...example,
  files: example.files.map((f) => (f.kind === kind ? ({ ...f, ...change } as FileMapping) : f)),
});

describe('the example mapping and sample export', () => {
  it('is marked as an example and reads the three sample files into records', () => {
    expect(example.example).toBe(true);
    const result = run(example, SAMPLES);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.records.ppes).toEqual([
      { code: '0101', name: 'МБОУ "Лицей № 1"', address: 'г. Иркутск, ул. Ленина, 1' },
      { code: '0102', name: 'МБОУ СОШ № 2', address: 'г. Иркутск, ул. Карла Маркса, 2' },
    ]);
    expect(result.records.participants[0]).toEqual({
      code: 'P0001',
      exam: '2026-ege-02',
      ppe: '0101',
      school: '3800101',
      person: {
        surname: 'Иванова',
        name: 'Мария',
        patronymic: 'Петровна',
        documentSeries: '2510',
        documentNumber: '123456',
        birthDate: '2008-05-12',
      },
    });
    expect(result.records.participants[1]!.person!.patronymic).toBeNull();
    // Order L21, L561-562, L693: the refused participant is a code, an exam, an exam point and a school.
    expect(result.records.participants[2]).toEqual({
      code: 'P0003',
      exam: '2026-ege-02',
      ppe: '0102',
      school: '3800102',
      person: null,
    });
    expect(result.records.kits.map((k) => [k.id, k.participant, k.sheets.registration])).toEqual([
      ['K1', 'P0001', '8261000000014'],
      ['K2', 'P0002', '8261000000021'],
      ['K3', 'P0003', '8261000000038'],
    ]);
  });
});

describe('CSV in either encoding', () => {
  const text =
    'Код ППЭ;Наименование;Адрес\r\n0101;"Школа; ""Лицей"" №1";\r\n0102;Гимназия № 2;ул. Ленина\r\n';
  it.each([
    ['UTF-8', 'utf-8', utf8(text)],
    ['UTF-8 with a BOM', 'utf-8', utf8(`\uFEFF${text}`)],
    ['Windows-1251', 'windows-1251', cp1251(text)],
  ] as const)('%s reads the same records', (_what, encoding, bytes) => {
    const result = run(withSource('ppes', { encoding }), [{ name: 'ppe.csv', bytes }]);
    expect(result).toEqual({
      ok: true,
      records: {
        ppes: [
          { code: '0101', name: 'Школа; "Лицей" №1', address: null },
          { code: '0102', name: 'Гимназия № 2', address: 'ул. Ленина' },
        ],
        participants: [],
        kits: [],
      },
    });
  });

  it('refuses Windows-1251 bytes read as UTF-8 rather than guess', () => {
    const result = run(withSource('ppes', { encoding: 'utf-8' }), [{ name: 'ppe.csv', bytes: cp1251(text) }]);
    expect(result).toEqual({
      ok: false,
      errors: [{ file: 'ppe.csv', row: 0, code: 'bad-encoding', params: { encoding: 'utf-8' } }],
    });
  });

  it('reads columns by position in a file without a header', () => {
    const mapping = withSource('ppes', {
      encoding: 'utf-8',
      header: false,
      fields: { code: { column: 2 }, name: { column: 1 } },
    } as Partial<FileMapping>);
    const result = run(mapping, [{ name: 'ppe.csv', bytes: utf8('Лицей;0101\nГимназия;0102\n') }]);
    expect(result.ok && result.records.ppes.map((p) => p.code)).toEqual(['0101', '0102']);
  });

  it('counts lines inside quoted cells, so an error names the line a row starts on', () => {
    expect(csvRecords('a,b\n"x\ny",1\n\nz,2', ',').map((r) => r.line)).toEqual([1, 2, 5]);
  });
});

describe('XML', () => {
  const xml = (body: string, prolog = '<?xml version="1.0" encoding="UTF-8"?>') =>
    utf8(`${prolog}\n<Participants>\n${body}\n</Participants>\n`);
  const participant = (id: string, inner: string) =>
    `<Participant ParticipantID="${id}"><Exam SubjectCode="02"/><PPE>0101</PPE>${inner}</Participant>`;
  const person =
    '<PDRefused>Нет</PDRefused><Surname>Орлова &amp; Ко</Surname><Name><![CDATA[Ия <Ия>]]></Name>' +
    '<Document Number="000111"/><BirthDay>01.02.2008</BirthDay>';
  const ppes = new Set(['0101']);

  it('reads attributes, elements, entities and CDATA', () => {
    const result = run(
      example,
      [{ name: 'participants.xml', bytes: xml(participant('A1', person)) }],
      facts({ ppes }),
    );
    expect(result.ok && result.records.participants[0]!.person).toEqual({
      surname: 'Орлова & Ко',
      name: 'Ия <Ия>',
      patronymic: null,
      documentSeries: null,
      documentNumber: '000111',
      birthDate: '2008-02-01',
    });
  });

  it.each([
    ['unclosed element', '<Participant ParticipantID="A1"><PPE>0101</Participant>', 3, /closes <PPE>/],
    ['a DOCTYPE', '', 1, /DOCTYPE/],
    ['a bare ampersand', '<Participant ParticipantID="A&B"/>', 3, /bare &/],
  ])('refuses %s with its line', (what, body, line, reason) => {
    const bytes =
      what === 'a DOCTYPE' ? utf8('<!DOCTYPE x [<!ENTITY a "b">]><Participants/>') : xml(body).slice(0);
    const result = run(example, [{ name: 'participants.xml', bytes }], facts({ ppes }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      file: 'participants.xml',
      row: what === 'a DOCTYPE' ? 1 : line,
    });
    expect(result.errors[0]!.code).toBe('bad-xml');
    expect(String(result.errors[0]!.params.reason)).toMatch(reason);
  });

  it('refuses a file whose declaration names another encoding than the mapping', () => {
    const result = run(
      example,
      [{ name: 'participants.xml', bytes: xml('', '<?xml version="1.0" encoding="windows-1251"?>') }],
      facts({ ppes }),
    );
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['bad-encoding']);
  });

  it('names the line of an element', () => {
    expect(() => parseXml('<a>\n<b>\n</a>')).toThrow(XmlError);
    expect(parseXml('<a>\n\n<b x="1"/></a>').children[0]!.line).toBe(3);
  });
});

describe('row-level errors: one bad row anywhere refuses the import, every error listed', () => {
  const header =
    'Комплект;Предмет;Участник;Бланк регистрации;Бланк ответов 1;Бланк ответов 2 лист 1;Бланк ответов 2 лист 2';
  const sheets = (k: number) =>
    ['8261', '8262', '8263', '8264']
      .map((p) => `${p}0000000${k}`)
      .map((s) => {
        // The valid check digit for each 12-digit stem.
        for (let d = 0; d < 10; d++) if (ean13CheckDigitValid(`${s}${d}`)) return `${s}${d}`;
        return s;
      });
  const kit = (id: string, participant: string, k: number, exam = '02') =>
    [id, exam, participant, ...sheets(k)].join(';');
  const kits = (...rows: string[]): RisFile => ({
    name: 'kits.csv',
    bytes: utf8([header, ...rows].join('\n')),
  });
  const participants = (body: string): RisFile => ({
    name: 'participants.xml',
    bytes: utf8(`<Participants>\n${body}\n</Participants>`),
  });
  const p = (id: string, inner: string, ppe = '0101') =>
    `<Participant ParticipantID="${id}"><Exam SubjectCode="02"/><PPE>${ppe}</PPE>${inner}</Participant>`;
  const ok = '<PDRefused>Нет</PDRefused><Surname>Ким</Surname><Name>Ли</Name><Document Number="1"/>';
  const known = facts({ ppes: new Set(['0101']) });

  it.each([
    [
      'a required field empty',
      [participants(p('A1', '<PDRefused>Нет</PDRefused><Surname>Ким</Surname><Document Number="1"/>'))],
      [{ row: 2, element: 'Participant[1]', column: 'Name', field: 'name', code: 'required', params: {} }],
    ],
    [
      'a date in another layout (and no personal value quoted)',
      [participants(p('A1', `${ok}<BirthDay>2008-02-01</BirthDay>`))],
      [{ column: 'BirthDay', field: 'birthDate', code: 'bad-date', params: { layout: 'DD.MM.YYYY' } }],
    ],
    [
      'a day that does not exist',
      [participants(p('A1', `${ok}<BirthDay>30.02.2008</BirthDay>`))],
      [{ field: 'birthDate', code: 'bad-date' }],
    ],
    [
      'a value not in the code table',
      [participants(p('A1', ok.replace('Нет', 'Может быть')))],
      [{ column: 'PDRefused', field: 'refused', code: 'unknown-code', params: { value: 'Может быть' } }],
    ],
    [
      'an exam point that exists nowhere',
      [participants(p('A1', ok, '0999'))],
      [{ column: 'PPE', field: 'ppe', code: 'unknown-ppe', params: { value: '0999' } }],
    ],
    [
      'a participant twice',
      [participants(`${p('A1', ok)}\n${p('A1', ok)}`)],
      [
        {
          row: 3,
          element: 'Participant[2]',
          field: 'code',
          code: 'duplicate',
          params: { value: 'A1', firstFile: 'participants.xml', firstRow: 2 },
        },
      ],
    ],
    [
      'a kit whose participant exists nowhere',
      [kits(kit('K1', 'A9', 1))],
      [{ file: 'kits.csv', row: 2, column: 'Участник', field: 'participant', code: 'unknown-participant' }],
    ],
    [
      'a sheet number with a wrong check digit',
      [participants(p('A1', ok)), kits(kit('K1', 'A1', 1).replace(/;(\d{12})\d;/, ';$10;'))],
      [{ row: 2, column: 'Бланк регистрации', field: 'registration', code: 'bad-format' }],
    ],
    [
      'a sheet in two kits',
      [participants(p('A1', ok) + p('A2', ok)), kits(kit('K1', 'A1', 1), kit('K2', 'A2', 1))],
      [
        { row: 3, field: 'registration', code: 'duplicate' },
        { row: 3, field: 'as1', code: 'duplicate' },
        { row: 3, field: 'as2-1', code: 'duplicate' },
        { row: 3, field: 'as2-2', code: 'duplicate' },
      ],
    ],
    [
      'a row with a cell too many',
      [participants(p('A1', ok)), kits(kit('K1', 'A1', 1), `${kit('K2', 'A1', 2)};x`)],
      [{ file: 'kits.csv', row: 3, code: 'wrong-cell-count', params: { expected: 7, found: 8 } }],
    ],
    [
      'a column the mapping names missing from the header',
      [{ name: 'kits.csv', bytes: utf8('Комплект;Предмет\nK1;02') }],
      [
        { row: 1, column: 'Участник', code: 'missing-column' },
        { row: 1, column: 'Бланк регистрации', code: 'missing-column' },
        { row: 1, column: 'Бланк ответов 1', code: 'missing-column' },
        { row: 1, column: 'Бланк ответов 2 лист 1', code: 'missing-column' },
        { row: 1, column: 'Бланк ответов 2 лист 2', code: 'missing-column' },
      ],
    ],
    [
      'a file no source matches',
      [{ name: 'other.txt', bytes: utf8('x') }],
      [{ row: 0, code: 'unmatched-file', params: { sources: 'ppe*.csv, participants*.xml, kits*.csv' } }],
    ],
  ])('%s', (_what, files, expected) => {
    const result = run(example, files, known);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual(expected.map((e) => expect.objectContaining(e)));
  });

  it('refers participants and kits to registered exams only', () => {
    const result = run(example, SAMPLES, facts({ exams: new Set(), ppes: new Set(['0101', '0102']) }));
    expect(
      result.ok ? [] : result.errors.map((e) => `${e.file.split('-')[0]}:${e.row} ${e.field} ${e.code}`),
    ).toEqual([
      'kits:2 exam unknown-exam',
      'kits:3 exam unknown-exam',
      'kits:4 exam unknown-exam',
      'participants:4 exam unknown-exam',
      'participants:15 exam unknown-exam',
      'participants:26 exam unknown-exam',
    ]);
  });

  it('lists the errors of every file and every row, the good rows taking nothing in', () => {
    const result = run(
      example,
      [
        participants([p('A1', ok), p('A2', ok, '0777'), p('A3', ok.replace('Ким', ''))].join('\n')),
        kits(kit('K1', 'A1', 1), kit('K2', 'B7', 2), kit('K3', 'A1', 3, '99')),
      ],
      known,
    );
    expect(result.ok ? [] : result.errors.map((e) => `${e.file}:${e.row} ${e.field} ${e.code}`)).toEqual([
      'kits.csv:3 participant unknown-participant',
      'kits.csv:4 exam unknown-code',
      'participants.xml:3 ppe unknown-ppe',
      'participants.xml:4 surname required',
    ]);
  });
});

describe('participants who refused processing of personal data (order L21, L561-562, L693)', () => {
  const refused = (inner: string) =>
    utf8(
      `<Participants><Participant ParticipantID="R1"><Exam SubjectCode="02"/><PPE>0101</PPE>` +
        `<PDRefused>Да</PDRefused>${inner}</Participant></Participants>`,
    );
  const known = facts({ ppes: new Set(['0101']) });

  it('are read without their personal fields, however those are filled, even unreadable', () => {
    const result = run(
      example,
      [
        {
          name: 'participants.xml',
          bytes: refused('<Surname>Тайная</Surname><BirthDay>99.99.9999</BirthDay>'),
        },
      ],
      known,
    );
    expect(result).toEqual({
      ok: true,
      records: {
        ppes: [],
        participants: [{ code: 'R1', exam: '2026-ege-02', ppe: '0101', school: null, person: null }],
        kits: [],
      },
    });
  });

  it('need no name or document', () => {
    expect(run(example, [{ name: 'participants.xml', bytes: refused('') }], known).ok).toBe(true);
  });

  it('never have a personal value quoted in an error, nor has anyone', () => {
    const bad = utf8(
      '<Participants><Participant ParticipantID="A1"><Exam SubjectCode="02"/><PPE>0101</PPE>' +
        '<PDRefused>Нет</PDRefused><Surname>Тайная</Surname><Name>Ирина</Name>' +
        '<Document Series="!!" Number="12 34 56 78 90 12 34"/><BirthDay>1 мая</BirthDay></Participant></Participants>',
    );
    const result = run(example, [{ name: 'participants.xml', bytes: bad }], known);
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual([
      'documentSeries',
      'documentNumber',
      'birthDate',
    ]);
    expect(JSON.stringify(result)).not.toMatch(/!!|12 34|1 мая|Тайная|Ирина/);
  });
});

describe('a mapping', () => {
  const base = JSON.parse(readFileSync(new URL('calibration/regional/2026/38-ege.json', root), 'utf8'));
  const change = (f: (m: typeof base) => void) => {
    const m = structuredClone(base);
    f(m);
    return () => parseMapping(m);
  };
  it.each([
    [
      'a field of another kind',
      (m: typeof base) => (m.files[0].fields.surname = { column: 'Ф' }),
      /no field surname in ppes/,
    ],
    [
      'a required field left out',
      (m: typeof base) => delete m.files[2].fields.as1,
      /fields\.as1: as1 is not mapped/,
    ],
    [
      'a CSV field from an element',
      (m: typeof base) => (m.files[0].fields.name = { element: 'N' }),
      /from a column/,
    ],
    ['an XML source without a record', (m: typeof base) => delete m.files[1].record, /record element/],
    ['a field from two places', (m: typeof base) => (m.files[0].fields.name.value = 'x'), /one of column/],
    [
      'a date layout without a year',
      (m: typeof base) => (m.files[1].fields.birthDate.date = 'DD.MM'),
      /YYYY/,
    ],
    ['an unknown encoding', (m: typeof base) => (m.files[0].encoding = 'koi8-r'), /encoding/],
  ])('refuses %s, saying where', (_what, edit, message) => {
    expect(change(edit)).toThrow(message);
  });
});
