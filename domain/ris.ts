/**
 * Participants, exam points (PPE) and kits from the regional information system (RIS). Its exports differ by
 * region and year (columns, element names, delimiters, encodings, date formats, codes), so a mapping, as data
 * (`calibration/regional/<year>/`), says where each of our fields is and how its value converts. Reading is
 * pure: bytes and a mapping in, records or row-level errors out; the store fetches the facts the references
 * are checked against and takes the records only when there is no error at all.
 *
 * Participants who refused processing of their personal data (order L21, L561-562, L693) are read under their
 * code only: their personal fields are never read out of the row, and no error ever quotes a personal value.
 */
import * as z from 'zod';
import { realDay } from './exams.ts';
import { KIT_ROLES, type KitRole } from './kits.ts';
import { childAt, declaredEncoding, elementsNamed, parseXml, XmlError } from './xml.ts';

export const RIS_KINDS = ['ppes', 'participants', 'kits'] as const;
export type RisKind = (typeof RIS_KINDS)[number];

interface FieldRule {
  /** true: every row; 'unless-refused': every row of a participant who did not refuse. */
  required?: true | 'unless-refused';
  pattern?: RegExp;
  type?: 'date' | 'boolean' | 'sheet';
  /** Personal data: dropped for a refused participant, never quoted in an error. */
  personal?: true;
}

const CODE = /^[0-9A-Za-z_.-]{1,64}$/;

/** Our fields of each kind; a mapping places each of them (required ones must be placed). */
export const RIS_FIELDS = {
  ppes: {
    code: { required: true, pattern: CODE },
    name: { required: true },
    address: {},
  },
  participants: {
    code: { required: true, pattern: CODE },
    exam: { required: true, pattern: CODE },
    ppe: { required: true, pattern: CODE },
    school: { pattern: CODE },
    refused: { type: 'boolean' },
    surname: { required: 'unless-refused', personal: true },
    name: { required: 'unless-refused', personal: true },
    patronymic: { personal: true },
    documentSeries: { personal: true, pattern: /^[0-9A-Za-zА-ЯЁа-яё -]{1,12}$/ },
    documentNumber: { required: 'unless-refused', personal: true, pattern: /^[0-9A-Za-zА-ЯЁа-яё-]{1,20}$/ },
    birthDate: { personal: true, type: 'date' },
  },
  kits: {
    id: { required: true, pattern: CODE },
    exam: { required: true, pattern: CODE },
    participant: { required: true, pattern: CODE },
    registration: { required: true, type: 'sheet' },
    as1: { required: true, type: 'sheet' },
    'as2-1': { required: true, type: 'sheet' },
    'as2-2': { required: true, type: 'sheet' },
  },
} as const satisfies Record<RisKind, Record<string, FieldRule>>;

/** Where one of our fields is in a row, and how its text converts. */
const FieldSource = z
  .strictObject({
    /** CSV: a header name, or a 1-based position for files without a header. */
    column: z.union([z.string().min(1), z.int().positive()]).optional(),
    /** XML: a child element's path under the record (`Document/Number`); its text unless `attribute`. */
    element: z.string().min(1).optional(),
    /** XML: an attribute of the record, or of `element`. */
    attribute: z.string().min(1).optional(),
    /** The same value for every row (an export per exam names no exam). */
    value: z.string().optional(),
    /** The code table: the export's value (trimmed) to ours; a value not in it is an error. */
    codes: z.record(z.string(), z.string()).optional(),
    /** A date's layout: DD, MM, YYYY for the day; hh, mm, ss of a time, which is dropped. */
    date: z
      .string()
      .refine((d) => ['DD', 'MM', 'YYYY'].every((t) => d.includes(t)), 'a date layout names DD, MM and YYYY')
      .optional(),
  })
  .refine(
    (s) => [s.column, s.element ?? s.attribute, s.value].filter((x) => x !== undefined).length === 1,
    'a field comes from one of column, element/attribute or value',
  );
export type FieldSource = z.infer<typeof FieldSource>;

export type FileMapping = {
  kind: RisKind;
  match: string;
  encoding: 'utf-8' | 'windows-1251';
  fields: Record<string, FieldSource>;
} & ({ format: 'csv'; delimiter: string; header: boolean } | { format: 'xml'; record: string });

