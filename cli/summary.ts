/** The summary table printed after a run: one line per page, then totals by status. */
import { basename } from 'node:path';
import type { PageResult } from '../pipeline/page-job.ts';

export interface TruthCheck {
  /** Fields whose value equals the ground truth, of those the truth names. */
  correct: number;
  total: number;
  /** Wrong values that raised no doubt: the failures that matter. */
  silent: number;
}

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

export function printSummary(
  results: PageResult[],
  seconds: number,
  truth?: Map<PageResult, TruthCheck>,
): void {
  const rows = results.map((r) => {
    const fields = Object.values(r.fields);
    return {
      r,
      name: `${basename(r.source)}${r.page > 0 ? `#${r.page + 1}` : ''}`,
      status: r.status === 'rejected' ? `rejected: ${r.reason}` : r.status,
      doubts: fields.filter((f) => f.doubt.length > 0).length + r.doubt.length,
      fields: fields.length,
    };
  });
  // Columns as wide as their longest entry: a file name or a rejection reason is never cut.
  const width = (header: string, values: string[]) => Math.max(header.length, ...values.map((v) => v.length));
  const nameW = width(
    'page',
    rows.map((x) => x.name),
  );
  const formW = width(
    'form',
    results.map((r) => r.form ?? '-'),
  );
  const statusW = width(
    'status',
    rows.map((x) => x.status),
  );
  const head = `${pad('page', nameW)} ${pad('form', formW)} ${pad('status', statusW)} ${pad('fields', 6)} ${pad('doubts', 6)} ${pad('ms', 6)}`;
  console.log(truth ? `${head} truth (correct/total, silent errors)` : head);
  for (const { r, name, status, doubts, fields } of rows) {
    const t = truth?.get(r);
    const line = `${pad(name, nameW)} ${pad(r.form ?? '-', formW)} ${pad(status, statusW)} ${pad(fields, 6)} ${pad(doubts, 6)} ${pad(Math.round(r.ms.total), 6)}`;
    console.log(t ? `${line} ${t.correct}/${t.total}, ${t.silent} silent` : line);
  }
  const by = (s: string) => results.filter((r) => r.status === s).length;
  console.log(
    `\n${results.length} pages in ${seconds.toFixed(1)} s: ${by('recognised')} recognised, ` +
      `${by('needs-verification')} need verification, ${by('rejected')} rejected`,
  );
}
