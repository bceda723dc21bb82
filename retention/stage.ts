/**
 * The retention sweeper (a repeatable job): destroys what is due, and only that, as one audited destruction
 * act, files and rows alike (recognised values, personal data, results: each exam's rows of a material are
 * one unit, held by a hold on the exam or on any of its files); reports what is held past its date on every run and what falls due within 30 days. The decision is
 * domain/retention.ts's planSweep; this module only reads the store's state and carries the decision out.
 * Objects are deleted before the act that lists them is committed, so an act never names a survivor; a
 * crash in between leaves objects already gone that the next run finds (deleting nothing) and records. Rows
 * change in the act's own transaction: an act lists exactly the rows it changed, by count per table.
 * Where the object store can, holds bind it too (S3 object lock) and its own expiry rules stand behind the
 * sweeper as a backstop; both follow the database on every run.
 */

import { createHash } from 'node:crypto';
import {
  expiryBackstops,
  isRowMaterial,
  MATERIAL_KINDS,
  type MaterialKind,
  planSweep,
  policyLookup,
  type RetainedExam,
  type RetainedObject,
  type RetentionAction,
  type RetentionPolicies,
  type RetentionWindow,
  type RowMaterial,
} from '../domain/retention.ts';
import type { Adapters } from '../platform/adapters.ts';
import { objectPrefix } from '../platform/objects.ts';
import { audit } from '../platform/store/audit.ts';
import { syncStoreHolds } from './holds.ts';
import { changeRows, examsWithHolds, liveObjects, recordDestruction, rowsPending } from './store.ts';

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
  /** Rows erased, anonymised or deleted per exam and material, with the rows changed per table. */
  records: {
    examId: string;
    material: RowMaterial;
    action: RetentionAction;
    dueDay: string;
    late: boolean;
    rows: Record<string, number>;
  }[];
  /** Due, but the object store refused to delete them: kept for the next run, out of the act. */
  failed: { key: string; error: string }[];
  /** The store's expiry rules as set this run; null where the store has none. */
  backstops: { prefix: string; from: string }[] | null;
}

interface LiveObject extends RetainedObject {
  sha256: string;
  examId: string;
}

/** An exam's rows of one material that its policy would still change, keyed `rows:EXAM/MATERIAL`. */
interface ExamRowsUnit extends RetainedObject {
  material: RowMaterial;
  examId: string;
  action: RetentionAction;
}

const ROW_MATERIALS = MATERIAL_KINDS.filter(isRowMaterial);

const isoDay = (w: RetentionWindow) =>
  `${w.day.year}-${String(w.day.month).padStart(2, '0')}-${String(w.day.day).padStart(2, '0')}`;

/** The live objects and exams' rows, their holds and what a sweep at `now` would do with them. */
async function retentionState(deps: Adapters, now: Date, load?: (year: number) => RetentionPolicies) {
  const policyFor = policyLookup(load);
  const rows = await liveObjects(deps.db);
  const holds = new Map(rows.map((r) => [r.objectKey, r.holds]));
  const exams = await examsWithHolds(deps.db);
  const examOf = new Map(
    exams.map((e) => [
      e.examId,
      { date: e.date, timeZone: e.timeZone, kind: e.kind, grade: e.grade } satisfies RetainedExam,
    ]),
  );
  const live: LiveObject[] = rows.map((r) => ({
    key: r.objectKey,
    material: r.material,
    exam: examOf.get(r.examId)!,
    held: r.holds.length > 0,
    sha256: r.sha256,
    examId: r.examId,
  }));
  const units: ExamRowsUnit[] = [];
  for (const e of exams)
    for (const material of ROW_MATERIALS) {
      const exam = examOf.get(e.examId)!;
      const { action } = policyFor(material, exam);
      if (!(await rowsPending(deps.db, e.examId, material, action))) continue;
      const key = `rows:${e.examId}/${material}`;
      holds.set(key, e.holds);
      units.push({ key, material, exam, held: e.holds.length > 0, examId: e.examId, action });
    }
  const plan = planSweep<LiveObject | ExamRowsUnit>([...live, ...units], policyFor, now);
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

const isUnit = (o: LiveObject | ExamRowsUnit): o is ExamRowsUnit => o.key.startsWith('rows:');

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
  const destroy: { object: LiveObject; window: RetentionWindow; late: boolean }[] = [];
  const dueRows: { object: ExamRowsUnit; window: RetentionWindow; late: boolean }[] = [];
  for (const d of plan.destroy) {
    const { object } = d;
    if (isUnit(object)) {
      dueRows.push({ ...d, object });
      continue;
    }
    try {
      await objects.delete(object.key);
      destroy.push({ ...d, object });
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
    records: [],
    failed,
    backstops: backstopsSet ? rules.map((r) => ({ prefix: r.prefix, from: r.from.toISOString() })) : null,
  };
  if (destroy.length === 0 && dueRows.length === 0) return report;
  // One act per run; the policy sets it applied are recorded by content, so the act says which rules held.
  const years = [...new Set([...destroy, ...dueRows].map((d) => Number(d.object.exam.date.slice(0, 4))))];
  report.actId = await db.transaction(async (tx) => {
    for (const d of dueRows) {
      const { examId, material, action } = d.object;
      const rows = await changeRows(tx, examId, material, action);
      if (Object.keys(rows).length > 0)
        report.records.push({ examId, material, action, dueDay: isoDay(d.window), late: d.late, rows });
    }
    if (destroy.length === 0 && report.records.length === 0) return null;
    const actId = await recordDestruction(tx, {
      at: now,
      runBy,
      policySets: years.map((y) => {
        const body = JSON.stringify(policyFor.setOf(y));
        return { year: y, body, sha256: createHash('sha256').update(body).digest('hex') };
      }),
      items: destroy.map((d) => ({
        objectKey: d.object.key,
        sha256: d.object.sha256,
        material: d.object.material,
        dueDay: isoDay(d.window),
        late: d.late,
      })),
      records: report.records,
    });
    await audit(tx, runBy, 'retention.destroy', `act:${actId}`, {
      objects: destroy.length,
      records: report.records.length,
    });
    return actId;
  });
  return report;
}
