/**
 * The recognise stage: one pending page through the pipeline, its result written in one transaction that
 * also enters its sheet and opens a verification task for every doubtful field. A page is recognised once:
 * only a page still pending is taken, so a job run twice (a worker killed after the commit, a retry) changes
 * nothing.
 */

import { controlPlace, inControlSample } from '../domain/verification.ts';
import { type ExpandedForm, expandForm, personalFields } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { allowedSymbols, sourceField } from '../pipeline/derive.ts';
import {
  type PageBytes,
  type PageResult,
  recogniseFilePage,
  recognisePageBytes,
} from '../pipeline/page-job.ts';
import { DOUBTED_MAX_CONFIDENCE, type RecognisedField, SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import type { Adapters } from '../platform/adapters.ts';
import { InfrastructureError } from '../platform/failures.ts';
import { type Doubt, openDoubts } from '../verification/store.ts';
import { enterSheet, refusedRegistration } from '../works/store/sheets.ts';
import { pageToRecognise, recordResult } from './store.ts';

export type PageOutcome = PageResult['status'] | 'already-done';

const DIGITS = '0123456789';

/**
 * The doubts a verifier settles, most doubtful first by priority (the field's confidence). A derived field
 * that only copies its answer (no replacement row names the task) shares the answer's task, and the page
 * derives again once it is verified; any other doubtful field gets its own. A doubtful sheet number
 * (unread, unconfirmed) is entered by a verifier like any field.
 */
function doubtsOf(form: ExpandedForm, r: PageResult): Doubt[] {
  const copiesAnswer = (n: string, f: RecognisedField) => {
    if (form.byName.has(n)) return false;
    const answer = r.fields[sourceField(form, n)?.name ?? ''];
    return answer !== undefined && answer.value === f.value && answer.doubt.join() === f.doubt.join();
  };
  const doubts = Object.entries(r.fields)
    .filter(([n, f]) => f.doubt.length > 0 && !copiesAnswer(n, f))
    .map(([n, f]) => ({ field: n, priority: f.confidence, allowed: allowedSymbols(form, n) }));
  if (r.doubt.length > 0) doubts.unshift({ field: SHEET_NUMBER_TASK, priority: 0, allowed: DIGITS });
  return doubts;
}

/** What a page's control draw is keyed by: its file's content and its place in the file. */
export const controlKey = (imageSha256: string, pageIndex: number) => `${imageSha256}/${pageIndex}`;

/**
 * The page's part of its form's blind control sample (`controlShare`): handwritten answers read without a
 * doubt, neither pre-printed nor personal, each drawn by its page's file, page and name. They go to a
 * verifier as any doubtful field does, their tasks not marked as controls.
 */
export function controlSample(
  form: ExpandedForm,
  r: Pick<PageResult, 'status' | 'fields'>,
  page: string,
): Doubt[] {
  const def = form.definition;
  if (def.controlShare <= 0 || r.status === 'rejected') return [];
  const personal = new Set(personalFields(def));
  return form.fields.flatMap((f) => {
    const read = r.fields[f.name];
    const eligible = f.kind === 'cells' && !f.preprinted && !personal.has(f.template);
    if (!eligible || !read || read.doubt.length > 0) return [];
    const key = `${page}/${f.name}`;
    if (!inControlSample(key, def.controlShare)) return [];
    // A doubt's priority is its confidence, never above DOUBTED_MAX_CONFIDENCE: a place among them.
    const priority = DOUBTED_MAX_CONFIDENCE * controlPlace(key, def.controlShare);
    return [{ field: f.name, priority, allowed: f.allowed, controlShare: def.controlShare }];
  });
}

/**
 * The result with `names` read as empty and without doubt, its status as the other doubts leave it: what a
 * refused participant's registration form is stored as (its personal fields never read, never verified).
 */
function withholding(r: PageResult, names: string[]): PageResult {
  const fields = { ...r.fields };
  for (const name of names) if (fields[name]) fields[name] = { value: '', confidence: 1, doubt: [] };
  const doubtful = r.doubt.length > 0 || Object.values(fields).some((f) => f.doubt.length > 0);
  return { ...r, fields, status: doubtful ? 'needs-verification' : 'recognised' };
}

/**
 * The pipeline on one stored page. By default in the calling thread; `rcoi worker` hands the stage its
 * threads, so that the database round trips of every stage on its event loop never wait behind a page.
 */
export type PageRecogniser = (page: PageBytes) => Promise<PageResult>;

export async function recognisePageStage(
  deps: Adapters,
  forms: FormDefinition[],
  id: string,
  recognise: PageRecogniser = (p) => recognisePageBytes(p, forms),
): Promise<PageOutcome> {
  const { db, objects } = deps;
  const page = await pageToRecognise(db, id);
  if (!page) throw new Error(`no page ${id}`);
  if (page.status !== 'pending') return 'already-done';
  // A file the store cannot give now is not a bad page: the job fails, to be retried, and the page waits.
  // A file it cannot give at all is: the page is rejected as unreadable.
  const source = page.objectKey;
  const bytes = await objects.get(source).catch((err: unknown) => {
    if (err instanceof InfrastructureError) throw err;
    return { missing: err };
  });
  const r =
    'missing' in bytes
      ? await recogniseFilePage(source, () => Promise.reject(bytes.missing), page.pageIndex, forms)
      : await recognise({ source, bytes, page: page.pageIndex, examYear: page.examYear });
  const def = r.form ? forms.find((f) => f.id === r.form) : undefined;
  const form = def && expandForm(def);
  const doubts = form ? doubtsOf(form, r) : [];
  const control = form ? controlSample(form, r, controlKey(page.imageSha256, page.pageIndex)) : [];
  const personal = def && r.status !== 'rejected' ? personalFields(def) : [];
  return db.transaction(async (tx) => {
    const withheld =
      personal.length > 0 && r.sheetNumber && (await refusedRegistration(tx, r.sheetNumber)) ? personal : [];
    const kept = withheld.length > 0 ? withholding(r, withheld) : r;
    // A sampled answer waits for its verifier as a doubtful one does: the page is not final before.
    const result: PageResult =
      control.length > 0 && kept.status === 'recognised' ? { ...kept, status: 'needs-verification' } : kept;
    const sampled = control.map((d) => d.field);
    if (!(await recordResult(tx, id, result, sampled))) return 'already-done';
    // A second scan of a sheet another page stands for: its doubts wait until an operator chooses it.
    const standing =
      !r.sheetNumber ||
      !def ||
      r.status === 'rejected' ||
      (await enterSheet(tx, {
        sheetNumber: r.sheetNumber,
        pageId: id,
        form: def,
        final: result.status === 'recognised',
      }));
    const open = [...doubts.filter((d) => !withheld.includes(d.field)), ...control];
    await openDoubts(tx, id, open, { held: !standing });
    return result.status;
  });
}
