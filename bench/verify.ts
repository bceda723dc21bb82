/**
 * `npm run bench:verify -- [--copies N] [--fields M] [--api]`: the verifier at work, on the embedded default
 * (PGlite, folder store, in-process stages).
 *
 * The committed corpus is ingested N times (default 8, 20 with --api; each copy with a distinct trailer after
 * its image data, so it is stored and recognised as a new scan) to fill the task pool, once; each run starts
 * from a copy of that data. The service holds a rescan's doubts (the sheets are the same); in the browser
 * runs they are opened, so the pool is what N distinct scans of these sheets would give, and groups fill as
 * they do in a real exam's volume.
 *
 * Default: chromium driven as a keyboard verifier over the same doubtful fields in both modes of the station,
 * one by one and in groups. The scripted verifier knows the truth (the generator's values) and, like a
 * careful person, waits until the station takes keys (the dwell it enforces), then types the value where the
 * reading is wrong and confirms with Enter (one Enter per screen in group mode). Prints fields per hour for
 * each mode and the next-screen latency p50/p95: from the decisive Enter to the next field (or group) on
 * screen. The typing itself is instant: a person's typing speed is not modelled, the dwell is.
 *
 * `--api`: the HTTP loop without a browser, as before: `POST /api/verification/next`, the field's image, the
 * decision; prints p50/p95 of next task and of decisions, and tasks per second.
 */

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ingestBatch } from '../intake/ingest.ts';
import { sha256 } from '../pipeline/page-job.ts';
import { configFromEnv } from '../platform/config.ts';
import { queueRecognition } from '../platform/queues.ts';
import { issueUser } from '../platform/store/users.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { DEMO_EXAM, type RunningService, seedDemo, startService } from '../service/run.ts';
import { launchChromium, signInWith } from '../test/browser.ts';
import { corpusTruth } from '../test/helpers.ts';
import { quantile } from './stats.ts';

const { values } = parseArgs({
  options: {
    copies: { type: 'string' },
    fields: { type: 'string' },
    api: { type: 'boolean', default: false },
  },
});
// The browser drives every field through a station three times over: a smaller pool by default.
const copies = Number(values.copies ?? (values.api ? 20 : 8));
const maxFields = values.fields ? Number(values.fields) : Number.POSITIVE_INFINITY;
/** A screen that does not change this long after a key: the station refused or is stuck; the run stops. */
const STUCK_MS = 30_000;

const root = mkdtempSync(join(tmpdir(), 'rcoi-bench-verify-'));
const prepared = join(root, 'prepared');
/** Every ingested file by its hash: a page id names its file's hash, the truth is the original's. */
const byHash = new Map<string, { name: string; bytes: Uint8Array }>();

async function openService(dir: string): Promise<RunningService> {
  return startService(configFromEnv({ RCOI_DATA_DIR: dir }), { pollMs: 3_600_000, concurrency: 2 });
}

async function prepare(): Promise<void> {
  const service = await openService(prepared);
  try {
    await seedDemo(service);
    await service.scan();
    const files = corpusFiles();
    for (const f of files) byHash.set(sha256(f.bytes), f);
    for (let c = 1; c < copies; c++) {
      const copy = files.map((f) => ({
        name: f.name,
        bytes: new Uint8Array(Buffer.concat([f.bytes, Buffer.from(`\nrcoi-bench-copy-${c}`)])),
      }));
      for (const f of copy) byHash.set(sha256(f.bytes), f);
      const batch = await ingestBatch(
        service.adapters,
        { batch: `copy-${c}`, station: 'bench', exam: DEMO_EXAM, declared: {} },
        'upload',
        copy,
      );
      await queueRecognition(service.queues, batch.newPages);
    }
    console.error(`recognising ${copies} copies of the corpus (${files.length} files each) …`);
    await service.idle();
  } finally {
    await service.stop();
  }
}

/** The service on a fresh copy of the prepared data, listening, with a verifier's key. */
async function fromPrepared(name: string) {
  const dir = join(root, name);
  cpSync(prepared, dir, { recursive: true });
  const service = await openService(dir);
  const token = await issueUser(service.adapters.db, {
    id: 'bench-verifier',
    name: 'bench',
    role: 'verifier',
  });
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  return { service, token, base };
}

function truthOf(pageId: string, field: string): string {
  const file = byHash.get(pageId.split('#')[0]!)!;
  return corpusTruth([file], pageId, field) ?? '';
}

interface Run {
  fields: number;
  screens: number;
  keys: number;
  seconds: number;
  /** From the decisive Enter to the next screen, ms. */
  next: number[];
  /** From a screen shown to the station taking keys, ms. */
  dwell: number[];
}

