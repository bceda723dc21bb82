/**
 * Group verification's store: a group of open fields of one kind leased at once, as `takeNextTask` leases one
 * (rows locked and skipped by concurrent callers, most doubtful first, escalated ones to seniors), and a
 * group's decisions taken one by one through `decide`, so each is recorded and audited as any decision is.
 */

import type { TaskView } from '../../contract/verification.ts';
import type { GroupDecision, GroupOutcome } from '../../contract/verification-group.ts';
import { type GroupBy, type GroupKey, groupKey } from '../../domain/verification-group.ts';
import type { FormDefinition } from '../../forms/schema.ts';
import { type CellDoubt, SHEET_NUMBER_TASK } from '../../pipeline/result.ts';
import type { Database } from '../../platform/db.ts';
import { audit } from '../../platform/store/audit.ts';
import { fieldLabel } from '../labels.ts';
import { decide, LEASE_MS, leasedTaskField, VerificationError, type Verifier } from '../store.ts';

/** Open fields looked at for one group: the group is drawn from the most doubtful of them. */
const SCAN = 200;

export interface LeasedGroup extends GroupKey {
  tasks: TaskView[];
}

/** The verifier's own lease, still running, on a task their station does not hold ($4 verifier, $5 held). */
const OWN = `(t.status = 'leased' and t.leased_by = $4 and t.leased_until >= $2 and not t.id = any($5::bigint[]))`;

/**
 * A task the verifier may take ($1 a senior, $2 now): their own lease their station lost (a reload, a crash),
 * or an open one. Fields sent out of groups are left out.
 */
const AVAILABLE = `(${OWN} or ((t.status = 'open' or (t.status = 'leased' and t.leased_until < $2))
  and (not t.escalated or $1))) and not t.solo`;

/** Available tasks, own leases first, then most doubtful first, with what their group is known by. */
const CANDIDATES = `select t.id, t.page_id, t.field, t.allowed, p.form,
    case when t.field = $3 then coalesce(p.sheet_number, '') else coalesce(f.value, '') end as value,
    coalesce(f.confidence, 0) as confidence, coalesce(f.doubt, '{}') as doubt,
    coalesce(p.recognition->'cells'->t.field, '[]') as cells
  from verification_tasks t
  join pages p on p.id = t.page_id
  left join fields f on f.page_id = t.page_id and f.name = t.field
  where ${AVAILABLE}
  order by ${OWN} desc, t.escalated desc, t.priority, t.id`;

interface Candidate {
  id: number;
  page_id: string;
  field: string;
  allowed: string;
  form: string | null;
  value: string;
  confidence: number;
  doubt: string[];
  cells: CellDoubt[];
}

/**
 * Leases to the verifier the most doubtful open field and up to `size - 1` more of its group (by `by`), most
 * doubtful first; fields sent out of groups are left to the one-by-one station. Their own leases that their
 * station does not hold (`holding`: on screen, loaded ahead) come first, so a reload gets them back. Null
 * when nothing is open.
 */
