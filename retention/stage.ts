/**
 * The retention sweeper (a repeatable job): destroys what is due, and only that, as one audited destruction
 * act; reports what is held past its date on every run and what falls due within 30 days. The decision is
 * domain/retention.ts's planSweep; this module only reads the store's state and carries the decision out.
 * Objects are deleted before the act that lists them is committed, so an act never names a survivor; a
 * crash in between leaves objects already gone that the next run finds (deleting nothing) and records.
 * Where the object store can, holds bind it too (S3 object lock) and its own expiry rules stand behind the
 * sweeper as a backstop; both follow the database on every run.
 */

import { createHash } from 'node:crypto';
import {
  type ExamDay,
  expiryBackstops,
  type MaterialKind,
  planSweep,
  policyLookup,
  type RetainedObject,
  type RetentionPolicies,
  type RetentionWindow,
} from '../domain/retention.ts';
import type { Adapters } from '../platform/adapters.ts';
import { objectPrefix } from '../platform/objects.ts';
import { audit } from '../platform/store/audit.ts';

export interface SweepReport {
  actId: number | null;
  destroyed: { key: string; material: MaterialKind; dueDay: string; late: boolean }[];
  heldPastDate: {
    key: string;
    material: MaterialKind;
    dueDay: string;
    holds: { by: string; reason: string }[];
  }[];
  upcoming: { key: string; material: MaterialKind; notBefore: string }[];
  /** Due, but the object store refused to delete them: kept for the next run, out of the act. */
  failed: { key: string; error: string }[];
  /** The store's expiry rules as set this run; null where the store has none. */
  backstops: { prefix: string; from: string }[] | null;
}

interface LiveObject extends RetainedObject {
  sha256: string;
  examId: string;
}

const isoDay = (w: RetentionWindow) =>
  `${w.day.year}-${String(w.day.month).padStart(2, '0')}-${String(w.day.day).padStart(2, '0')}`;

const HELD = `exists (select 1 from legal_holds h
  where h.released_at is null and (h.object_key = o.object_key or h.exam_id = o.exam_id))`;

/**
 * Brings the store's own holds in line with the database's: on for every held object that lacks it (and for
 * `recheck`, held objects an expiry rule may have reached), off where the last hold was released.
 */
async function syncStoreHolds(deps: Adapters, recheck: string[] = []): Promise<void> {
  const { db, objects } = deps;
  if (!objects.enforcesHolds) return;
  const rows = await db.query<{ object_key: string; held: boolean }>(
    `select o.object_key, ${HELD} as held from stored_objects o
     where o.destroyed_at is null and (o.store_hold <> ${HELD} or o.object_key = any($1::text[]))`,
    [recheck],
  );
  for (const r of rows) {
    await objects.setLegalHold(r.object_key, r.held);
    await db.query('update stored_objects set store_hold = $2 where object_key = $1', [r.object_key, r.held]);
  }
}

/** Places a legal hold on one object or on every object of an exam, in the store too; audited. */
export async function placeHold(
  deps: Adapters,
  target: { objectKey: string } | { examId: string },
  by: string,
  reason: string,
): Promise<number> {
  const { db } = deps;
  if (reason.trim() === '') throw new Error('a legal hold needs a reason');
  const [row] = await db.query<{ id: number }>(
    `insert into legal_holds (object_key, exam_id, placed_by, reason) values ($1, $2, $3, $4) returning id`,
    ['objectKey' in target ? target.objectKey : null, 'examId' in target ? target.examId : null, by, reason],
  );
  await audit(db, by, 'retention.hold', 'objectKey' in target ? target.objectKey : `exam:${target.examId}`, {
    reason,
  });
  await syncStoreHolds(deps);
  return row!.id;
}

export async function releaseHold(deps: Adapters, id: number, by: string): Promise<void> {
  const { db } = deps;
  const rows = await db.query(
    `update legal_holds set released_by = $2, released_at = now() where id = $1 and released_at is null
     returning id`,
    [id, by],
  );
  if (rows.length === 0) throw new Error(`no active legal hold ${id}`);
  await audit(db, by, 'retention.release', `hold:${id}`, {});
  await syncStoreHolds(deps);
}