const ms = (xs: number[], q: number) => `${quantile(xs, q).toFixed(0)} ms`;

/** Waits until the screen's `attr` is no longer `was`: the next screen is shown. */
async function changed(page: Page, selector: string, attr: string, was: string | null): Promise<void> {
  await page.waitForFunction(
    ([s, a, w]) => {
      const el = document.querySelector(s!);
      return el !== null && el.getAttribute(a!) !== w;
    },
    [selector, attr, was],
    { timeout: STUCK_MS },
  );
}

/** Waits for the station to take keys: its dwell over (`data-phase="ready"`), or a station without one. */
async function untilReady(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (s) => {
      const phase = document.querySelector(s)?.getAttribute('data-phase');
      return phase === null || phase === 'ready';
    },
    selector,
    { timeout: STUCK_MS },
  );
}

async function refused(page: Page): Promise<void> {
  const error = page.locator('.error');
  if ((await error.count()) > 0) throw new Error(`the station refused: ${await error.first().textContent()}`);
}

/** Who the task on screen is: its page and field, from the store (the station shows no page ids). */
async function taskOf(service: RunningService, id: number) {
  const [task] = await service.adapters.db.query<{ page_id: string; field: string }>(
    'select page_id, field from verification_tasks where id = $1',
    [id],
  );
  return task!;
}

