/**
 * The blind control sample, on the embedded default and on PostgreSQL: answers read without a doubt, drawn by
 * their form's `controlShare`, wait for a verifier as doubtful ones do, with nothing on the task to tell them
 * apart; the page is final only once they are decided; a control answer corrected is counted as a silent
 * error, and a correction undone no longer is.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../contract/verification.ts';
import { inControlSample } from '../domain/verification.ts';
import { expandForm, personalFields, shippedForms } from '../forms/definitions.ts';
import { type Database, pgliteDatabase } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { folderObjectStore } from '../platform/objects.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { controlCounts, decide, takeNextTask, undoDecision } from '../verification/store.ts';
import { corpusTruth, recogniseCorpus } from './helpers.ts';
import { DATABASES, freshAdapters, undoAfterAll } from './services.ts';

const SHARE = 0.3;
const forms = shippedForms().map((f) => (f.kind === 'answer-sheet-1' ? { ...f, controlShare: SHARE } : f));
const files = corpusFiles();

const undo = undoAfterAll();
const ana = { id: 'verifier-ana', senior: false };
const sofia = { id: 'senior-sofia', senior: true };

/** The corpus's truth of a task's field, as a careful verifier reads it. */
const truthOf = (t: TaskView) => corpusTruth(files, t.pageId, t.field) ?? t.value;

/** Every open task decided by Ana: the value `answer` gives it confirmed if it is the read one, else set. */
async function verifyAll(db: Database, answer: (t: TaskView) => string = truthOf): Promise<void> {
  for (;;) {
    const t = await takeNextTask(db, ana);
    if (!t) return;
    const value = answer(t);
    await decide(
      db,
      forms,
      ana,
      t.id,
      value === t.value ? { action: 'confirm' } : { action: 'correct', value },
    );
  }
}

interface FieldRow {
  page_id: string;
  name: string;
  value: string;
  doubt: string[];
  status: string;
  final_value: string | null;
  form: string;
  image_sha256: string;
  page_index: number;
}

describe.each(DATABASES)('the control sample on %s', (_name, open) => {
  it('sends the drawn answers to verifiers unmarked, holds their pages, and counts what they correct', async () => {
    const deps = await freshAdapters(open, undo, 'rcoi-control');
    const { db } = deps;
    await recogniseCorpus(deps, forms);

    // The drawn fields are exactly the eligible ones the hash draws: handwritten, read without a doubt.
    const fields = await db.query<FieldRow>(
      `select f.page_id, f.name, f.value, f.doubt, f.status, f.final_value, p.form, p.image_sha256, p.page_index
       from fields f join pages p on p.id = f.page_id`,
    );
    const eligible = fields.filter((f) => {
      const def = forms.find((d) => d.id === f.form)!;
      const field = expandForm(def).byName.get(f.name);
      return (
        def.controlShare > 0 &&
        field?.kind === 'cells' &&
        !field.preprinted &&
        !personalFields(def).includes(field.template) &&
        f.doubt.length === 0
      );
    });
    // Each at its form's share: SHARE on the AS1s, the shipped one on the protocol.
    const shareOf = (form: string) => forms.find((d) => d.id === form)!.controlShare;
    const drawn = eligible.filter((f) =>
      inControlSample(`${f.image_sha256}/${f.page_index}/${f.name}`, shareOf(f.form)),
    );
    const tasks = await db.query<{
      id: number;
      page_id: string;
      field: string;
      status: string;
      priority: number;
    }>(
      `select id, page_id, field, status, priority from verification_tasks where control_share is not null order by id`,
    );
    const key = (r: { page_id: string; name?: string; field?: string }) =>
      `${r.page_id} ${r.name ?? r.field}`;
    expect(tasks.map(key).sort()).toEqual(drawn.map(key).sort());
    expect(drawn.length).toBeGreaterThan(5);
    expect(drawn.length).toBeLessThan(eligible.length);
    expect(tasks.every((t) => t.status === 'open')).toBe(true);
    // They wait among the doubts, not behind them all: their places spread over the doubts' priorities.
    const places = tasks.map((t) => t.priority);
    expect(Math.min(...places)).toBeLessThan(0.25);
    expect(Math.max(...places)).toBeGreaterThan(0.25);
    expect(Math.max(...places)).toBeLessThan(0.5);
    // Each waits as a doubtful field does, its reading kept, and its page and sheet are not final before it.
    for (const f of drawn) expect(f).toMatchObject({ doubt: [], status: 'doubtful', final_value: null });
    const waiting = await db.query<{ status: string; sheet: string | null }>(
      `select p.status, s.status as sheet from pages p left join sheets s on s.page_id = p.id
       where p.id = any($1::text[])`,
      [[...new Set(drawn.map((f) => f.page_id))]],
    );
    expect(waiting.every((p) => p.status === 'needs-verification' && p.sheet !== 'final')).toBe(true);

    // Every task is decided with the truth, as a careful verifier would; one control answer the recogniser
    // read right is "corrected" to another digit, as if it had been read wrong.
    const planted = drawn.find(
      (f) => /^\d+$/.test(f.value) && corpusTruth(files, f.page_id, f.name) === f.value,
    )!;
    let plantedTask = 0;
    await verifyAll(db, (t) => {
      // Nothing tells the verifier a control answer from a doubtful one but the absence of a doubt.
      if (tasks.some((c) => c.id === t.id)) expect(t).toMatchObject({ doubt: [], cells: [] });
      if (t.pageId !== planted.page_id || t.field !== planted.name) return truthOf(t);
      plantedTask = t.id;
      return `${(Number(t.value[0]) + 1) % 10}${t.value.slice(1)}`;
    });
    const misread = drawn.filter((f) => f !== planted && corpusTruth(files, f.page_id, f.name) !== f.value);
    const form = planted.form;
    const onForm = (rows: { page_id: string; form: string }[]) => rows.filter((r) => r.form === form).length;
    const expected = {
      form,
      sampled: onForm(drawn),
      decided: onForm(drawn),
      corrected: onForm(misread) + 1,
    };
    expect((await controlCounts(db)).find((c) => c.form === form)).toEqual(expected);
    const [left] = await db.query<{ n: number }>(
      `select count(*)::int as n from pages where status = 'needs-verification'`,
    );
    expect(left?.n).toBe(0);

    // The planted correction undone and confirmed instead: no longer a silent error.
    await undoDecision(db, sofia, plantedTask);
    await decide(db, forms, sofia, plantedTask, { action: 'confirm' });
    expect((await controlCounts(db)).find((c) => c.form === form)).toEqual({
      ...expected,
      corrected: expected.corrected - 1,
    });
  }, 120_000);
});

