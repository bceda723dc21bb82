/**
 * The recognise stage: one pending page through the pipeline, its result written in one transaction that
 * also opens a verification task for every doubtful field. A page is recognised once: the update only takes
 * a page still pending, so a job run twice (a worker killed after the commit, a retry) changes nothing.
 */

import { expandForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { allowedSymbols, sourceField } from '../pipeline/derive.ts';
import { type PageResult, recogniseFilePage } from '../pipeline/page-job.ts';
import type { RecognisedField } from '../pipeline/result.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import type { Adapters } from '../platform/adapters.ts';
import { InfrastructureError } from '../platform/failures.ts';

export type PageOutcome = PageResult['status'] | 'already-done';

const DIGITS = '0123456789';

export async function recognisePageStage(
  deps: Adapters,
  forms: FormDefinition[],
  id: string,
): Promise<PageOutcome> {
  const { db, objects } = deps;
  const [page] = await db.query<{ status: string; page_index: number; object_key: string }>(
    `select p.status, p.page_index, i.object_key from pages p join images i on i.sha256 = p.image_sha256
     where p.id = $1`,
    [id],
  );
  if (!page) throw new Error(`no page ${id}`);
  if (page.status !== 'pending') return 'already-done';
  // A file the store cannot give now is not a bad page: the job fails, to be retried, and the page waits.
  let unavailable: InfrastructureError | undefined;
  const r = await recogniseFilePage(
    page.object_key,
    () =>
      objects.get(page.object_key).catch((err: unknown) => {
        if (err instanceof InfrastructureError) unavailable = err;
        throw err;
      }),
    page.page_index,
    forms,
  );
  if (unavailable) throw unavailable;
  const def = r.form ? forms.find((f) => f.id === r.form) : undefined;
  const form = def ? expandForm(def) : undefined;
  return db.transaction(async (tx) => {
    const taken = await tx.query(
      `update pages set status = $2, form = $3, reason = $4, detail = $5, sheet_number = $6,
         recognition = $7, recognised_at = now()
       where id = $1 and status = 'pending' returning id`,
      [
        id,
        r.status,
        r.form,
        r.reason ?? null,
        r.detail ?? null,
        r.sheetNumber ?? null,
        JSON.stringify({
          barcodes: r.barcodes,
          doubt: r.doubt,
          registration: r.registration ?? null,
          ms: r.ms,
        }),
      ],
    );
    if (taken.length === 0) return 'already-done';
    const entries = Object.entries(r.fields);
    if (entries.length > 0) {
      await tx.query(
        `insert into fields (page_id, name, value, confidence, doubt, final_value, status)
         select $1, t.name, t.value, t.confidence, string_to_array(t.doubt, ','),
           case when t.doubt = '' then t.value end, case when t.doubt = '' then 'accepted' else 'doubtful' end
         from unnest($2::text[], $3::text[], $4::real[], $5::text[]) as t(name, value, confidence, doubt)`,
        [
          id,
          entries.map(([n]) => n),
          entries.map(([, f]) => f.value),
          entries.map(([, f]) => f.confidence),
          entries.map(([, f]) => f.doubt.join(',')),
        ],
      );
    }
    // A derived field that only copies its answer (no replacement row names the task) shares the answer's
    // task, and the page derives again once it is verified; any other doubtful field gets its own.
    const copiesAnswer = (n: string, f: RecognisedField) => {
      if (!form || form.byName.has(n)) return false;
      const answer = r.fields[sourceField(form, n)?.name ?? ''];
      return answer !== undefined && answer.value === f.value && answer.doubt.join() === f.doubt.join();
    };
    const doubtful: [string, { confidence: number }][] = entries.filter(
      ([n, f]) => f.doubt.length > 0 && !copiesAnswer(n, f),
    );
    // A doubtful sheet number (unread, unconfirmed) is entered by a verifier like any field.
    if (r.doubt.length > 0) doubtful.unshift([SHEET_NUMBER_TASK, { confidence: 0 }]);
    if (form && doubtful.length > 0) {
      await tx.query(
        `insert into verification_tasks (page_id, field, priority, allowed)
         select $1, t.field, t.priority, t.allowed from unnest($2::text[], $3::real[], $4::text[])
           as t(field, priority, allowed)
         on conflict (page_id, field) do nothing`,
        [
          id,
          doubtful.map(([n]) => n),
          doubtful.map(([, f]) => f.confidence),
          doubtful.map(([n]) => (n === SHEET_NUMBER_TASK ? DIGITS : allowedSymbols(form, n))),
        ],
      );
    }
    if (r.sheetNumber && def && r.status !== 'rejected') {
      const standing = await tx.query(
        `insert into sheets (sheet_number, page_id, form, kind, status) values ($1, $2, $3, $4, $5)
         on conflict (sheet_number) do nothing returning sheet_number`,
        [r.sheetNumber, id, def.id, def.kind, r.status === 'recognised' ? 'final' : 'needs-verification'],
      );
      // A second scan of a sheet another page stands for: its doubts wait until an operator chooses it.
      if (standing.length === 0 && doubtful.length > 0)
        await tx.query(`update verification_tasks set status = 'held' where page_id = $1`, [id]);
    }
    return r.status;
  });
}
