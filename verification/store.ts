/**
 * Verification: doubtful fields go to verifiers, most doubtful first; a verifier confirms the value, corrects
 * it within the field's allowed symbols, or escalates it to a senior verifier. Every decision is recorded
 * (corrections: who, when, old, new) and audited. When a page's last task is closed, derived fields are
 * computed again from the verified values and the page and its sheet become final.
 */

import type { Decision, TaskView } from '../contract/verification.ts';
import {
  type Accepts,
  derivedUpdates,
  type FieldState,
  pageIsFinal,
  standingValue,
  tasksSettled,
  valueProblem,
} from '../domain/verification.ts';
import { type ExpandedForm, expandForm, personalFields } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { ean13CheckDigitValid } from '../pipeline/barcodes.ts';
import { allowedSymbols, applyDerivations } from '../pipeline/derive.ts';
import { type CellDoubt, type RecognisedField, SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import type { Database, Queryable } from '../platform/db.ts';
import { ServiceError } from '../platform/errors.ts';
import { audit } from '../platform/store/audit.ts';
import { refusedRegistration, sheetBecameFinal } from '../works/store/sheets.ts';
import { fieldLabel } from './labels.ts';

export interface Verifier {
  id: string;
  /** Senior verifiers also take escalated tasks. */
  senior: boolean;
}

/** What a verifier's request can meet. */
export class VerificationError extends ServiceError<
  'no-such-task' | 'not-yours' | 'not-allowed' | 'bad-value' | 'conflict'
> {}

export const LEASE_MS = 10 * 60_000;

/**
 * Leases a task to the verifier. First one of their own leases still running that the station does not hold
 * (`holding`: on screen or loaded ahead), so a reload or a crashed station gets its fields back rather than
 * leaving them locked; else the most doubtful open task (escalated ones too for a senior). Concurrent callers
 * never get the same task: the row is locked and skipped by the others. A lease that ran out is open again.
 */
export async function takeNextTask(
  db: Database,
  verifier: Verifier,
  now = new Date(),
  leaseMs = LEASE_MS,
  holding: readonly number[] = [],
): Promise<TaskView | null> {
  return db.transaction(async (tx) => {
    const [task] = await tx.query<{ id: number; page_id: string; field: string }>(
      `select id, page_id, field from verification_tasks
       where (status = 'leased' and leased_by = $3 and leased_until >= $2 and not id = any($4::bigint[]))
          or ((status = 'open' or (status = 'leased' and leased_until < $2)) and (not escalated or $1))
       order by (status = 'leased' and leased_by = $3 and leased_until >= $2) desc, escalated desc, priority, id
       limit 1 for update skip locked`,
      [verifier.senior, now, verifier.id, holding],
    );
    if (!task) return null;
    const until = new Date(now.getTime() + leaseMs);
    await lease(tx, task.id, verifier.id, until);
    await audit(tx, verifier.id, 'verification.take', `${task.page_id}/${task.field}`, {});
    return taskView(tx, task.id, until);
  });
}

async function lease(tx: Queryable, taskId: number, verifierId: string, until: Date): Promise<void> {
  await tx.query(
    `update verification_tasks set status = 'leased', leased_by = $2, leased_until = $3 where id = $1`,
    [taskId, verifierId, until],
  );
}

/** What the station shows of a leased task: the field, its reading and doubts, and what it accepts. */
async function taskView(tx: Queryable, taskId: number, until: Date): Promise<TaskView> {
  const [task] = await tx.query<{ page_id: string; field: string; allowed: string }>(
    'select page_id, field, allowed from verification_tasks where id = $1',
    [taskId],
  );
  if (!task) throw new VerificationError('no-such-task', `no verification task ${taskId}`);
  const [page] = await tx.query<{ form: string | null; sheet_number: string | null; cells: CellDoubt[] }>(
    `select form, sheet_number, coalesce(recognition->'cells'->$2, '[]') as cells from pages where id = $1`,
    [task.page_id, task.field],
  );
  const [field] = await tx.query<{ value: string; confidence: number; doubt: string[] }>(
    'select value, confidence, doubt from fields where page_id = $1 and name = $2',
    [task.page_id, task.field],
  );
  return {
    id: taskId,
    pageId: task.page_id,
    field: task.field,
    label: fieldLabel(task.field),
    form: page?.form ?? null,
    value: task.field === SHEET_NUMBER_TASK ? (page?.sheet_number ?? '') : (field?.value ?? ''),
    confidence: field?.confidence ?? 0,
    doubt: field?.doubt ?? [],
    cells: page?.cells ?? [],
    allowed: task.allowed,
    status: 'leased',
    leasedUntil: until.toISOString(),
  };
}

/**
 * Gives the verifier's lease on a task back to the queue (their station closed, they signed out); false when
 * the task is not leased to them (already decided, or the lease ran out and someone else has it).
 */
export async function releaseTask(
  db: Database,
  verifierId: string,
  taskId: number,
  now = new Date(),
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [task] = await tx.query<{ page_id: string; field: string }>(
      `update verification_tasks set status = 'open', leased_by = null, leased_until = null
       where id = $1 and status = 'leased' and leased_by = $2 and leased_until >= $3
       returning page_id, field`,
      [taskId, verifierId, now],
    );
    if (!task) return false;
    await audit(tx, verifierId, 'verification.release', `${task.page_id}/${task.field}`, {});
    return true;
  });
}