const BIN = new URL('../bin/rcoi.js', import.meta.url).pathname;

describe('rcoi calibrate thresholds --verified', () => {
  it('replays the season’s verified answers, a control answer standing for those it was drawn from', async () => {
    // The embedded default's own layout, so that the command finds the database and the images.
    const data = mkdtempSync(join(tmpdir(), 'rcoi-verified-'));
    undo(() => rmSync(data, { recursive: true, force: true }));
    const db = await pgliteDatabase(join(data, 'db'));
    await migrate(db);
    await recogniseCorpus({ db, objects: folderObjectStore(join(data, 'objects')) }, forms);
    await verifyAll(db);
    // What recognition did on the form's final pages, among the fields a verifier decided.
    const form = 'ege-as1-2023';
    const cells = new Set(
      expandForm(forms.find((f) => f.id === form)!)
        .fields.filter((f) => f.kind === 'cells' || f.kind === 'link')
        .map((f) => f.name),
    );
    const decided = (
      await db.query<{ name: string; final_value: string; doubted: boolean; share: number | null }>(
        `select f.name, f.final_value, f.doubt <> '{}' as doubted, t.control_share as share
         from fields f join pages p on p.id = f.page_id join verification_tasks t on t.page_id = f.page_id and t.field = f.name
         where p.form = $1 and p.status = 'final' and f.status in ('confirmed', 'corrected')`,
        [form],
      )
    ).filter((f) => cells.has(f.name));
    const [{ n: pages } = { n: 0 }] = await db.query<{ n: number }>(
      `select count(*)::int as n from pages where form = $1 and status = 'final'`,
      [form],
    );
    await db.close();
    const units = (f: { final_value: string }) => Math.max(1, [...f.final_value].length);
    const controls = decided.filter((f) => f.share !== null);
    expect(controls.length).toBeGreaterThan(3);
    const doubtedUnits = decided.filter((f) => f.doubted).reduce((n, f) => n + units(f), 0);
    const acceptedUnits = controls.reduce((n, f) => n + units(f) / SHARE, 0);

    // The embedded default: the database and objects in the data folder, whatever services the suite runs.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|REDIS_URL|RCOI_DATA_DIR|S3_.*)$/.test(k)),
    );
    const run = spawnSync(process.execPath, [BIN, 'calibrate', 'thresholds', '--form', form, '--verified'], {
      env: { ...env, RCOI_DATA_DIR: data },
      encoding: 'utf8',
    });
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain(
      `${pages} final page(s) of ${form} with their verified answers; ${controls.length} control answer(s)`,
    );
    // At the form's own threshold the replay decides as recognition did: the doubted answers verified, the
    // control ones accepted (each for 1/share), none of them wrong.
    const fieldTable = run.stdout.slice(run.stdout.indexOf('characters as recognition decides them'));
    const current = fieldTable.match(/^ +0\.998 \* +(\d+) +(\d+) +[\d.]+% +(\d+) +(\d+) /m);
    expect(current?.slice(1).map(Number)).toEqual([
      Math.round(doubtedUnits + acceptedUnits),
      doubtedUnits,
      Math.round(acceptedUnits),
      0,
    ]);

    const check = await pgliteDatabase(join(data, 'db'));
    try {
      const audited = await check.query<{ actor: string; subject: string; pages: number }>(
        `select actor, subject, (detail->>'pages')::int as pages from audit_events
         where action = 'calibration.verified-answers'`,
      );
      expect(audited).toEqual([{ actor: 'cli', subject: form, pages }]);
    } finally {
      await check.close();
    }
  }, 300_000);
});