/** One source of a mapping: which files it reads (by name), their format, and where each of our fields is. */
const FileSource = z
  .strictObject({
    kind: z.enum(RIS_KINDS),
    /** A glob (`*`, `?`) matched against the file's name, case aside. */
    match: z.string().min(1),
    encoding: z.enum(['utf-8', 'windows-1251']),
    format: z.enum(['csv', 'xml']),
    /** CSV: the delimiter (default ,) and whether a header line names the columns (default true). */
    delimiter: z.string().length(1).optional(),
    header: z.boolean().optional(),
    /** XML: the element each record is (every element of that name in the file). */
    record: z.string().min(1).optional(),
    fields: z.record(z.string(), FieldSource),
  })
  .superRefine((f, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const rules = RIS_FIELDS[f.kind] as Record<string, FieldRule>;
    if (f.format === 'xml' && f.record === undefined)
      issue(['record'], 'an XML source names its record element');
    if (f.format === 'xml' && (f.delimiter ?? f.header) !== undefined)
      issue(['format'], 'delimiter and header are for CSV');
    if (f.format === 'csv' && f.record !== undefined) issue(['record'], 'record is for XML');
    for (const name of Object.keys(rules))
      if (rules[name]!.required && !f.fields[name]) issue(['fields', name], `${name} is not mapped`);
    for (const [name, s] of Object.entries(f.fields)) {
      const at = ['fields', name];
      if (!(name in rules)) issue(at, `no field ${name} in ${f.kind}: ${Object.keys(rules).join(', ')}`);
      else if (f.format === 'csv' && (s.element ?? s.attribute) !== undefined)
        issue(at, 'a CSV field comes from a column');
      else if (f.format === 'xml' && s.column !== undefined) issue(at, 'an XML field has no column');
      else if (f.format === 'csv' && f.header === false && typeof s.column === 'string')
        issue(at, 'without a header, a column is a position');
    }
  })
  .transform(
    (f): FileMapping =>
      f.format === 'csv'
        ? { ...f, format: 'csv', delimiter: f.delimiter ?? ',', header: f.header ?? true }
        : { ...f, format: 'xml', record: f.record! },
  );

export const RisMapping = z.strictObject({
  /** Shipped mappings are examples until a region's own replace them. */
  example: z.boolean().default(false),
  region: z.string().min(1),
  year: z.int().min(2000).max(2100),
  description: z.string().optional(),
  files: z.array(FileSource).min(1),
});
export type RisMapping = z.infer<typeof RisMapping>;

/** A mapping from JSON; throws naming the first misfit. */
export function parseMapping(json: unknown): RisMapping {
  const result = RisMapping.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(`mapping: ${[...issue.path].join('.') || '(top)'}: ${issue.message}`);
}

export type RisErrorCode =
  | 'unmatched-file'
  | 'ambiguous-file'
  | 'bad-encoding'
  | 'bad-xml'
  | 'missing-column'
  | 'wrong-cell-count'
  | 'required'
  | 'bad-format'
  | 'bad-date'
  | 'unknown-code'
  | 'duplicate'
  | 'unknown-exam'
  | 'unknown-ppe'
  | 'unknown-participant'
  | 'sheet-in-other-kit';

/** One problem, where it is: the file, the row (its first line; 0 for the file as a whole), the source column. */
export interface RisError {
  file: string;
  row: number;
  /** XML: the record element and its position among its kind (`Participant[3]`). */
  element?: string;
  column?: string;
  field?: string;
  code: RisErrorCode;
  /** What the code needs to read: never a personal value. */
  params: Record<string, string | number>;
}

export interface Ppe {
  code: string;
  name: string;
  address: string | null;
}
export interface Person {
  surname: string;
  name: string;
  patronymic: string | null;
  documentSeries: string | null;
  documentNumber: string;
  birthDate: string | null;
}
/** A participant for one exam; `person` is null for one who refused processing of personal data. */
export interface Participant {
  code: string;
  exam: string;
  ppe: string;
  school: string | null;
  person: Person | null;
}
export interface Kit {
  id: string;
  exam: string;
  participant: string;
  sheets: Record<KitRole, string>;
}

export interface RisRecords {
  ppes: Ppe[];
  participants: Participant[];
  kits: Kit[];
}

export interface RisFile {
  name: string;
  bytes: Uint8Array;
}

/** A row as read: where it is and each mapped field's converted value ('' when empty). */
export interface RisRow {
  file: string;
  row: number;
  element?: string;
  kind: RisKind;
  values: Record<string, string>;
  columns: Record<string, string>;
}

const globRegex = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