/** What a task's field accepts: its sheet number, a writing area (no symbols allowed) or its symbols. */
const acceptsOf = (field: string, allowed: string): Accepts =>
  field === SHEET_NUMBER_TASK
    ? { sheetNumber: true }
    : allowed === ''
      ? { writing: true }
      : { symbols: allowed };

interface Lease {
  status: string;
  leased_by: string | null;
  leased_until: Date | null;
}

/** A verifier acts on a task, and sees its image, only while their lease on it runs: never once decided. */
function assertLeased<T extends Lease>(
  task: T | undefined,
  taskId: number,
  verifierId: string,
  now: Date,
): asserts task is T {
  if (!task) throw new VerificationError('no-such-task', `no verification task ${taskId}`);
  if (task.status !== 'leased' || task.leased_by !== verifierId || (task.leased_until ?? now) < now)
    throw new VerificationError('not-yours', `task ${taskId} is not leased to ${verifierId}`);
}

/** The page and field of a task leased to `verifierId`, for its image; a VerificationError otherwise. */
export async function leasedTaskField(
  db: Queryable,
  verifierId: string,
  taskId: number,
  now = new Date(),
): Promise<{ pageId: string; field: string }> {
  const [task] = await db.query<Lease & { page_id: string; field: string }>(
    'select page_id, field, status, leased_by, leased_until from verification_tasks where id = $1',
    [taskId],
  );
  assertLeased(task, taskId, verifierId, now);
  return { pageId: task.page_id, field: task.field };
}

export interface DecisionOutcome {
  /** The page has no open task left and every field has its final value. */
  pageFinal: boolean;
  pageId: string;
}

