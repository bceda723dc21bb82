/**
 * Results out (issue 16 item 3): an exam's complete results written by a layout of its year for the regional
 * system or the federal centre, its results protocols per exam point or school, and its publication package.
 * Each export writes its audit entry: who, what (layout, grouping, digest), how many rows and how many
 * incomplete results were withheld.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  loadExportLayouts,
  type NamedLayout,
  type ProtocolGrouping,
  resultsProtocols,
  type Written,
  writeResults,
} from '../domain/results-export.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Adapters } from '../platform/adapters.ts';
import type { Queryable } from '../platform/db.ts';
import { publicationZip, resultsProtocolsPdf } from '../print/results.ts';
import { ResultsError } from './errors.ts';
import { auditExport, examResults, publishedSheets } from './store/export.ts';

/** The export layouts of a year, by name. */
export type LayoutsOf = (year: number) => NamedLayout[];

/** The shipped layouts (calibration/exports/<year>/), read once per year asked for. */
export function shippedLayouts(): LayoutsOf {
  const years = new Map<number, NamedLayout[]>();
  return (year) => {
    const known = years.get(year) ?? loadExportLayouts(year);
    years.set(year, known);
    return known;
  };
}

export interface ExportFile extends Written {
  fileName: string;
  withheld: number;
}

/** The exam's complete results as the named layout writes them; a value it cannot encode is `unencodable`. */
export async function exportResults(
  db: Queryable,
  layouts: LayoutsOf,
  examId: string,
  layoutName: string,
  actor: string,
): Promise<ExportFile> {
  const { exam, rows, withheld } = await examResults(db, examId);
  const named = layouts(exam.year).find((l) => l.name === layoutName);
  if (!named)
    throw new ResultsError('no-such-layout', `no export layout ${layoutName} for ${exam.year}`, {
      layout: layoutName,
    });
  const written = writeResults(named.layout, rows);
  if (!written.ok)
    throw new ResultsError(
      'unencodable',
      `row ${written.row}, ${written.field}: "${written.char}" has no ${named.layout.encoding} byte`,
      { row: written.row, field: written.field, encoding: named.layout.encoding },
    );
  await auditExport(db, actor, 'export.results', examId, {
    layout: named.name,
    recipient: named.layout.recipient,
    format: named.layout.format,
    encoding: named.layout.encoding,
    rows: written.rows,
    withheld,
    sha256: createHash('sha256').update(written.bytes).digest('hex'),
  });
  const { ok, ...file } = written;
  return { ...file, fileName: `${examId}-${named.name}.${written.extension}`, withheld };
}

/**
 * The exam's results protocols per exam point or school, one PDF; only `group`'s when given (one exam
 * point's protocol is what its GEK approval needs, and a region's whole exam is hundreds of pages).
 */
export async function exportProtocols(
  db: Queryable,
  examId: string,
  by: ProtocolGrouping,
  actor: string,
  group?: string,
): Promise<Uint8Array> {
  const { exam, rows, withheld } = await examResults(db, examId);
  const protocols = resultsProtocols(rows, by).filter((p) => group === undefined || p.group === group);
  const printed = protocols.reduce((n, p) => n + p.rows.length, 0);
  const pdf = await resultsProtocolsPdf(exam, by, protocols, withheld);
  await auditExport(db, actor, 'export.results-protocols', examId, {
    by,
    ...(group !== undefined && { group }),
    groups: protocols.length,
    rows: printed,
    withheld,
  });
  return pdf;
}

/**
 * The exam's publication package, or one participant's (`workId`), streamed; its results files are written
 * (and refused whole if one cannot be) before the audit entry and the first byte. A work without a complete
 * result has no package: `no-such-work`.
 */
export async function publicationPackage(
  deps: Adapters,
  forms: FormDefinition[],
  layouts: LayoutsOf,
  examId: string,
  actor: string,
  workId?: string,
): Promise<{ zip: Readable; fileName: string }> {
  const results = await examResults(deps.db, examId);
  const named = layouts(results.exam.year).find((l) => l.layout.recipient === 'publication');
  if (!named)
    throw new ResultsError('no-such-layout', `no publication layout for ${results.exam.year}`, {
      layout: 'publication',
    });
  const rows = results.rows.filter((r) => workId === undefined || r.code === workId);
  if (workId !== undefined && rows.length === 0)
    throw new ResultsError('no-such-work', `no complete result of work ${workId} in ${examId}`);
  const sheets = (await publishedSheets(deps.db, examId)).filter(
    (s) => workId === undefined || s.workId === workId,
  );
  const zip = publicationZip(deps, forms, named.layout, rows, sheets);
  await auditExport(deps.db, actor, 'export.publication', examId, {
    layout: named.name,
    ...(workId !== undefined && { work: workId }),
    rows: rows.length,
    withheld: workId === undefined ? results.withheld : 0,
    images: sheets.length,
  });
  return { zip, fileName: `${examId}-${workId ?? 'publication'}.zip` };
}
