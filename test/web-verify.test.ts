/**
 * The verifier station in chromium, on the demo service with its sample batch recognised: keys act only on a
 * field seen for the dwell and never as a repeat (the browser's clock is paused and moved by hand, so "before
 * the dwell" is a state, not a race); Delete marks a field empty and Enter saves it; Ctrl+Z takes a decision
 * back; field names in Russian and each character's script on a script doubt; leases given back on reload and
 * sign-out, and a verifier's own leases handed back to them first.
 */

import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import { issueUser } from '../platform/store/users.ts';
import { fieldLabel } from '../verification/labels.ts';
import { launchChromium, signInWith } from './browser.ts';
import { type DemoService, startDemo } from './helpers.ts';

let demo: DemoService;
let browser: Browser;
let base: string;
const keys: Record<string, string> = {};
const db = () => demo.service.adapters.db;

beforeAll(async () => {
  demo = await startDemo('rcoi-web-verify-', { RCOI_VERIFY_DWELL_MS: '300' });
  await demo.service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(demo.service.app.server.address() as AddressInfo).port}`;
  for (const id of ['verifier-keys', 'verifier-undo', 'verifier-lease'])
    keys[id] = await issueUser(db(), { id, name: id, role: 'verifier' });
  // A sheet number cannot be empty: it comes last, out of the way of the Delete flow.
  await db().query(`update verification_tasks set priority = 10 where field = $1`, [SHEET_NUMBER_TASK]);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

interface Task {
  id: number;
  field: string;
  value: string;
}

/** Puts an open task matching `where` (on the task t and its field f) first in the queue. */
async function first(where: string, params: unknown[] = []): Promise<Task> {
  const [task] = await db().query<Task>(
    `select t.id::int as id, t.field, f.value from verification_tasks t
     join fields f on f.page_id = t.page_id and f.name = t.field
     where t.status = 'open' and not t.escalated and ${where} order by t.id limit 1`,
    params,
  );
  await db().query('update verification_tasks set priority = -1 where id = $1', [task!.id]);
  return task!;
}

const shownTask = async (page: Page) => Number(await page.locator('[data-task]').getAttribute('data-task'));

/** Waits until the station shows another task than `id` with its image loaded (its dwell begun). */
async function nextAfter(page: Page, id: number): Promise<number> {
  await expect.poll(() => shownTask(page), { timeout: 10_000 }).not.toBe(id);
  await page.locator('[data-phase="dwell"], [data-phase="ready"]').waitFor();
  return shownTask(page);
}

async function taskRow(id: number) {
  const [row] = await db().query<{ status: string; escalated: boolean; decisions: number }>(
    `select status, escalated, (select count(*)::int from corrections c where c.task_id = t.id) as decisions
     from verification_tasks t where id = $1`,
    [id],
  );
  return row;
}

const leasesOf = async (who: string) =>
  (
    await db().query<{ id: number }>(
      `select id::int as id from verification_tasks where status = 'leased' and leased_by = $1 order by id`,
      [who],
    )
  ).map((r) => r.id);

describe('the verifier station in chromium', () => {
  it('lets no key decide a field before its dwell or as a repeat; Delete marks, Enter saves', async () => {
    const script = await first(
      `f.doubt && array['not-of-type', 'ambiguous-script'] and f.value ~ '^[А-ЯЁ]+$'`,
    );
    const page = await signInWith(browser, base, keys['verifier-keys']!, (c) => c.clock.install());
    await page.locator(`[data-task="${script.id}"][data-phase="ready"]`).waitFor();
    const input = page.getByLabel('Исправление');

    // The field's name in Russian, and the script of each character when the doubt is about script.
    await expect(page.getByTestId('field-label').textContent()).resolves.toContain(fieldLabel(script.field));
    expect(fieldLabel(script.field)).toMatch(/^Ответ \d+$/);
    const marks = page.getByTestId('recognised-scripts').locator('small');
    await expect(marks.allTextContents()).resolves.toEqual([...script.value].map(() => 'кир'));
    await input.pressSequentially('Г');
    await expect(page.getByTestId('typed-scripts').locator('small').allTextContents()).resolves.toEqual([
      'кир',
    ]);
    await input.fill('');
    // The crop is never enlarged past twice its pixels.
    const crop = await page
      .locator('.crop img')
      .evaluate((img) => [(img as HTMLImageElement).naturalWidth, img.getBoundingClientRect().width]);
    expect(crop[1]).toBeLessThanOrEqual(crop[0]! * 2);

    // The browser's time stands still from here: only runFor moves it.
    await page.clock.pauseAt(Date.now() + 1000);
    await input.press('Enter');
    // The key is dispatched before its save reaches the database: a loaded machine shows the gap.
    await expect
      .poll(() => taskRow(script.id), { timeout: 10_000 })
      .toMatchObject({ status: 'done', decisions: 1 });
    const unseen = await nextAfter(page, script.id);

    // A second Enter 250 ms after the next field appeared: refused, the field stays undecided.
    await page.clock.runFor(250);
    await input.press('Enter');
    await page.getByText('Поле ещё не просмотрено').waitFor();
    expect(await shownTask(page)).toBe(unseen);
    expect(await taskRow(unseen)).toMatchObject({ status: 'leased', decisions: 0 });

    // A held Enter: its first press before the dwell, its repeat after it; neither decides.
    await input.focus();
    await page.keyboard.down('Enter');
    await page.clock.runFor(100);
    await page.locator('[data-phase="ready"]').waitFor();
    await page.keyboard.down('Enter');
    await page.getByText('Удерживаемая клавиша не считается').waitFor();
    await page.keyboard.up('Enter');
    expect(await shownTask(page)).toBe(unseen);
    expect(await taskRow(unseen)).toMatchObject({ status: 'leased', decisions: 0 });

    // Delete only marks the field empty; Escape takes the mark back (and does not escalate); Enter saves.
    await input.press('Delete');
    await page.getByTestId('marked-empty').waitFor();
    expect(await taskRow(unseen)).toMatchObject({ status: 'leased', decisions: 0 });
    await input.press('Escape');
    await page.getByTestId('marked-empty').waitFor({ state: 'detached' });
    expect(await taskRow(unseen)).toMatchObject({ status: 'leased', escalated: false, decisions: 0 });
    await input.press('Delete');
    await input.press('Enter');
    await nextAfter(page, unseen);
    const [saved] = await db().query<{ action: string; new_value: string }>(
      'select action, new_value from corrections where task_id = $1',
      [unseen],
    );
    expect(saved).toEqual({ action: 'correct', new_value: '' });
    await page.context().close();
  }, 60_000);

  it('takes the last decision back with Ctrl+Z and shows the set-aside field after it', async () => {
    const page = await signInWith(browser, base, keys['verifier-undo']!);
    const input = page.getByLabel('Исправление');
    await page.locator('[data-phase="ready"]').waitFor();
    const decided = await shownTask(page);
    const [before] = await db().query<{ field: string; page_id: string }>(
      'select field, page_id from verification_tasks where id = $1',
      [decided],
    );
    await input.press('Enter');
    const aside = await nextAfter(page, decided);
    await page.getByTestId('today').getByText('Сегодня: 1').waitFor();
    await expect(page.locator('button.undo').textContent()).resolves.toContain(fieldLabel(before!.field));
    await page.locator('[data-phase="ready"]').waitFor();
    await input.press('Control+z');
    await expect.poll(() => shownTask(page)).toBe(decided);
    expect(await taskRow(decided)).toMatchObject({ status: 'leased', decisions: 2 });
    const [field] = await db().query<{ final_value: string | null }>(
      'select final_value from fields where page_id = $1 and name = $2',
      [before!.page_id, before!.field],
    );
    expect(field?.final_value).toBeNull();
    await page.getByTestId('today').getByText('Сегодня: 0').waitFor();
    await expect(page.locator('button.undo').count()).resolves.toBe(0);
    const [audited] = await db().query<{ n: number }>(
      `select count(*)::int as n from audit_events where actor = 'verifier-undo' and action = 'verification.undo'`,
    );
    expect(audited?.n).toBe(1);
    // Decided again, the field taken back gives way to the one it had pushed aside, still leased.
    await page.locator('[data-phase="ready"]').waitFor();
    await input.press('Enter');
    await expect.poll(() => shownTask(page)).toBe(aside);
    await expect
      .poll(() => taskRow(decided), { timeout: 10_000 })
      .toMatchObject({ status: 'done', decisions: 3 });
    await page.context().close();
  }, 60_000);

  it('gives leases back on reload and sign-out, and a verifier their own leases first', async () => {
    const who = 'verifier-lease';
    const page = await signInWith(browser, base, keys[who]!);
    await page.locator('[data-phase="ready"]').waitFor();
    // The field on screen and the one loaded ahead.
    await expect.poll(() => leasesOf(who).then((l) => l.length)).toBe(2);
    await page.reload();
    await page.locator('[data-phase="ready"]').waitFor();
    await expect.poll(() => leasesOf(who).then((l) => l.length)).toBe(2);
    expect(await leasesOf(who)).toContain(await shownTask(page));

    // The release is lost (a network fault, a crash) and nothing else is open: the reload still gets the
    // verifier's own two fields back instead of "nothing to do".
    const held = await leasesOf(who);
    const others = await db().query<{ id: number }>(
      `update verification_tasks set status = 'held' where status = 'open' returning id::int as id`,
    );
    await page.route('**/release', (r) => r.abort());
    await page.reload();
    await page.locator('[data-phase="ready"]').waitFor();
    expect(held).toContain(await shownTask(page));
    await expect.poll(() => leasesOf(who)).toEqual(held);
    await page.unroute('**/release');
    await db().query(`update verification_tasks set status = 'open' where id = any($1::bigint[])`, [
      others.map((o) => o.id),
    ]);

    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.getByLabel('Ключ доступа').waitFor();
    await expect.poll(() => leasesOf(who)).toEqual([]);
    const [released] = await db().query<{ n: number }>(
      `select count(*)::int as n from audit_events where actor = $1 and action = 'verification.release'`,
      [who],
    );
    expect(released?.n).toBeGreaterThanOrEqual(4);
    await page.context().close();
  }, 60_000);
});