export async function decide(
  db: Database,
  forms: FormDefinition[],
  verifier: Verifier,
  taskId: number,
  decision: Decision,
  now = new Date(),
): Promise<DecisionOutcome> {
  return db.transaction(async (tx) => {
    const [task] = await tx.query<{
      page_id: string;
      field: string;
      allowed: string;
      status: string;
      leased_by: string | null;
      leased_until: Date | null;
    }>(
      'select page_id, field, allowed, status, leased_by, leased_until from verification_tasks where id = $1 for update',
      [taskId],
    );
    assertLeased(task, taskId, verifier.id, now);
    const subject = `${task.page_id}/${task.field}`;
    const [page] = await tx.query<{ sheet_number: string | null; form: string | null }>(
      'select sheet_number, form from pages where id = $1',
      [task.page_id],
    );
    const [field] = await tx.query<{ value: string }>(
      'select value from fields where page_id = $1 and name = $2',
      [task.page_id, task.field],
    );
    const old = task.field === SHEET_NUMBER_TASK ? (page?.sheet_number ?? '') : (field?.value ?? '');
    if (decision.action === 'escalate') {
      if (verifier.senior)
        throw new VerificationError(
          'not-allowed',
          'a senior verifier decides escalated tasks: confirm or correct',
        );
      await tx.query(
        `update verification_tasks set status = 'open', escalated = true, leased_by = null, leased_until = null
         where id = $1`,
        [taskId],
      );
      await tx.query(
        `insert into corrections (task_id, page_id, field, action, old_value, new_value, actor)
         values ($1, $2, $3, 'escalate', $4, $4, $5)`,
        [taskId, task.page_id, task.field, old, verifier.id],
      );
      await audit(tx, verifier.id, 'verification.escalate', subject, {});
      return { pageFinal: false, pageId: task.page_id };
    }
    const value = decision.action === 'correct' ? decision.value : old;
    const problem = valueProblem(acceptsOf(task.field, task.allowed), value, ean13CheckDigitValid);
    if (problem) throw new VerificationError('bad-value', problem);
    const [correction] = await tx.query<{ id: string }>(
      `insert into corrections (task_id, page_id, field, action, old_value, new_value, actor)
       values ($1, $2, $3, $4, $5, $6, $7) returning id::text as id`,
      [taskId, task.page_id, task.field, decision.action, old, value, verifier.id],
    );
    const def = forms.find((f) => f.id === page?.form);
    if (task.field === SHEET_NUMBER_TASK) {
      await tx.query('update pages set sheet_number = $2 where id = $1', [task.page_id, value]);
      // A registration form whose number only a verifier could read may be a refused participant's: what was
      // read of its personal fields goes now, as the recogniser would have withheld it. (Before this task
      // closes, so that the page is finished once, below.)
      const personal = def ? personalFields(def) : [];
      if (personal.length > 0 && (await refusedRegistration(tx, value)))
        await withholdFields(tx, forms, task.page_id, personal, verifier.id);
    } else {
      await tx.query(`update fields set final_value = $3, status = $4 where page_id = $1 and name = $2`, [
        task.page_id,
        task.field,
        value,
        decision.action === 'correct' && value !== old ? 'corrected' : 'confirmed',
      ]);
    }
    await tx.query(`update verification_tasks set status = 'done', leased_until = null where id = $1`, [
      taskId,
    ]);
    // The values stay in the correction, which erasure can reach: the trail is never changed, and a field
    // may hold a participant's name.
    await audit(tx, verifier.id, `verification.${decision.action}`, subject, { correction: correction!.id });
    return {
      pageFinal: await finishPage(tx, task.page_id, def ? expandForm(def) : undefined),
      pageId: task.page_id,
    };
  });
}

/**
 * Takes back the last decision on a task, audited and recorded as an `undo` correction: the field's value
 * as it was before (undecided; a sheet number as read), the task leased to the caller so it is on their
 * screen again. An escalation is taken back only while no senior has taken the task.
 *
 * Finality: a verifier undoes only their own decision and only while the page is not final. A senior
 * verifier undoes anyone's, a final page's too: the page and its sheet go back to needs-verification and
 * become final again with the new decision (its follow-up queued again). That is refused (`conflict`) once
 * something has used the final sheet: it is in a work, or a protocol was scored or rejected from it; what
 * follows from there is a chair's correction, not verification's.
 */
