/**
 * The exam's analytics on the chair's station in a real browser (Debian's chromium via playwright-core): the
 * charts drawn inline with one bar per bin or task, the exam point that stands out marked, and a figure
 * downloaded as the CSV the API writes (issue 16 item 8); axe-core finds nothing serious in the panel.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../platform/config.ts';
import { issueUser } from '../platform/store/users.ts';
import { type RunningService, startService } from '../service/run.ts';
import { axeFindings, launchChromium, signInWith } from './browser.ts';
import { seedAnalyticsExam } from './helpers.ts';

let service: RunningService;
let browser: Browser;
let base: string;
let dir: string;
let key: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rcoi-web-analytics-'));
  service = await startService(configFromEnv({ RCOI_DATA_DIR: dir }), { pollMs: 60_000 });
  key = await issueUser(service.adapters.db, { id: 'chair-olga', name: 'Ольга', role: 'chair' });
  await seedAnalyticsExam(service.adapters.db);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the chair's analytics", () => {
  it('draws the distributions and tasks, marks the exam point that stands out, downloads its CSV', async () => {
    const page = await signInWith(browser, base, key);
    await page.goto(`${base}/#/chair`);
    const panel = page.locator('section.analytics');
    await panel.waitFor();
    const bars = (name: string) => panel.getByRole('img', { name, exact: true }).locator('rect.bar');
    await expect(bars('Первичные баллы').count()).resolves.toBe(6);
    await expect(bars('Тестовые баллы').count()).resolves.toBe(11);
    await expect(bars('Доля полных баллов по заданиям, %').count()).resolves.toBe(3);
    await expect(bars('Первичные баллы').nth(5).locator('title').textContent()).resolves.toBe('5: 10');
    const ppe = panel.getByTestId('groups-ППЭ');
    await expect(ppe.locator('tr.stands-out td:first-child').allTextContents()).resolves.toEqual([
      'P1',
      'P2',
    ]);
    await expect(ppe.locator('tr', { hasText: 'P3' }).textContent()).resolves.toContain('мало участников');
    await expect(axeFindings(page)).resolves.toEqual([]);

    const item = panel.locator('.downloads li', { hasText: 'ППЭ' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByRole('button', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('ege-02-analytics-ppe.csv');
    expect(readFileSync((await download.path())!, 'utf8').split('\r\n')[1]).toBe('P1,10,5,3.32,true');
  }, 120_000);
});