function decode(bytes: Uint8Array, encoding: FileMapping['encoding']): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** RFC 4180 records with their first line: quoted cells may hold the delimiter, quotes ("") and newlines. */
export function csvRecords(text: string, delimiter: string): { line: number; cells: string[] }[] {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let started = false;
  const end = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0]!.trim() !== '') records.push({ line: start, cells });
    cells = [];
    cell = '';
    started = false;
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!started) {
      started = true;
      start = line;
    }
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      line++;
      end();
    } else cell += ch;
  }
  if (started) end();
  return records;
}

const DATE_TOKENS: Record<string, string> = {
  YYYY: '(?<y>\\d{4})',
  MM: '(?<m>\\d{2})',
  DD: '(?<d>\\d{2})',
  hh: '\\d{2}',
  mm: '\\d{2}',
  ss: '\\d{2}',
};

const dateLayouts = new Map<string, RegExp>();

function dateIn(layout: string, text: string): string | null {
  let pattern = dateLayouts.get(layout);
  if (!pattern) {
    const parts = layout
      .split(/(YYYY|MM|DD|hh|mm|ss)/)
      .map((part) => DATE_TOKENS[part] ?? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    dateLayouts.set(layout, (pattern = new RegExp(`^${parts.join('')}$`)));
  }
  const m = pattern.exec(text)?.groups;
  if (!m) return null;
  const day = `${m.y}-${m.m}-${m.d}`;
  return realDay(day) ? day : null;
}

type Problem = { code: RisErrorCode; params: Record<string, string | number> };

/** A field's text converted: code table, then date layout or the field's type; a problem instead of a value. */
function convert(rule: FieldRule, source: FieldSource, raw: string): string | Problem {
  let text = raw.trim();
  if (text === '') return '';
  // A personal value is never quoted back: an error report may travel where personal data may not.
  const shown = (extra: Record<string, string | number> = {}) =>
    rule.personal ? extra : { value: text, ...extra };
  if (source.codes) {
    const to = source.codes[text];
    if (to === undefined) return { code: 'unknown-code', params: shown() };
    text = to;
  }
  if (rule.type === 'date') {
    const day = dateIn(source.date ?? 'YYYY-MM-DD', text);
    return day ?? { code: 'bad-date', params: shown({ layout: source.date ?? 'YYYY-MM-DD' }) };
  }
  if (rule.type === 'boolean' && text !== 'true' && text !== 'false')
    return { code: 'bad-format', params: shown({ expected: 'true or false (give a code table)' }) };
  if (rule.pattern && !rule.pattern.test(text)) return { code: 'bad-format', params: shown() };
  return text;
}

const describeSource = (s: FieldSource): string =>
  s.column !== undefined
    ? String(s.column)
    : s.element !== undefined
      ? `${s.element}${s.attribute ? `/@${s.attribute}` : ''}`
      : s.attribute !== undefined
        ? `@${s.attribute}`
        : '(value)';

/**
 * The rows of one file as its mapping reads them, with the errors met: encoding, structure, and each field's
 * requirement and conversion. A refused participant's personal fields are not read at all.
 */
function readFile(file: RisFile, m: FileMapping): { rows: RisRow[]; errors: RisError[] } {
  const errors: RisError[] = [];
  const text = decode(file.bytes, m.encoding);
  if (text === null)
    return {
      rows: [],
      errors: [{ file: file.name, row: 0, code: 'bad-encoding', params: { encoding: m.encoding } }],
    };
  const raw: { row: number; element?: string; get: (s: FieldSource) => string | undefined }[] = [];
  if (m.format === 'csv') {
    const records = csvRecords(text, m.delimiter);
    const header = m.header ? (records.shift()?.cells.map((c) => c.trim()) ?? []) : [];
    const index = (s: FieldSource) =>
      typeof s.column === 'number' ? s.column - 1 : header.indexOf(s.column!);
    for (const s of Object.values(m.fields))
      if (s?.column !== undefined && index(s) < 0)
        errors.push({
          file: file.name,
          row: 1,
          column: String(s.column),
          code: 'missing-column',
          params: {},
        });
    if (errors.length > 0) return { rows: [], errors };
    const width = m.header ? header.length : undefined;
    for (const r of records) {
      if (width !== undefined && r.cells.length !== width) {
        errors.push({
          file: file.name,
          row: r.line,
          code: 'wrong-cell-count',
          params: { expected: width, found: r.cells.length },
        });
        continue;
      }
      raw.push({ row: r.line, get: (s) => (s.value !== undefined ? s.value : r.cells[index(s)]) });
    }
  } else {
    const declared = declaredEncoding(text);
    if (declared !== null && declared.replace(/^cp-?/, 'windows-') !== m.encoding)
      return {
        rows: [],
        errors: [
          { file: file.name, row: 1, code: 'bad-encoding', params: { encoding: m.encoding, declared } },
        ],
      };
    let root: ReturnType<typeof parseXml>;
    try {
      root = parseXml(text);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      return {
        rows: [],
        errors: [{ file: file.name, row: err.line, code: 'bad-xml', params: { reason: err.message } }],
      };
    }
    elementsNamed(root, m.record).forEach((el, n) => {
      raw.push({
        row: el.line,
        element: `${m.record}[${n + 1}]`,
        get: (s) => {
          if (s.value !== undefined) return s.value;
          const at = childAt(el, s.element ?? '');
          return s.attribute !== undefined ? at?.attributes[s.attribute] : at?.text;
        },
      });
    });
  }
  const rules = RIS_FIELDS[m.kind] as Record<string, FieldRule>;
  // Refusal first: it decides whether the personal fields are read at all.
  const plan = Object.keys(rules)
    .sort((x, y) => Number(y === 'refused') - Number(x === 'refused'))
    .flatMap((name) => {
      const source = m.fields[name];
      return source ? [{ name, rule: rules[name]!, source }] : [];
    });
  const columns = Object.fromEntries(plan.map((f) => [f.name, describeSource(f.source)]));
  const rows: RisRow[] = [];
  for (const r of raw) {
    const where = { file: file.name, row: r.row, ...(r.element && { element: r.element }) };
    const values: Record<string, string> = {};
    let bad = false;
    for (const { name, rule, source } of plan) {
      if (rule.personal && values.refused === 'true') continue;
      const got = convert(rule, source, r.get(source) ?? '');
      if (typeof got !== 'string') errors.push({ ...where, column: columns[name], field: name, ...got });
      else if (got === '' && (rule.required === true || (rule.required && values.refused !== 'true')))
        errors.push({ ...where, column: columns[name], field: name, code: 'required', params: {} });
      else {
        values[name] = got;
        continue;
      }
      bad = true;
    }
    if (!bad) rows.push({ ...where, kind: m.kind, values, columns });
  }
  return { rows, errors };
}

/** What the store knows already, for the references: the records of this import are added to it. */
export interface RisFacts {
  exams: ReadonlySet<string>;
  ppes: ReadonlySet<string>;
  /** `participantKey(exam, code)` of participants already registered. */
  participants: ReadonlySet<string>;
  /** Kit of each sheet number already issued, for the sheet numbers this import names. */
  kitOfSheet: ReadonlyMap<string, string>;
  /** 13 digits with a valid EAN-13 check digit (the barcode reader's check, pipeline/barcodes.ts). */
  sheetNumberValid: (value: string) => boolean;
}

export const participantKey = (exam: string, code: string) => `${exam}\u0000${code}`;

/** The files read by the mapping: each file matched by name to exactly one of its sources. */
export function readRisFiles(
  mapping: RisMapping,
  files: readonly RisFile[],
): { rows: RisRow[]; errors: RisError[] } {
  const rows: RisRow[] = [];
  const errors: RisError[] = [];
  for (const file of files) {
    const base = file.name.split(/[\\/]/).pop()!;
    const sources = mapping.files.filter((f) => globRegex(f.match).test(base));
    if (sources.length !== 1) {
      const code = sources.length === 0 ? 'unmatched-file' : 'ambiguous-file';
      // Which names the mapping's sources take: all of them when none matched, else the ones that did.
      const named = sources.length === 0 ? mapping.files : sources;
      errors.push({
        file: file.name,
        row: 0,
        code,
        params: { sources: named.map((s) => s.match).join(', ') },
      });
      continue;
    }
    const read = readFile(file, sources[0]!);
    rows.push(...read.rows);
    errors.push(...read.errors);
  }
  return { rows, errors };
}

/** The exams, PPE codes, participants and sheet numbers the rows refer to, for the store to look up. */
export function risReferences(rows: readonly { kind: RisKind; values: Record<string, string> }[]) {
  const of = (kind: RisKind) => rows.filter((r) => r.kind === kind).map((r) => r.values);
  return {
    participants: of('kits').map((k) => ({ exam: k.exam!, code: k.participant! })),
    sheets: of('kits').flatMap((k) => KIT_ROLES.map((role) => k[role]!)),
  };
}

/**
 * The import, all or nothing: the records when every row of every file reads and refers to what exists (in
 * this import or already), else every error found (the records of a failed import are of no use: files refer
 * to each other, so taking the good ones would leave references hanging). Duplicates within the import are errors; a record that is
 * registered already is taken again (an export sent twice changes nothing).
 */
export function validateRis(
  read: { rows: RisRow[]; errors: RisError[] },
  facts: RisFacts,
): { ok: true; records: RisRecords } | { ok: false; errors: RisError[] } {
  const errors = [...read.errors];
  const rows = (kind: RisKind) => read.rows.filter((r) => r.kind === kind);
  const fail = (r: RisRow, field: string, code: RisErrorCode, params: RisError['params'] = {}) => {
    errors.push({
      file: r.file,
      row: r.row,
      ...(r.element && { element: r.element }),
      column: r.columns[field],
      field,
      code,
      params,
    });
  };
  const firstSeen = new Map<string, RisRow>();
  /** False (and a duplicate error) when the key was met before in this import. */
  const once = (r: RisRow, field: string, key: string) => {
    const first = firstSeen.get(key);
    if (!first) {
      firstSeen.set(key, r);
      return true;
    }
    fail(r, field, 'duplicate', { value: r.values[field]!, firstFile: first.file, firstRow: first.row });
    return false;
  };
  const ppes = new Set(facts.ppes);
  const participants = new Set(facts.participants);
  const records: RisRecords = { ppes: [], participants: [], kits: [] };
  const opt = (v: string | undefined) => (v ? v : null);

  for (const r of rows('ppes')) {
    const v = r.values;
    if (!once(r, 'code', `ppe\u0000${v.code}`)) continue;
    ppes.add(v.code!);
    records.ppes.push({ code: v.code!, name: v.name!, address: opt(v.address) });
  }
  for (const r of rows('participants')) {
    const v = r.values;
    const key = participantKey(v.exam!, v.code!);
    if (!once(r, 'code', `participant\u0000${key}`)) continue;
    participants.add(key);
    if (!facts.exams.has(v.exam!)) fail(r, 'exam', 'unknown-exam', { value: v.exam! });
    if (!ppes.has(v.ppe!)) fail(r, 'ppe', 'unknown-ppe', { value: v.ppe! });
    const refused = v.refused === 'true';
    records.participants.push({
      code: v.code!,
      exam: v.exam!,
      ppe: v.ppe!,
      school: opt(v.school),
      person: refused
        ? null
        : {
            surname: v.surname!,
            name: v.name!,
            patronymic: opt(v.patronymic),
            documentSeries: opt(v.documentSeries),
            documentNumber: v.documentNumber!,
            birthDate: opt(v.birthDate),
          },
    });
  }
  for (const r of rows('kits')) {
    const v = r.values;
    if (!once(r, 'id', `kit\u0000${v.id}`)) continue;
    if (!facts.exams.has(v.exam!)) fail(r, 'exam', 'unknown-exam', { value: v.exam! });
    else if (!participants.has(participantKey(v.exam!, v.participant!)))
      fail(r, 'participant', 'unknown-participant', { value: v.participant!, exam: v.exam! });
    for (const role of KIT_ROLES) {
      const sheet = v[role]!;
      const other = facts.kitOfSheet.get(sheet);
      if (!facts.sheetNumberValid(sheet)) fail(r, role, 'bad-format', { value: sheet, expected: 'EAN-13' });
      else if (once(r, role, `sheet\u0000${sheet}`) && other !== undefined && other !== v.id)
        fail(r, role, 'sheet-in-other-kit', { value: sheet, kit: other });
    }
    const sheets = Object.fromEntries(KIT_ROLES.map((role) => [role, v[role]!])) as Record<KitRole, string>;
    records.kits.push({ id: v.id!, exam: v.exam!, participant: v.participant!, sheets });
  }
  // Read by file, then top to bottom.
  errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.row - b.row));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, records };
}

/** One line for a person: `kits.csv:3 column "Участник" (participant): unknown-participant value="A9"`. */
export function risErrorText(e: RisError): string {
  const where = [
    e.row > 0 ? `${e.file}:${e.row}` : e.file,
    e.element,
    e.column !== undefined && `column "${e.column}"`,
    e.field !== undefined && `(${e.field})`,
  ].filter(Boolean);
  const params = Object.entries(e.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${where.join(' ')}: ${[e.code, ...params].join(' ')}`;
}