async function oneByOne(page: Page, service: RunningService): Promise<Run> {
  const run: Run = { fields: 0, screens: 0, keys: 0, seconds: 0, next: [], dwell: [] };
  const started = performance.now();
  const screen = 'section[data-task], [data-task="none"]';
  await page.locator(screen).first().waitFor();
  while (run.fields < maxFields) {
    const id = await page.locator(screen).first().getAttribute('data-task');
    if (id === 'none') break;
    const shownAt = performance.now();
    const task = await taskOf(service, Number(id));
    const truth = truthOf(task.page_id, task.field);
    const shown = (await page.getByTestId('recognised').getAttribute('data-value')) ?? '';
    // Delete says the field is empty; otherwise the value is typed where it is wrong, and Enter decides.
    const key = truth === '' && shown !== '' ? 'Delete' : 'Enter';
    if (key === 'Enter' && truth !== shown) {
      await page.keyboard.type(truth);
      run.keys += [...truth].length;
    }
    await untilReady(page, 'section[data-task]');
    run.dwell.push(performance.now() - shownAt);
    let t0 = performance.now();
    await page.keyboard.press(key);
    run.keys++;
    if (key === 'Delete') {
      // A station that marks the field empty first saves it with Enter; an older one saved it at Delete.
      const marked = page.getByTestId('marked-empty');
      await page.waitForFunction(
        ([s, was]) =>
          document.querySelector('[data-testid="marked-empty"]') !== null ||
          document.querySelector(s!)?.getAttribute('data-task') !== was,
        [screen, id],
        { timeout: STUCK_MS },
      );
      if ((await marked.count()) > 0) {
        t0 = performance.now();
        await page.keyboard.press('Enter');
        run.keys++;
      }
    }
    await changed(page, screen, 'data-task', id).catch(async (err) => {
      await refused(page);
      throw err;
    });
    run.next.push(performance.now() - t0);
    run.fields++;
    run.screens++;
  }
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

async function inGroups(page: Page, service: RunningService): Promise<Run> {
  const run: Run = { fields: 0, screens: 0, keys: 0, seconds: 0, next: [], dwell: [] };
  const started = performance.now();
  const screen = 'section[data-group], [data-group="none"]';
  await page.locator(screen).first().waitFor();
  while (run.fields < maxFields) {
    const group = await page.locator(screen).first().getAttribute('data-group');
    if (group === 'none') break;
    const cards = page.locator('section[data-group] [data-task]');
    const ids = await cards.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-task'))));
    // A person reads every crop while the dwell runs: the typing happens within it.
    const shownAt = performance.now();
    for (const [i, id] of ids.entries()) {
      if (i > 0) {
        await page.keyboard.press('ArrowDown');
        run.keys++;
      }
      const task = await taskOf(service, id);
      const truth = truthOf(task.page_id, task.field);
      const shown = (await cards.nth(i).locator('[data-value]').getAttribute('data-value')) ?? '';
      if (truth === '' && shown !== '') {
        await page.keyboard.press('Delete');
        run.keys++;
      } else if (truth !== shown) {
        await page.keyboard.type(truth);
        run.keys += [...truth].length;
      }
    }
    await untilReady(page, 'section[data-group]');
    run.dwell.push(performance.now() - shownAt);
    const t0 = performance.now();
    await page.keyboard.press('Enter');
    run.keys++;
    await changed(page, screen, 'data-group', group).catch(async (err) => {
      await refused(page);
      throw err;
    });
    await refused(page);
    run.next.push(performance.now() - t0);
    run.fields += ids.length;
    run.screens++;
  }
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

/** Opens the doubts the service holds as rescans': N copies' worth of fields to verify. */
async function openRescans(): Promise<void> {
  const service = await openService(prepared);
  try {
    await service.adapters.db.query(`update verification_tasks set status = 'open' where status = 'held'`);
  } finally {
    await service.stop();
  }
}

async function browserRuns(): Promise<void> {
  await openRescans();
  const browser = await launchChromium();
  const runs: [string, Run][] = [];
  try {
    for (const [mode, hash, work] of [
      ['one by one', '#/verify', oneByOne],
      ['group, by character', '#/verify/group', inGroups],
      ['group, by field', '#/verify/group/field', inGroups],
    ] as const) {
      const { service, token, base } = await fromPrepared(mode.replace(/\W+/g, '-'));
      try {
        const page = await signInWith(browser, `${base}/${hash}`, token);
        console.error(`${mode} …`);
        runs.push([mode, await work(page, service)]);
        await page.context().close();
      } finally {
        await service.stop();
      }
    }
  } finally {
    await browser.close();
  }
  console.log(
    `bench:verify: ${copies} copies of the corpus, chromium, embedded default, ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? '?'}`);
  console.log('');
  console.log(
    '| mode | fields | screens | fields/hour | next screen p50 | next screen p95 | dwell waited p50 | keys/field |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [mode, r] of runs)
    console.log(
      `| ${mode} | ${r.fields} | ${r.screens} | ${Math.round((r.fields / r.seconds) * 3600)} | ${ms(r.next, 0.5)} | ${ms(r.next, 0.95)} | ${ms(r.dwell, 0.5)} | ${(r.keys / Math.max(1, r.fields)).toFixed(2)} |`,
    );
  console.log('');
  console.log(
    'next screen = from the deciding Enter to the next field or group on screen; dwell waited = from a screen shown ' +
      'to the station taking keys (group mode: the crops are read and typed within it); typing is instant',
  );
}

/** The HTTP loop as the station calls it, without a browser. */
async function apiRun(): Promise<void> {
  const { service, token, base } = await fromPrepared('api');
  try {
    const headers = { authorization: `Bearer ${token}` };
    const next: number[] = [];
    const decisions: number[] = [];
    const started = performance.now();
    while (next.length < maxFields) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/verification/next`, { method: 'POST', headers });
      if (res.status === 204) break;
      const task = (await res.json()) as { id: number; value: string };
      const image = await fetch(`${base}/api/verification/tasks/${task.id}/image`, { headers });
      await image.arrayBuffer();
      const t1 = performance.now();
      next.push(t1 - t0);
      // Confirm, or escalate what cannot be confirmed (an unread sheet number): a senior's work, not timed here.
      let decided = await fetch(`${base}/api/verification/tasks/${task.id}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'confirm' }),
      });
      if (decided.status === 422)
        decided = await fetch(`${base}/api/verification/tasks/${task.id}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'escalate' }),
        });
      await decided.arrayBuffer();
      decisions.push(performance.now() - t1);
    }
    const seconds = (performance.now() - started) / 1000;
    const ms1 = (xs: number[], q: number) => quantile(xs, q).toFixed(1);
    console.log(
      `bench:verify --api: ${copies} copies of the corpus, embedded default, ${new Date().toISOString().slice(0, 10)}`,
    );
    console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? '?'}`);
    console.log('');
    console.log('| tasks | next task p50 | next task p95 | decision p50 | decision p95 | tasks/s |');
    console.log('|---|---|---|---|---|---|');
    console.log(
      `| ${next.length} | ${ms1(next, 0.5)} ms | ${ms1(next, 0.95)} ms | ${ms1(decisions, 0.5)} ms | ${ms1(decisions, 0.95)} ms | ${(next.length / seconds).toFixed(1)} |`,
    );
    console.log('');
    console.log('next task = POST /api/verification/next + GET the field image; target p95 <= 150 ms');
  } finally {
    await service.stop();
  }
}

try {
  await prepare();
  await (values.api ? apiRun() : browserRuns());
} finally {
  rmSync(root, { recursive: true, force: true });
}
