/**
 * Participants' results out, for the regional information system and the federal centre (issue 16 item 3):
 * a layout as data (calibration/exports/<year>/<name>.json: CSV or XML, column or element names and order,
 * code tables, UTF-8 or Windows-1251) and a pure writer from results to the file's bytes. A participant who
 * refused processing of personal data (order L21, L561-562, L693: nothing of them enters the information
 * systems) is written under their code only, whatever the layout asks for. Also the lines of the results
 * protocols per exam point and per school, which print/results.ts draws.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as z from 'zod';
import type { TaskMark } from './scoring.ts';

/** One participant's result as it leaves the system: what every layout picks its fields from. */
export interface ExportRow {
  /** The work code (the participant is known by it wherever the result goes without a name). */
  code: string;
  /** Refused processing of personal data: no name or document ever written. */
  refused: boolean;
  surname: string | null;
  name: string | null;
  patronymic: string | null;
  document: string | null;
  examId: string;
  examKind: string;
  /** EGE, OGE, GVE-9 or GVE-11 (GVE for a GVE exam registered before grades were kept). */
  examForm: string;
  subjectCode: string;
  examDate: string;
  ppe: string | null;
  school: string | null;
  variant: string | null;
  as1: number;
  as2: number;
  primary: number;
  score: number;
  scale: 'test-score' | 'mark';
  tasks: TaskMark[];
}

/** What a column or element may hold: a field of the row, or one part's per-task marks in task order. */
export const EXPORT_VALUES = [
  'code',
  'surname',
  'name',
  'patronymic',
  'document',
  'examId',
  'examKind',
  'examForm',
  'subjectCode',
  'examDate',
  'ppe',
  'school',
  'variant',
  'as1',
  'as2',
  'primary',
  'score',
  'scale',
  'marks.as1',
  'marks.as2',
] as const;
export type ExportValue = (typeof EXPORT_VALUES)[number];

const PERSONAL: ReadonlySet<ExportValue> = new Set(['surname', 'name', 'patronymic', 'document']);

const FieldSchema = z.strictObject({
  /** The column's header, or the element's or attribute's name. */
  name: z.string().min(1),
  value: z.enum(EXPORT_VALUES),
  /** A code table: the value as the system has it → as the recipient wants it (`EGE` → `1`). */
  codes: z.record(z.string(), z.string()).optional(),
});

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const XmlFieldSchema = FieldSchema.extend({
  name: z.string().regex(XML_NAME, 'an XML name'),
  as: z.enum(['element', 'attribute']).default('element'),
});

const Common = {
  /** Examples until the recipient's official layout replaces them (README, "Results out"). */
  example: z.boolean(),
  year: z.number().int().min(2000).max(2100),
  recipient: z.enum(['regional', 'federal', 'publication']),
  description: z.string().min(1),
  encoding: z.enum(['utf-8', 'windows-1251']),
  /** How one part's marks join in one field (`marks.as1`): `1,0,2`. */
  markSeparator: z.string().default(','),
};

export const ExportLayoutSchema = z.discriminatedUnion('format', [
  z.strictObject({
    ...Common,
    format: z.literal('csv'),
    delimiter: z.enum([';', ',', '\t', '|']),
    header: z.boolean(),
    columns: z.array(FieldSchema).min(1),
  }),
  z.strictObject({
    ...Common,
    format: z.literal('xml'),
    root: z.string().regex(XML_NAME, 'an XML name'),
    record: z.string().regex(XML_NAME, 'an XML name'),
    fields: z.array(XmlFieldSchema).min(1),
    /** Each task's mark as an element of the record with these attributes; none when absent. */
    marks: z
      .strictObject({
        element: z.string().regex(XML_NAME),
        part: z.string().regex(XML_NAME),
        task: z.string().regex(XML_NAME),
        points: z.string().regex(XML_NAME),
        max: z.string().regex(XML_NAME),
      })
      .optional(),
  }),
]);
export type ExportLayout = z.infer<typeof ExportLayoutSchema>;
export type Encoding = ExportLayout['encoding'];

