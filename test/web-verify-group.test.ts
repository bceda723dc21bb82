/**
 * Group verification in chromium on the demo service: a group of one kind on one screen, a key that acts only
 * once the group has been on screen for its dwell and never by repeating, one Enter for the whole screen, the
 * crops picked out getting their typed values or going to the one-by-one station, every decision audited.
 */

import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFiles } from '../samples/make-corpus.ts';
import { launchChromium, signInWith } from './browser.ts';
import { corpusTruth, type DemoService, startDemo } from './helpers.ts';

const SHOTS = process.env.RCOI_SCREENSHOTS ?? 'out/screenshots';
const files = corpusFiles();
let demo: DemoService;
let browser: Browser;
let base: string;

beforeAll(async () => {
  // Long enough per crop that the key pressed at once surely comes before it.
  demo = await startDemo('rcoi-web-group-', { RCOI_GROUP_DWELL_MS: '1500' });
  await demo.service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(demo.service.app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

interface Shown {
  group: string;
  tasks: { id: number; pageId: string; field: string; value: string; truth: string }[];
}

/** The group on screen, with the truth of each crop (the generator's value: what the verifier sees). */
async function shown(page: Page): Promise<Shown> {
  const section = page.locator('section[data-group]');
  const group = (await section.getAttribute('data-group'))!;
  const ids = await section
    .locator('[data-task]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-task'))));
  const rows = await demo.service.adapters.db.query<{ id: number; page_id: string; field: string }>(
    'select id, page_id, field from verification_tasks where id = any($1::bigint[])',
    [ids],
  );
  const tasks = [];
  for (const id of ids) {
    const row = rows.find((r) => r.id === id)!;
    const value =
      (await section.locator(`[data-task="${id}"] [data-value]`).getAttribute('data-value')) ?? '';
    tasks.push({
      id,
      pageId: row.page_id,
      field: row.field,
      value,
      truth: corpusTruth(files, row.page_id, row.field) ?? '',
    });
  }
  return { group, tasks };
}

const decisionsOn = (ids: number[]) =>
  demo.service.adapters.db.query<{ task_id: number; action: string; new_value: string }>(
    'select task_id, action, new_value from corrections where task_id = any($1::bigint[]) order by task_id',
    [ids],
  );

describe('group verification in chromium', () => {
  it('decides a whole screen with one key, only after its dwell, with the wrong crops picked out', async () => {
    // Opened in group mode: the one-by-one station leases nothing first.
    const page = await signInWith(browser, `${base}/#/verify/group/field`, demo.tokens['demo-verifier']!);
    await page.locator('section[data-group][data-phase="dwell"]').waitFor();
    const first = await shown(page);
    expect(first.tasks.length).toBeGreaterThan(0);

    // Enter at once: the group has not been on screen for its dwell, so nothing is decided.
    await page.keyboard.press('Enter');
    await page.locator('[data-notice="early"]').waitFor();
    await expect(page.locator('section[data-group]').getAttribute('data-group')).resolves.toBe(first.group);
    await expect(decisionsOn(first.tasks.map((t) => t.id))).resolves.toEqual([]);

    // As a verifier: each wrong crop gets the value on its image, the first one is typed in any case.
    for (const [i, t] of first.tasks.entries()) {
      if (i > 0) await page.keyboard.press('ArrowDown');
      if (t.truth === '' && t.value !== '') await page.keyboard.press('Delete');
      else if (t.truth !== t.value || i === 0) await page.keyboard.type(t.truth);
    }
    await shot(page, 'verify-group');
    await page.locator('section[data-group][data-phase="ready"]').waitFor();
    // Held down from here: the first press decides, its repeats on the next screen do not.
    await page.keyboard.down('Enter');
    await expect
      .poll(() => page.locator('section[data-group]').getAttribute('data-group'))
      .not.toBe(first.group);
    const decided = await decisionsOn(first.tasks.map((t) => t.id));
    expect(decided).toEqual(
      first.tasks
        .map((t, i) => ({
          task_id: t.id,
          action: t.truth !== t.value || i === 0 ? 'correct' : 'confirm',
          new_value: t.truth,
        }))
        .sort((a, b) => a.task_id - b.task_id),
    );

    const second = await shown(page);
    await page.locator('section[data-group][data-phase="ready"]').waitFor();
    await page.keyboard.down('Enter');
    await page.locator('[data-notice="held"]').waitFor();
    await expect(page.locator('section[data-group]').getAttribute('data-group')).resolves.toBe(second.group);
    await expect(decisionsOn(second.tasks.map((t) => t.id))).resolves.toEqual([]);
    await page.keyboard.up('Enter');

    // Esc sends the first crop to the one-by-one station; the rest are confirmed or corrected with one key.
    await page.keyboard.press('Escape');
    for (const [i, t] of second.tasks.entries()) {
      if (i === 0) continue;
      await page.keyboard.press('ArrowDown');
      if (t.truth === '' && t.value !== '') await page.keyboard.press('Delete');
      else if (t.truth !== t.value) await page.keyboard.type(t.truth);
    }
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-group]').getAttribute('data-group')).not.toBe(second.group);
    const [solo] = await demo.service.adapters.db.query<{ status: string; solo: boolean }>(
      'select status, solo from verification_tasks where id = $1',
      [second.tasks[0]!.id],
    );
    expect(solo).toEqual({ status: 'open', solo: true });
    const rest = second.tasks.slice(1);
    await expect(decisionsOn(rest.map((t) => t.id))).resolves.toHaveLength(rest.length);

    // Every decision is audited on its own, the field sent to one-by-one too.
    const all = [...first.tasks, ...second.tasks];
    const audited = await demo.service.adapters.db.query<{ subject: string; action: string }>(
      `select subject, action from audit_events where actor = 'demo-verifier' and action like 'verification.%'
         and action <> 'verification.take'
       order by id`,
    );
    expect(audited.map((a) => a.subject).sort()).toEqual(all.map((t) => `${t.pageId}/${t.field}`).sort());
    expect(audited.filter((a) => a.action === 'verification.solo')).toHaveLength(1);
    await expect(page.getByTestId('rate').textContent()).resolves.toBe(
      `Проверено за час: ${first.tasks.length + rest.length}`,
    );

    // The station closes (a reload, another page): the groups it holds, on screen and loaded ahead, go back.
    const leased = () =>
      demo.service.adapters.db
        .query<{ n: number }>(
          `select count(*)::int as n from verification_tasks where status = 'leased' and leased_by = 'demo-verifier'`,
        )
        .then((r) => r[0]!.n);
    expect(await leased()).toBeGreaterThan(0);
    await page.goto('about:blank');
    await expect.poll(leased).toBe(0);
    await page.context().close();
  }, 180_000);
});

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