/** The live objects, their holds and what a sweep at `now` would do with them. */
async function retentionState(deps: Adapters, now: Date, load?: (year: number) => RetentionPolicies) {
  const rows = await deps.db.query<{
    object_key: string;
    material: MaterialKind;
    sha256: string;
    exam_id: string;
    date: string;
    time_zone: string;
    holds: { by: string; reason: string }[] | null;
  }>(
    `select o.object_key, o.material, o.sha256, o.exam_id, to_char(e.exam_date, 'YYYY-MM-DD') as date, e.time_zone,
       (select json_agg(json_build_object('by', h.placed_by, 'reason', h.reason) order by h.id)
        from legal_holds h
        where h.released_at is null and (h.object_key = o.object_key or h.exam_id = o.exam_id)) as holds
     from stored_objects o join exams e on e.id = o.exam_id
     where o.destroyed_at is null
     order by o.object_key`,
  );
  const holds = new Map(rows.map((r) => [r.object_key, r.holds ?? []]));
  const live: LiveObject[] = rows.map((r) => ({
    key: r.object_key,
    material: r.material,
    exam: { date: r.date, timeZone: r.time_zone } satisfies ExamDay,
    held: (r.holds ?? []).length > 0,
    sha256: r.sha256,
    examId: r.exam_id,
  }));
  const policyFor = policyLookup(load);
  const plan = planSweep(live, policyFor, now);
  return {
    live,
    policyFor,
    plan,
    heldPastDate: plan.heldPastDate.map((h) => ({
      key: h.object.key,
      material: h.object.material,
      dueDay: isoDay(h.window),
      holds: holds.get(h.object.key) ?? [],
    })),
    upcoming: plan.upcoming.map((u) => ({
      key: u.object.key,
      material: u.object.material,
      notBefore: u.window.notBefore.toISOString(),
    })),
  };
}

/** What a sweep now would destroy, what is held past its date and what falls due soon; changes nothing. */
export async function retentionOutlook(deps: Adapters, now: Date) {
  const { plan, heldPastDate, upcoming } = await retentionState(deps, now);
  const due = plan.destroy.map((d) => ({
    key: d.object.key,
    material: d.object.material,
    dueDay: isoDay(d.window),
  }));
  return { due, heldPastDate, upcoming };
}

export async function sweepRetention(
  deps: Adapters,
  now: Date,
  runBy: string,
  load?: (year: number) => RetentionPolicies,
): Promise<SweepReport> {
  const { db, objects } = deps;
  const { live, policyFor, plan, heldPastDate, upcoming } = await retentionState(deps, now, load);
  await syncStoreHolds(
    deps,
    plan.heldPastDate.map((h) => h.object.key),
  );
  const failed: SweepReport['failed'] = [];
  const destroy: typeof plan.destroy = [];
  for (const d of plan.destroy) {
    try {
      await objects.delete(d.object.key);
      destroy.push(d);
    } catch (err) {
      failed.push({ key: d.object.key, error: (err as Error).message });
    }
  }
  const gone = new Set(destroy.map((d) => d.object.key));
  const rules = expiryBackstops(
    live.filter((o) => !gone.has(o.key)),
    policyFor,
    (o) => objectPrefix(o.key),
    objects.enforcesHolds,
  );
  const backstopsSet = await objects.setExpiryBackstops(rules);
  const report: SweepReport = {
    actId: null,
    destroyed: destroy.map((d) => ({
      key: d.object.key,
      material: d.object.material,
      dueDay: isoDay(d.window),
      late: d.late,
    })),
    heldPastDate,
    upcoming,
    failed,
    backstops: backstopsSet ? rules.map((r) => ({ prefix: r.prefix, from: r.from.toISOString() })) : null,
  };
  if (destroy.length === 0) return report;
  // One act per run; the policy sets it applied are recorded by content, so the act says which rules held.
  const years = [...new Set(destroy.map((d) => Number(d.object.exam.date.slice(0, 4))))];
  report.actId = await db.transaction(async (tx) => {
    const sets = years.map((y) => {
      const body = JSON.stringify(policyFor.setOf(y));
      return { year: y, body, sha256: createHash('sha256').update(body).digest('hex') };
    });
    for (const s of sets) {
      await tx.query(
        `insert into retention_policy_sets (year, sha256, body) values ($1, $2, $3) on conflict do nothing`,
        [s.year, s.sha256, s.body],
      );
    }
    const [act] = await tx.query<{ id: number }>(
      `insert into destruction_acts (at, run_by, policy_year, policy_sha256) values ($1, $2, $3, $4) returning id`,
      [now, runBy, sets[0]!.year, sets.map((s) => s.sha256).join(',')],
    );
    for (const d of destroy) {
      await tx.query(
        `insert into destruction_act_items (act_id, object_key, sha256, material, due_day, late)
         values ($1, $2, $3, $4, $5, $6)`,
        [act!.id, d.object.key, d.object.sha256, d.object.material, isoDay(d.window), d.late],
      );
      await tx.query('update stored_objects set destroyed_at = $2 where object_key = $1', [
        d.object.key,
        now,
      ]);
    }
    await audit(tx, runBy, 'retention.destroy', `act:${act!.id}`, { objects: destroy.length });
    return act!.id;
  });
  return report;
}