export async function undoDecision(
  db: Database,
  verifier: Verifier,
  taskId: number,
  now = new Date(),
  leaseMs = LEASE_MS,
): Promise<TaskView> {
  return db.transaction(async (tx) => {
    const [task] = await tx.query<{ page_id: string; field: string; status: string; escalated: boolean }>(
      'select page_id, field, status, escalated from verification_tasks where id = $1 for update',
      [taskId],
    );
    if (!task) throw new VerificationError('no-such-task', `no verification task ${taskId}`);
    const [last] = await tx.query<{ action: string; old_value: string; new_value: string; actor: string }>(
      'select action, old_value, new_value, actor from corrections where task_id = $1 order by id desc limit 1',
      [taskId],
    );
    const undoable =
      last?.action === 'escalate'
        ? task.status === 'open' && task.escalated
        : last?.action === 'confirm' || last?.action === 'correct'
          ? task.status === 'done'
          : false;
    if (!last || !undoable)
      throw new VerificationError('conflict', `task ${taskId} has no decision to undo now`);
    if (last.actor !== verifier.id && !verifier.senior)
      throw new VerificationError('not-yours', `the last decision on task ${taskId} is not yours`);
    const [page] = await tx.query<{ status: string; sheet_number: string | null }>(
      'select status, sheet_number from pages where id = $1 for update',
      [task.page_id],
    );
    if (page?.status === 'final') {
      if (!verifier.senior)
        throw new VerificationError(
          'not-allowed',
          'the page is final: a senior verifier undoes this decision',
        );
      const [used] = await tx.query<{ n: number }>(
        `select (select count(*)::int from work_sheets where sheet_number = $1)
              + (select count(*)::int from protocols where sheet_number = $1 and status in ('scored', 'rejected'))
              as n`,
        [page.sheet_number],
      );
      if ((used?.n ?? 0) > 0)
        throw new VerificationError('conflict', `sheet ${page.sheet_number} is in use already: not undone`);
      await tx.query(`update pages set status = 'needs-verification' where id = $1`, [task.page_id]);
      await tx.query(
        `update sheets set status = 'needs-verification', updated_at = now() where page_id = $1`,
        [task.page_id],
      );
    }
    if (last.action !== 'escalate') {
      if (task.field === SHEET_NUMBER_TASK)
        await tx.query('update pages set sheet_number = $2 where id = $1', [task.page_id, last.old_value]);
      else
        await tx.query(
          `update fields set final_value = null, status = 'doubtful' where page_id = $1 and name = $2`,
          [task.page_id, task.field],
        );
    }
    const until = new Date(now.getTime() + leaseMs);
    await lease(tx, taskId, verifier.id, until);
    if (last.action === 'escalate')
      await tx.query('update verification_tasks set escalated = false where id = $1', [taskId]);
    const [correction] = await tx.query<{ id: string }>(
      `insert into corrections (task_id, page_id, field, action, old_value, new_value, actor)
       values ($1, $2, $3, 'undo', $4, $5, $6) returning id::text as id`,
      [taskId, task.page_id, task.field, last.new_value, last.old_value, verifier.id],
    );
    await audit(tx, verifier.id, 'verification.undo', `${task.page_id}/${task.field}`, {
      undone: last.action,
      by: last.actor,
      correction: correction!.id,
      pageWasFinal: page?.status === 'final',
    });
    return taskView(tx, taskId, until);
  });
}

/**
 * A verifier's counts: fields left that they may take (open, or leased to them), and their decisions since
 * `since` and in the hour before `now`, each undo taking one off.
 */
export async function stationCounts(
  db: Queryable,
  verifier: Verifier,
  since: Date,
  now = new Date(),
): Promise<{ left: number; doneToday: number; lastHour: number }> {
  const [row] = await db.query<{ left: number; done_today: number; last_hour: number }>(
    `select
       (select count(*)::int from verification_tasks
         where (status = 'open' and (not escalated or $2)) or (status = 'leased' and leased_until < $4
           and (not escalated or $2)) or (status = 'leased' and leased_by = $1 and leased_until >= $4)) as left,
       (select coalesce(sum(case when action = 'undo' then -1 else 1 end), 0)::int from corrections
         where actor = $1 and at >= $3) as done_today,
       (select coalesce(sum(case when action = 'undo' then -1 else 1 end), 0)::int from corrections
         where actor = $1 and at >= $5) as last_hour`,
    [verifier.id, verifier.senior, since, now, new Date(now.getTime() - 3_600_000)],
  );
  return { left: row?.left ?? 0, doneToday: row?.done_today ?? 0, lastHour: row?.last_hour ?? 0 };
}