export async function takeGroup(
  db: Database,
  verifier: Verifier,
  opts: { by: GroupBy; size: number; holding?: readonly number[] },
  now = new Date(),
  leaseMs = LEASE_MS,
): Promise<LeasedGroup | null> {
  return db.transaction(async (tx) => {
    const held = opts.holding ?? [];
    const params = [verifier.senior, now, SHEET_NUMBER_TASK, verifier.id, held];
    // The head as takeNextTask finds it; then the rest of its group, each row locked only if no one else holds it.
    const [head] = await tx.query<Candidate>(`${CANDIDATES} limit 1 for update of t skip locked`, params);
    if (!head) return null;
    const kind = groupKey(head, opts.by);
    const same = (await tx.query<Candidate>(`${CANDIDATES} limit $6`, [...params, SCAN])).filter((t) => {
      const k = groupKey(t, opts.by);
      return t.id !== head.id && k.kind === kind.kind && k.key === kind.key;
    });
    const locked = await tx.query<{ id: number }>(
      `select t.id from verification_tasks t where t.id = any($3::bigint[]) and ${AVAILABLE}
       for update skip locked`,
      [verifier.senior, now, same.map((t) => t.id), verifier.id, held],
    );
    const ours = new Set(locked.map((r) => r.id));
    const group = [head, ...same.filter((t) => ours.has(t.id))].slice(0, opts.size);
    const until = new Date(now.getTime() + leaseMs);
    await tx.query(
      `update verification_tasks set status = 'leased', leased_by = $2, leased_until = $3
       where id = any($1::bigint[])`,
      [group.map((t) => t.id), verifier.id, until],
    );
    for (const t of group)
      await audit(tx, verifier.id, 'verification.take', `${t.page_id}/${t.field}`, { group: kind.kind });
    return {
      ...kind,
      tasks: group.map((t) => ({
        id: t.id,
        pageId: t.page_id,
        field: t.field,
        label: fieldLabel(t.field),
        form: t.form,
        value: t.value,
        confidence: t.confidence,
        doubt: t.doubt,
        cells: t.cells,
        allowed: t.allowed,
        status: 'leased' as const,
        leasedUntil: until.toISOString(),
      })),
    };
  });
}

/** Sends a field leased to the verifier out of groups: open again, for the one-by-one station only. */
async function sendSolo(db: Database, verifier: Verifier, taskId: number, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('select id from verification_tasks where id = $1 for update', [taskId]);
    const { pageId, field } = await leasedTaskField(tx, verifier.id, taskId, now);
    await tx.query(
      `update verification_tasks set status = 'open', solo = true, leased_by = null, leased_until = null
       where id = $1`,
      [taskId],
    );
    await audit(tx, verifier.id, 'verification.solo', `${pageId}/${field}`, {});
  });
}

/**
 * A group's decisions, each taken on its own (and audited as `decide` audits it): one refused (a value the
 * field does not take, a lease run out) is answered beside the others, which stand.
 */
export async function decideGroup(
  db: Database,
  forms: FormDefinition[],
  verifier: Verifier,
  decisions: GroupDecision[],
  now = new Date(),
): Promise<{ outcomes: GroupOutcome[]; finalPages: string[] }> {
  const outcomes: GroupOutcome[] = [];
  const finalPages: string[] = [];
  for (const { task, decision } of decisions) {
    try {
      if (decision.action === 'solo') {
        await sendSolo(db, verifier, task, now);
        outcomes.push({ task, ok: true, pageFinal: false });
        continue;
      }
      const out = await decide(db, forms, verifier, task, decision, now);
      if (out.pageFinal) finalPages.push(out.pageId);
      outcomes.push({ task, ok: true, pageFinal: out.pageFinal });
    } catch (err) {
      if (!(err instanceof VerificationError)) throw err;
      outcomes.push({ task, ok: false, code: err.code, error: err.message });
    }
  }
  return { outcomes, finalPages };
}

/**
 * Gives the verifier's leases on these tasks back to the queue (the group station closed, the verifier signed
 * out or switched mode), each audited; the ids of those released (not ones decided or no longer theirs).
 */
export async function releaseGroup(
  db: Database,
  verifierId: string,
  taskIds: readonly number[],
  now = new Date(),
): Promise<number[]> {
  return db.transaction(async (tx) => {
    const released = await tx.query<{ id: number; page_id: string; field: string }>(
      `update verification_tasks set status = 'open', leased_by = null, leased_until = null
       where id = any($1::bigint[]) and status = 'leased' and leased_by = $2 and leased_until >= $3
       returning id, page_id, field`,
      [taskIds, verifierId, now],
    );
    for (const t of released)
      await audit(tx, verifierId, 'verification.release', `${t.page_id}/${t.field}`, {});
    return released.map((t) => t.id);
  });
}