export interface NamedLayout {
  name: string;
  layout: ExportLayout;
}

const issuesOf = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ');

export function parseExportLayout(json: unknown, where: string): ExportLayout {
  const parsed = ExportLayoutSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${where}:\n  ${issuesOf(parsed.error)}`);
  return parsed.data;
}

const EXPORTS_DIR = new URL('../calibration/exports/', import.meta.url);
/** A layout's name: its file's name without `.json`, as routes and the CLI name it. */
export const LAYOUT_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The layouts shipped for a year, by name, validated; none when the year has no folder. */
export function loadExportLayouts(year: number, dir: URL = EXPORTS_DIR): NamedLayout[] {
  const yearDir = new URL(`${year}/`, dir);
  let names: string[];
  try {
    names = readdirSync(yearDir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.sort().map((file) => {
    const where = `exports/${year}/${file}`;
    const layout = parseExportLayout(JSON.parse(readFileSync(new URL(file, yearDir), 'utf8')), where);
    if (layout.year !== year) throw new Error(`${where} declares year ${layout.year}`);
    return { name: file.slice(0, -'.json'.length), layout };
  });
}

/** Task numbers and codes in number order (`2` before `10`); one collator, not one per comparison. */
const numeric = new Intl.Collator('en', { numeric: true }).compare;
const byTask = (a: TaskMark, b: TaskMark) => numeric(a.task, b.task);

/** A row's value for a field, coded by its table; a refused participant's personal fields are empty. */
function fieldValue(
  row: ExportRow,
  field: { value: ExportValue; codes?: Record<string, string> },
  sep: string,
): string {
  let v: string;
  if (PERSONAL.has(field.value) && row.refused) v = '';
  else if (field.value === 'marks.as1' || field.value === 'marks.as2') {
    const part = field.value.slice('marks.'.length);
    v = row.tasks
      .filter((t) => t.part === part)
      .sort(byTask)
      .map((t) => String(t.points))
      .join(sep);
  } else v = String(row[field.value] ?? '');
  return field.codes?.[v] ?? v;
}

export interface Written {
  bytes: Uint8Array;
  rows: number;
  mediaType: string;
  extension: 'csv' | 'xml';
}

export type WriteResult =
  | ({ ok: true } & Written)
  | { ok: false; problem: 'unencodable'; row: number; field: string; char: string };

/** Windows-1251's bytes 0x80-0xFF by character, from the platform's own decoder of it. */
const CP1251: ReadonlyMap<string, number> = (() => {
  const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i);
  const chars = new TextDecoder('windows-1251').decode(high);
  return new Map([...chars].map((c, i) => [c, 0x80 + i] as const).filter(([c]) => c !== '\uFFFD'));
})();

/** The character at which `text` cannot be written in Windows-1251, or null. */
const unencodable = (text: string): string | null =>
  [...text].find((c) => c.charCodeAt(0) >= 0x80 && !CP1251.has(c)) ?? null;

export function encodeText(text: string, encoding: Encoding): Uint8Array {
  if (encoding === 'utf-8') return new TextEncoder().encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code < 0x80 ? code : CP1251.get(text[i]!);
    if (byte === undefined) throw new Error(`U+${code.toString(16)} has no Windows-1251 byte`);
    out[i] = byte;
  }
  return out;
}

export function csvCell(v: string, delimiter: string): string {
  return v.includes(delimiter) || /["\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

function writeCsv(layout: Extract<ExportLayout, { format: 'csv' }>, rows: ExportRow[]): WriteResult {
  const lines: string[] = [];
  const records = layout.header ? [null, ...rows] : rows;
  for (const [i, row] of records.entries()) {
    const cells: string[] = [];
    for (const c of layout.columns) {
      const v = row === null ? c.name : fieldValue(row, c, layout.markSeparator);
      const bad = layout.encoding === 'windows-1251' ? unencodable(v) : null;
      if (bad !== null)
        return {
          ok: false,
          problem: 'unencodable',
          row: layout.header ? i : i + 1,
          field: c.name,
          char: bad,
        };
      cells.push(csvCell(v, layout.delimiter));
    }
    lines.push(cells.join(layout.delimiter));
  }
  // RFC 4180: CRLF after every record, the last one included.
  const text = lines.map((l) => `${l}\r\n`).join('');
  return {
    ok: true,
    bytes: encodeText(text, layout.encoding),
    rows: rows.length,
    mediaType: `text/csv; charset=${layout.encoding}`,
    extension: 'csv',
  };
}

/** XML text escaped; a character the encoding lacks becomes a character reference, which XML reads the same. */
function xmlText(v: string, encoding: Encoding): string {
  const escaped = v.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c,
  );
  if (encoding === 'utf-8') return escaped;
  return [...escaped].map((c) => (unencodable(c) === null ? c : `&#${c.codePointAt(0)};`)).join('');
}