async function taskStatuses(tx: Queryable, pageId: string): Promise<string[]> {
  const rows = await tx.query<{ status: string }>(
    'select status from verification_tasks where page_id = $1',
    [pageId],
  );
  return rows.map((r) => r.status);
}

async function fieldStates(tx: Queryable, pageId: string): Promise<FieldState[]> {
  return tx.query<FieldState>(
    `select name, value, final_value as "finalValue", status from fields where page_id = $1`,
    [pageId],
  );
}

/**
 * Once a page has no task left to decide: derived fields from the verified values (a doubt the derivation
 * itself raises, such as two replacement rows disagreeing, opens a task of its own), then the page and its
 * sheet become final if the rules (domain/verification.ts) say so.
 */
async function finishPage(tx: Queryable, pageId: string, form: ExpandedForm | undefined): Promise<boolean> {
  // One page's decisions finish one at a time: two verifiers deciding its last tasks at once would each see
  // the other's task still leased, and neither would make the page final. The later one waits here and then
  // reads the earlier one's decision (each statement reads what is committed when it starts).
  await tx.query('select 1 from pages where id = $1 for update', [pageId]);
  if (!tasksSettled(await taskStatuses(tx, pageId))) return false;
  if (form && form.definition.derive.length > 0) {
    const fields = await fieldStates(tx, pageId);
    const read: Record<string, RecognisedField> = {};
    for (const f of fields)
      if (form.byName.has(f.name)) read[f.name] = { value: standingValue(f), confidence: 1, doubt: [] };
    const derived = Object.fromEntries(
      Object.entries(applyDerivations(form, read)).filter(([name]) => !form.byName.has(name)),
    );
    for (const u of derivedUpdates(derived, fields)) {
      if ('doubt' in u) {
        await tx.query(
          `update fields set value = $3, final_value = null, status = 'doubtful', doubt = $4 where page_id = $1 and name = $2`,
          [pageId, u.name, u.value, u.doubt],
        );
        await tx.query(
          `insert into verification_tasks (page_id, field, priority, allowed)
           values ($1, $2, 0, $3) on conflict (page_id, field) do update set status = 'open'`,
          [pageId, u.name, allowedSymbols(form, u.name)],
        );
      } else {
        await tx.query('update fields set final_value = $3, status = $4 where page_id = $1 and name = $2', [
          pageId,
          u.name,
          u.finalValue,
          u.status,
        ]);
      }
    }
  }
  if (!pageIsFinal(await taskStatuses(tx, pageId), await fieldStates(tx, pageId))) return false;
  const [page] = await tx.query<{ sheet_number: string | null }>(
    `update pages set status = 'final' where id = $1 returning sheet_number`,
    [pageId],
  );
  if (page?.sheet_number && form)
    await sheetBecameFinal(tx, { sheetNumber: page.sheet_number, pageId, form: form.definition });
  return true;
}

/**
 * Erases what was read and verified of fields that may not be kept: a refused participant's personal data
 * (order L21, L561-562, L693) on a registration form recognised before the regional export said so. Their
 * values, corrections and cell readings become empty and their tasks close, as if the recogniser had
 * withheld them; the page becomes final if nothing else of it waits (its kit's assembly is the caller's).
 */
export async function withholdFields(
  tx: Queryable,
  forms: readonly FormDefinition[],
  pageId: string,
  names: string[],
  actor: string,
): Promise<void> {
  const args = [pageId, names];
  await tx.query(
    `update fields set value = '', final_value = '', doubt = '{}', status = 'accepted'
     where page_id = $1 and name = any($2::text[])`,
    args,
  );
  await tx.query(
    `update corrections set old_value = '', new_value = '' where page_id = $1 and field = any($2::text[])`,
    args,
  );
  await tx.query(
    `update verification_tasks set status = 'done', leased_by = null, leased_until = null
     where page_id = $1 and field = any($2::text[])`,
    args,
  );
  const [page] = await tx.query<{ status: string; form: string | null }>(
    `update pages set recognition = jsonb_set(recognition, '{cells}', coalesce(recognition -> 'cells', '{}') - $2::text[])
     where id = $1 and recognition is not null returning status, form`,
    args,
  );
  await audit(tx, actor, 'verification.withhold', pageId, { fields: names });
  const def = forms.find((f) => f.id === page?.form);
  if (page?.status === 'needs-verification') await finishPage(tx, pageId, def && expandForm(def));
}

