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
  return String(s).padEnd(n).slice(0, n);
}

export function printSummary(
  results: PageResult[],
  seconds: number,
  truth?: Map<PageResult, TruthCheck>,
): void {
  const head = `${pad('page', 34)} ${pad('form', 20)} ${pad('status', 26)} ${pad('fields', 6)} ${pad('doubts', 6)} ${pad('ms', 6)}`;
  console.log(truth ? `${head} truth (correct/total, silent errors)` : head);
  for (const r of results) {
    const fields = Object.values(r.fields);
    const doubts = fields.filter((f) => f.doubt.length > 0).length + r.doubt.length;
    const t = truth?.get(r);
    const name = `${basename(r.source)}${r.page > 0 ? `#${r.page + 1}` : ''}`;
    const status = r.status === 'rejected' ? `rejected: ${r.reason}` : r.status;
    const line = `${pad(name, 34)} ${pad(r.form ?? '-', 20)} ${pad(status, 26)} ${pad(fields.length, 6)} ${pad(doubts, 6)} ${pad(Math.round(r.ms.total), 6)}`;
    console.log(t ? `${line} ${t.correct}/${t.total}, ${t.silent} silent` : line);
  }
  const by = (s: string) => results.filter((r) => r.status === s).length;
  console.log(
    `\n${results.length} pages in ${seconds.toFixed(1)} s: ${by('recognised')} recognised, ` +
      `${by('needs-verification')} need verification, ${by('rejected')} rejected`,
  );
}