function writeXml(layout: Extract<ExportLayout, { format: 'xml' }>, rows: ExportRow[]): WriteResult {
  const t = (v: string) => xmlText(v, layout.encoding);
  const out = [`<?xml version="1.0" encoding="${layout.encoding}"?>`, `<${layout.root}>`];
  for (const row of rows) {
    const attributes = layout.fields
      .filter((f) => f.as === 'attribute')
      .map((f) => ` ${f.name}="${t(fieldValue(row, f, layout.markSeparator))}"`)
      .join('');
    out.push(`  <${layout.record}${attributes}>`);
    for (const f of layout.fields.filter((f) => f.as === 'element'))
      out.push(`    <${f.name}>${t(fieldValue(row, f, layout.markSeparator))}</${f.name}>`);
    const m = layout.marks;
    if (m)
      for (const mark of [...row.tasks].sort((a, b) =>
        a.part === b.part ? byTask(a, b) : a.part < b.part ? -1 : 1,
      ))
        out.push(
          `    <${m.element} ${m.part}="${mark.part}" ${m.task}="${t(mark.task)}" ` +
            `${m.points}="${mark.points}" ${m.max}="${mark.max}"/>`,
        );
    out.push(`  </${layout.record}>`);
  }
  out.push(`</${layout.root}>`, '');
  return {
    ok: true,
    bytes: encodeText(out.join('\n'), layout.encoding),
    rows: rows.length,
    mediaType: `application/xml; charset=${layout.encoding}`,
    extension: 'xml',
  };
}

/**
 * The file a layout makes of these results, or the row (0: the header) and field a CSV in Windows-1251
 * cannot hold.
 */
export function writeResults(layout: ExportLayout, rows: ExportRow[]): WriteResult {
  return layout.format === 'csv' ? writeCsv(layout, rows) : writeXml(layout, rows);
}

/** How a results protocol groups participants: per exam point or per school. */
export type ProtocolGrouping = 'ppe' | 'school';

export interface ResultsProtocol {
  /** The exam point's or school's code; null for the participants whose one is not known. */
  group: string | null;
  rows: ExportRow[];
}

/** The participants of each exam point or school, groups by code (unknown last), rows by code. */
export function resultsProtocols(rows: ExportRow[], by: ProtocolGrouping): ResultsProtocol[] {
  const groups = new Map<string | null, ExportRow[]>();
  for (const row of rows) {
    const members = groups.get(row[by]);
    if (members) members.push(row);
    else groups.set(row[by], [row]);
  }
  return [...groups]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : numeric(a, b)))
    .map(([group, members]) => ({ group, rows: members.sort((a, b) => numeric(a.code, b.code)) }));
}

/** How a participant is named on paper: surname and initials, or the code alone for one who refused. */
export function participantLabel(row: ExportRow): string {
  if (row.refused || !row.surname) return row.code;
  const initials = [row.name, row.patronymic]
    .filter((n): n is string => !!n)
    .map((n) => `${n[0]}.`)
    .join(' ');
  return `${row.surname}${initials ? ` ${initials}` : ''}`;
}
