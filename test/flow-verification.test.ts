/**
 * Verification on recognised pages, on the embedded default and on PostgreSQL: most doubtful first, never one
 * task to two verifiers, corrections only within the field's symbols, escalation to seniors, leases that run
 * out, every decision audited, and a page final (its derived fields recomputed) when its last task closes.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { shippedForms } from '../forms/definitions.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import type { Adapters } from '../platform/adapters.ts';
import { type Database, pgliteDatabase, postgresDatabase } from '../platform/db.ts';
import { fieldCrop } from '../platform/images.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore } from '../platform/objects.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import {
  decide,
  leasedTaskField,
  releaseTask,
  stationCounts,
  takeNextTask,
  undoDecision,
  VerificationError,
} from '../verification/store.ts';
import { corpusTruth, recogniseCorpus } from './helpers.ts';
import { freshPostgresDatabase } from './services.ts';

const forms = shippedForms();
const files = corpusFiles();

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function recognisedCorpus(db: Database): Promise<Adapters> {
  const dir = mkdtempSync(join(tmpdir(), 'rcoi-verify-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const deps = { db, objects: folderObjectStore(dir) };
  await migrate(db);
  await recogniseCorpus(deps, forms);
  return deps;
}

const backends: [string, () => Promise<Database>][] = [
  [
    'PGlite',
    async () => {
      const db = await pgliteDatabase();
      cleanup.push(() => db.close());
      return db;
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const db = postgresDatabase(await freshPostgresDatabase());
      cleanup.push(() => db.close());
      return db;
    },
  ],
];

const ana = { id: 'verifier-ana', senior: false };
const boris = { id: 'verifier-boris', senior: false };
const sofia = { id: 'senior-sofia', senior: true };

describe.each(backends)('verification on %s', (_name, open) => {
  it('hands out the most doubtful first, each task once, and ends with final pages', async () => {
    const db = await open();
    await recognisedCorpus(db);
    const [{ n: total } = { n: 0 }] = await db.query<{ n: number }>(
      'select count(*)::int as n from verification_tasks',
    );
    expect(total).toBeGreaterThan(20);

    // Ten verifiers at once: ten different tasks.
    const taken = await Promise.all(
      Array.from({ length: 10 }, (_, i) => takeNextTask(db, { id: `v${i}`, senior: false })),
    );
    const ids = taken.map((t) => t!.id);
    expect(new Set(ids).size).toBe(10);
    const priorities = await db.query<{ priority: number }>(
      `select priority from verification_tasks where id = any($1::bigint[]) order by priority`,
      [ids],
    );
    const [{ least } = { least: 0 }] = await db.query<{ least: number }>(
      `select max(priority) as least from (select priority from verification_tasks order by priority, id limit 10) t`,
    );
    expect(priorities.at(-1)?.priority).toBeLessThanOrEqual(least);

    // A value outside the field's symbols is refused, and so is a task leased to someone else.
    const first = taken[0]!;
    await expect(
      decide(db, forms, boris, first.id, {
        action: 'correct',
        value: corpusTruth(files, first.pageId, first.field) ?? '',
      }),
    ).rejects.toMatchObject({ code: 'not-yours' });
    const badValue = first.field === SHEET_NUMBER_TASK ? '123' : '§';
    await expect(
      decide(db, forms, { id: 'v0', senior: false }, first.id, { action: 'correct', value: badValue }),
    ).rejects.toBeInstanceOf(VerificationError);

    // Every task answered with the truth, as a careful verifier would.
    let finals = 0;
    for (const [i, t] of taken.entries()) {
      if (!t) continue;
      const truth = corpusTruth(files, t.pageId, t.field) ?? t.value;
      const out = await decide(db, forms, { id: `v${i}`, senior: false }, t.id, {
        action: truth === t.value ? 'confirm' : 'correct',
        value: truth,
      });
      if (out.pageFinal) finals++;
    }
    const seen = taken.filter((t) => t !== null);
    for (;;) {
      const t = await takeNextTask(db, ana);
      if (!t) break;
      seen.push(t);
      const truth = corpusTruth(files, t.pageId, t.field) ?? t.value;
      const out = await decide(db, forms, ana, t.id, { action: 'correct', value: truth });
      if (out.pageFinal) finals++;
    }
    // A task for a doubtful character names the cells in doubt, each with its reason.
    const characterDoubts = ['low-confidence-character', 'ambiguous-script', 'not-of-type'];
    const characterTasks = seen.filter((t) => t.doubt.some((d) => characterDoubts.includes(d)));
    expect(characterTasks.length).toBeGreaterThan(0);
    for (const t of characterTasks) {
      expect(t.cells.length).toBeGreaterThan(0);
      for (const c of t.cells) expect(t.doubt).toContain(c.reason);
    }
    const pages = await db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from pages group by status order by status`,
    );
    expect(pages).toEqual([
      { status: 'final', n: finals },
      { status: 'recognised', n: 4 },
      { status: 'rejected', n: 2 },
    ]);

    // Verified values are the truth, derived results included; nothing is left without a final value.
    const rows = await db.query<{ page_id: string; name: string; final_value: string | null }>(
      `select f.page_id, f.name, f.final_value from fields f join pages p on p.id = f.page_id
       where p.status = 'final'`,
    );
    expect(rows.filter((r) => r.final_value === null)).toEqual([]);
    const wrong = rows.filter((r) => {
      const truth = corpusTruth(files, r.page_id, r.name.replace(/^result\./, 'answer.'));
      return !r.name.startsWith('result.') && truth !== undefined && truth !== r.final_value;
    });
    expect(wrong).toEqual([]);
    const [sheets] = await db.query<{ n: number }>(
      `select count(*)::int as n from sheets where status = 'final'`,
    );
    expect(sheets?.n).toBe(finals + 4);

    // Every decision is recorded and audited: who, when, old and new.
    const [c] = await db.query<{ corrections: number; audits: number }>(
      `select (select count(*)::int from corrections) as corrections,
              (select count(*)::int from audit_events where action like 'verification.c%') as audits`,
    );
    expect(c).toEqual({ corrections: total, audits: total });
  }, 120_000);

  it('makes a page final when its last tasks are decided at the same moment by different verifiers', async () => {
    // bench:season found pages whose tasks were all done but which never became final: each of two
    // verifiers deciding a page's last two tasks at once saw the other's task still leased.
    const db = await open();
    await recognisedCorpus(db);
    const leased = [];
    for (let i = 0; ; i++) {
      const t = await takeNextTask(db, { id: `v${i}`, senior: false });
      if (!t) break;
      leased.push({ verifier: { id: `v${i}`, senior: false }, task: t });
    }
    expect(new Set(leased.map((l) => l.task.pageId)).size).toBeLessThan(leased.length);
    await Promise.all(
      leased.map(({ verifier, task }) =>
        decide(db, forms, verifier, task.id, {
          action: 'correct',
          value: corpusTruth(files, task.pageId, task.field) ?? task.value,
        }),
      ),
    );
    const stuck = await db.query<{ id: string }>(
      `select id from pages p where status = 'needs-verification'
         and not exists (select 1 from verification_tasks t where t.page_id = p.id and t.status <> 'done')`,
    );
    expect(stuck).toEqual([]);
    const [left] = await db.query<{ n: number }>(
      `select count(*)::int as n from pages where status = 'needs-verification'`,
    );
    expect(left?.n).toBe(0);
  }, 120_000);

  it('sends an escalated task to senior verifiers only, and gives back a lease that ran out', async () => {
    const db = await open();
    await recognisedCorpus(db);
    const t0 = new Date('2026-06-02T09:00:00Z');
    const task = (await takeNextTask(db, ana, t0, 60_000))!;
    await decide(db, forms, ana, task.id, { action: 'escalate' }, t0);
    const next = (await takeNextTask(db, boris, t0))!;
    expect(next.id).not.toBe(task.id);
    const senior = (await takeNextTask(db, sofia, t0))!;
    expect(senior.id).toBe(task.id);
    await expect(decide(db, forms, sofia, task.id, { action: 'escalate' }, t0)).rejects.toMatchObject({
      code: 'not-allowed',
    });
    // Boris walks away from his task; after the lease Ana gets it, and Boris may no longer decide it.
    const later = new Date(t0.getTime() + 11 * 60_000);
    const reclaimed = (await takeNextTask(db, ana, later))!;
    expect(reclaimed.id).toBe(next.id);
    await expect(decide(db, forms, boris, next.id, { action: 'confirm' }, later)).rejects.toMatchObject({
      code: 'not-yours',
    });
    const value = corpusTruth(files, task.pageId, task.field) ?? task.value;
    // The field's image is shown only to the lessee, only while the lease runs, and never once decided.
    expect(await leasedTaskField(db, sofia.id, task.id, t0)).toEqual({
      pageId: task.pageId,
      field: task.field,
    });
    await expect(leasedTaskField(db, ana.id, task.id, t0)).rejects.toMatchObject({ code: 'not-yours' });
    await expect(leasedTaskField(db, boris.id, next.id, later)).rejects.toMatchObject({ code: 'not-yours' });
    await decide(db, forms, sofia, task.id, { action: 'correct', value }, t0);
    await expect(leasedTaskField(db, sofia.id, task.id, t0)).rejects.toMatchObject({ code: 'not-yours' });
    await expect(leasedTaskField(db, sofia.id, 999_999, t0)).rejects.toMatchObject({ code: 'no-such-task' });
    const log = await db.query<{ action: string; actor: string }>(
      `select action, actor from corrections where task_id = $1 order by id`,
      [task.id],
    );
    expect(log).toEqual([
      { action: 'escalate', actor: ana.id },
      { action: 'correct', actor: sofia.id },
    ]);
  });

  it('gives a station its own leases back, releases, undoes and counts, audited', async () => {
    const db = await open();
    await recognisedCorpus(db);
    const t0 = new Date();
    const first = (await takeNextTask(db, ana, t0))!;
    // A reload holds nothing: Ana gets her own leased field back; a station holding it gets another.
    expect((await takeNextTask(db, ana, t0))!.id).toBe(first.id);
    const second = (await takeNextTask(db, ana, t0, undefined, [first.id]))!;
    expect(second.id).not.toBe(first.id);
    // Released (a sign-out): open again at once, for anyone; only the lessee releases.
    expect(await releaseTask(db, boris.id, first.id, t0)).toBe(false);
    expect(await releaseTask(db, ana.id, first.id, t0)).toBe(true);
    expect(await releaseTask(db, ana.id, first.id, t0)).toBe(false);
    expect((await takeNextTask(db, boris, t0))!.id).toBe(first.id);

    // Undo: the field undecided again, the task back on Ana's screen; only once, only hers.
    const truth = corpusTruth(files, second.pageId, second.field) ?? second.value;
    const out = await decide(db, forms, ana, second.id, { action: 'correct', value: truth }, t0);
    expect(out.pageFinal).toBe(false);
    await expect(undoDecision(db, boris, second.id, t0)).rejects.toMatchObject({ code: 'not-yours' });
    const back = await undoDecision(db, ana, second.id, t0);
    expect(back).toMatchObject({ id: second.id, field: second.field, value: second.value });
    const [task] = await db.query<{ status: string; leased_by: string }>(
      'select status, leased_by from verification_tasks where id = $1',
      [second.id],
    );
    expect(task).toEqual({ status: 'leased', leased_by: ana.id });
    if (second.field !== SHEET_NUMBER_TASK) {
      const [field] = await db.query<{ final_value: string | null; status: string }>(
        'select final_value, status from fields where page_id = $1 and name = $2',
        [second.pageId, second.field],
      );
      expect(field).toEqual({ final_value: null, status: 'doubtful' });
    }
    await expect(undoDecision(db, ana, second.id, t0)).rejects.toMatchObject({ code: 'conflict' });
    // An escalation is taken back while no senior has the task.
    await decide(db, forms, ana, second.id, { action: 'escalate' }, t0);
    expect((await undoDecision(db, ana, second.id, t0)).id).toBe(second.id);
    const [unescalated] = await db.query<{ escalated: boolean }>(
      'select escalated from verification_tasks where id = $1',
      [second.id],
    );
    expect(unescalated?.escalated).toBe(false);
    await decide(db, forms, ana, second.id, { action: 'correct', value: truth }, t0);

    // Every field has its name in Russian.
    expect(first.label).toMatch(/^[А-ЯЁ]/u);
    expect(second.label).toMatch(/^[А-ЯЁ]/u);

    // Counts: Ana made three decisions and undid two; what is left excludes her decided field.
    const since = new Date(t0.getTime() - 60_000);
    const counts = await stationCounts(db, ana, since, new Date(t0.getTime() + 1000));
    expect(counts).toMatchObject({ doneToday: 1, lastHour: 1 });
    const [{ n: left } = { n: 0 }] = await db.query<{ n: number }>(
      `select count(*)::int as n from verification_tasks where status <> 'done' and not escalated`,
    );
    expect(counts.left).toBe(left - 1);
    const audits = await db.query<{ action: string }>(
      `select action from audit_events where actor = $1 and action in
         ('verification.undo', 'verification.release') order by id`,
      [ana.id],
    );
    expect(audits.map((a) => a.action)).toEqual([
      'verification.release',
      'verification.undo',
      'verification.undo',
    ]);

    // A page made final by its last decision: Ana may not undo it, a senior may, until its sheet is used.
    const single = await db.query<{ id: number; page_id: string; field: string }>(
      `select t.id::int as id, t.page_id, t.field from verification_tasks t join pages p on p.id = t.page_id
       where p.sheet_number is not null and t.status = 'open' and not t.escalated
         and (select count(*) from verification_tasks u where u.page_id = t.page_id) = 1
       order by t.id`,
    );
    expect(single.length).toBeGreaterThan(1);
    const finalPage = async (row: { id: number; page_id: string; field: string }) => {
      await db.query(
        `update verification_tasks set status = 'leased', leased_by = $2, leased_until = $3 where id = $1`,
        [row.id, ana.id, new Date(t0.getTime() + 60_000)],
      );
      const value = corpusTruth(files, row.page_id, row.field) ?? '';
      const action =
        row.field === SHEET_NUMBER_TASK
          ? { action: 'confirm' as const }
          : { action: 'correct' as const, value };
      expect((await decide(db, forms, ana, row.id, action, t0)).pageFinal).toBe(true);
    };
    const [one, two] = single as [(typeof single)[0], (typeof single)[0]];
    await finalPage(one);
    await expect(undoDecision(db, ana, one.id, t0)).rejects.toMatchObject({ code: 'not-allowed' });
    await undoDecision(db, sofia, one.id, t0);
    const statuses = await db.query<{ page: string; sheet: string | null }>(
      `select p.status as page, s.status as sheet from pages p left join sheets s on s.page_id = p.id
       where p.id = $1`,
      [one.page_id],
    );
    expect(statuses).toEqual([{ page: 'needs-verification', sheet: 'needs-verification' }]);
    await decide(db, forms, sofia, one.id, { action: 'confirm' }, t0);
    await finalPage(two);
    const [sheet] = await db.query<{ sheet_number: string }>('select sheet_number from pages where id = $1', [
      two.page_id,
    ]);
    await db.query(`insert into works (id, status) values ('W-UNDO', 'complete')`);
    await db.query(`insert into work_sheets (work_id, sheet_number, role) values ('W-UNDO', $1, 'as1')`, [
      sheet!.sheet_number,
    ]);
    await expect(undoDecision(db, sofia, two.id, t0)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('crops a field with its surroundings and the sheet number with its printed digits', async () => {
    const db = await open();
    const deps = await recognisedCorpus(db);
    const [page] = await db.query<{ id: string }>(
      `select id from pages where form = 'ege-as1-2023' and status <> 'rejected' order by id limit 1`,
    );
    const size = async (field: string) => {
      const png = await fieldCrop(deps, forms, page!.id, field);
      const meta = await sharp(png!).metadata();
      return { w: meta.width, h: meta.height };
    };
    // 8 px/mm: the barcode (10.17 mm high) and its digit row (0.6 + 2.8 mm) with 3 mm above and below.
    expect((await size(SHEET_NUMBER_TASK)).h).toBeGreaterThanOrEqual(Math.floor((10.17 + 3.4 + 6) * 8));
    // A one-cell field is shown inside at least 40 x 14 mm of its sheet.
    expect(await size('replacement_count')).toEqual({ w: 320, h: 112 });
  });
});