/** A doubtful field to settle: its verification task's field, priority (lower first) and allowed symbols. */
export interface Doubt {
  field: string;
  priority: number;
  allowed: string;
  /** Read without a doubt, and drawn for the control sample at this share; its verifier is not told. */
  controlShare?: number;
}

/**
 * Opens a recognised page's doubts for verification, once each; `held` when the page does not stand for its
 * sheet (a rescan): they wait, never handed out, until an operator chooses the page.
 */
export async function openDoubts(
  tx: Queryable,
  pageId: string,
  doubts: Doubt[],
  opts: { held: boolean },
): Promise<void> {
  if (doubts.length === 0) return;
  await tx.query(
    `insert into verification_tasks (page_id, field, priority, allowed, status, control_share)
     select $1, t.field, t.priority, t.allowed, $5, t.share
       from unnest($2::text[], $3::real[], $4::text[], $6::float8[]) as t(field, priority, allowed, share)
     on conflict (page_id, field) do nothing`,
    [
      pageId,
      doubts.map((d) => d.field),
      doubts.map((d) => d.priority),
      doubts.map((d) => d.allowed),
      opts.held ? 'held' : 'open',
      doubts.map((d) => d.controlShare ?? null),
    ],
  );
}

export interface ControlCounts {
  form: string;
  sampled: number;
  decided: number;
  corrected: number;
}

/**
 * The control sample by form: answers drawn, decided, and corrected, i.e. read wrong without a doubt (a
 * correction undone no longer counts; a verifier's value equal to the read one is a confirmation).
 */
export async function controlCounts(db: Queryable): Promise<ControlCounts[]> {
  return db.query<ControlCounts>(
    `select p.form, count(*)::int as sampled,
       (count(*) filter (where t.status = 'done'))::int as decided,
       (count(*) filter (where t.status = 'done' and f.status = 'corrected'))::int as corrected
     from verification_tasks t join pages p on p.id = t.page_id
       join fields f on f.page_id = t.page_id and f.name = t.field
     where t.control_share is not null group by p.form order by p.form`,
  );
}

export interface VerifiedPage {
  pageId: string;
  objectKey: string;
  pageIndex: number;
  /**
   * Each field a verifier decided: its value as decided, why it was doubted (none: a control), and the share
   * it was drawn at as a control.
   */
  labels: { field: string; value: string; doubt: string[]; controlShare: number | null }[];
}

/**
 * Up to `limit` final pages of a form, drawn in an order that owes nothing to their reading, with what their
 * verifiers decided: the labels a threshold is refitted on. Final pages only, where every doubt is decided,
 * and not yet anonymised by retention (their values erased, their recognition gone).
 */
export async function verifiedPages(db: Queryable, form: string, limit: number): Promise<VerifiedPage[]> {
  return db.query<VerifiedPage>(
    `select p.id as "pageId", i.object_key as "objectKey", p.page_index as "pageIndex",
       coalesce(json_agg(json_build_object('field', f.name, 'value', f.final_value, 'doubt', f.doubt,
         'controlShare', t.control_share) order by f.name) filter (where f.name is not null), '[]') as labels
     from pages p join images i on i.sha256 = p.image_sha256
       left join fields f on f.page_id = p.id and f.status in ('confirmed', 'corrected')
       left join verification_tasks t on t.page_id = f.page_id and t.field = f.name
     where p.form = $1 and p.status = 'final' and p.recognition is not null
     group by p.id, i.object_key, p.page_index
     order by md5(p.id) limit $2`,
    [form, limit],
  );
}

/** How many verification tasks there are by status. */
export async function taskCounts(db: Queryable): Promise<{ status: string; n: number }[]> {
  return db.query(
    'select status, count(*)::int as n from verification_tasks group by status order by status',
  );
}
