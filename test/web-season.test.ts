/**
 * Issue 16's season on the stations in a real browser (Debian's chromium via playwright-core), so that a chair
 * and an administrator need no curl: what is past the regulation's deadlines (road map L408: the appeal's
 * entry into the regional system within a day of its filing; road map L415, L444: checks due a day before the
 * default processing deadline of 10 days), an appeal's step marked done and the conflict commission's
 * decision recorded (order L127-L129); an exam's results computed with what changed and listed with why
 * they are incomplete; the regional system's export imported, a bad row's errors shown in Russian first.
 * axe-core finds nothing serious on the new panels.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openChecks,
  registerAppeal,
  registerExpert,
  shippedRules,
  submitScores,
  takeNextCheck,
} from '../checking/store.ts';
import { configFromEnv } from '../platform/config.ts';
import type { Database } from '../platform/db.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { type RunningService, startService } from '../service/run.ts';
import { axeFindings, launchChromium, signInWith } from './browser.ts';
import { ANALYTICS_EXAM, ELIGIBLE, MOSCOW_EGE_02, seedAnalyticsExam } from './helpers.ts';

const root = new URL('..', import.meta.url);
const MAPPING = new URL('calibration/regional/2026/38-ege.json', root).pathname;
/** A sample export's file as the file picker takes it. */
const sample = (name: string, text?: string) => ({
  name,
  mimeType: 'application/octet-stream',
  buffer: text === undefined ? readFileSync(new URL(`samples/regional/${name}`, root)) : Buffer.from(text),
});

let service: RunningService;
let browser: Browser;
let base: string;
let dir: string;
const keys: Record<string, string> = {};

/** Works of the demo exam routed to checking: each opens its first and second checks. */
async function routed(db: Database, id: string) {
  await db.query(`insert into works (id, exam_id, status, route) values ($1, $2, 'complete', 'checking')`, [
    id,
    MOSCOW_EGE_02.id,
  ]);
  await db.transaction((tx) => openChecks(tx, shippedRules(), id, 'checking'));
}

/**
 * An appeal filed on 1 June on a work two experts scored alike, re-checked by a senior expert: its entry into
 * the regional system was due on 2 June and is overdue; its hearing is to be recorded. One more work's first
 * and second checks are unscored long after the exam's default deadline.
 */
async function seedAppeal(db: Database) {
  const zero = Object.fromEntries(['13', '14', '15', '16', '17', '18', '19'].map((t) => [t, 0]));
  for (const [userId, status] of [
    ['anna', 'main'],
    ['boris', 'main'],
    ['sergei', 'senior'],
  ] as const) {
    await issueUser(db, { id: userId, name: userId, role: 'expert' });
    await registerExpert(db, { userId, year: 2026, subjectCode: '02', status, ...ELIGIBLE });
  }
  // An appeal goes to an expert who did first or second checks this year: sergei checks another work.
  await routed(db, 'W-APPEAL');
  await routed(db, 'W-OTHER');
  for (const who of ['anna', 'boris', 'sergei', 'anna'])
    await submitScores(db, shippedRules(), who, (await takeNextCheck(db, who))!, zero);
  await registerAppeal(db, shippedRules(), 'W-APPEAL', 'chair-olga', 'задание 13', '2026-06-01');
  await submitScores(db, shippedRules(), 'sergei', (await takeNextCheck(db, 'sergei'))!, {
    ...zero,
    '13': 2,
  });
  await routed(db, 'W-LATE');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rcoi-web-season-'));
  service = await startService(configFromEnv({ RCOI_DATA_DIR: dir }), { pollMs: 60_000 });
  const db = service.adapters.db;
  keys.chair = await issueUser(db, { id: 'chair-olga', name: 'Ольга', role: 'chair' });
  keys.admin = await issueUser(db, { id: 'admin-ivan', name: 'Иван', role: 'admin' });
  await registerExam(db, MOSCOW_EGE_02);
  await seedAnalyticsExam(db);
  await seedAppeal(db);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Answers the confirmation dialog with its step's own button. */
const confirm = (page: Page, yes: string) =>
  page.getByRole('alertdialog').getByRole('button', { name: yes, exact: true }).click();

const rowTexts = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((rows) => rows.map((r) => r.textContent));

describe("the chair's appeals on the regulation's clock", () => {
  it('road map L408, L415: lists what is overdue; order L127: marks a step done and records the decision', async () => {
    const page = await signInWith(browser, base, keys.chair!);
    await page.goto(`${base}/#/chair`);
    const overdue = page.locator('section.overdue');
    await overdue.waitFor();
    await expect(rowTexts(page, 'section.overdue tbody tr')).resolves.toEqual([
      '№ 1W-APPEALапелляция внесена в РИСРЦОИдорожная карта, стр. 4082026-06-02',
      `${MOSCOW_EGE_02.id}2026-06-11 (по регламенту: срок экзамену не задан)2026-06-102`,
    ]);
    await expect(overdue.locator('td.error').count()).resolves.toBe(2);

    await page.getByRole('button', { name: 'Шаги № 1' }).click();
    const appeal = page.locator('section.appeal');
    const entry = appeal.locator('tbody tr', { hasText: 'апелляция внесена в РИС' });
    await expect(entry.locator('td.error').textContent()).resolves.toBe('просрочен');
    await appeal.getByLabel('Выполнено в день').fill('2026-06-03');
    await entry.getByRole('button', { name: 'Выполнен' }).click();
    await confirm(page, 'Отметить выполненным');
    await expect
      .poll(() => entry.locator('td').nth(4).textContent())
      .toBe('выполнен с опозданием 2026-06-03');
    await expect.poll(() => overdue.textContent()).not.toContain('апелляция внесена в РИС');

    await appeal.getByLabel('Решение конфликтной комиссии').selectOption('upheld');
    await appeal.getByLabel('День заседания').fill('2026-06-05');
    await appeal.getByRole('button', { name: 'Записать решение' }).click();
    await confirm(page, 'Записать решение');
    await expect
      .poll(() => page.locator('table.appeals tr', { hasText: 'W-APPEAL' }).textContent())
      .toContain('удовлетворена');
    // The steps table is fetched again after the decision lands: poll, never read once.
    await expect
      .poll(() => appeal.textContent())
      .toContain('заседание 2026-06-05; баллы перепроверки 2, итог 2');
    await expect
      .poll(() =>
        appeal.locator('tbody tr', { hasText: 'протоколы конфликтной комиссии' }).locator('td.error').count(),
      )
      .toBe(1);
    // Heard on 5 June: the protocols were due at the RCOI on 6 June (order L125), now overdue.
    await expect.poll(() => overdue.textContent()).toContain('протоколы конфликтной комиссии получены РЦОИ');
    await expect(axeFindings(page)).resolves.toEqual([]);
  }, 120_000);
});

describe("an exam's results on the stations", () => {
  it('downloads an export and protocols, computes by the shipped keys, says what changed and why incomplete', async () => {
    // The exam listed first answers only after the one picked: a late answer must not replace what is shown.
    let release = () => {};
    const late = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held: string[] = [];
    const page = await signInWith(browser, base, keys.chair!, async (context) => {
      await context.route(/\/api\/exams\/[^/]+\/results$/, async (route) => {
        const url = route.request().url();
        if (route.request().method() === 'GET' && !url.includes(`/${encodeURIComponent(ANALYTICS_EXAM)}/`)) {
          held.push(url);
          await late;
        }
        await route.continue();
      });
    });
    await page.goto(`${base}/#/chair`);
    await page.locator('label.exam select').selectOption(ANALYTICS_EXAM);
    const panel = page.locator('section.results');
    const row = () => panel.locator('tr', { hasText: 'P1-0' }).first().textContent();
    await expect.poll(row).toBe('P1-07235100');
    expect(held).toHaveLength(1);
    const answered = page.waitForResponse(held[0]!);
    release();
    await (await answered).finished();
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    await expect(row()).resolves.toBe('P1-07235100');
    const saved = async (button: string) => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        panel.getByRole('button', { name: button }).click(),
      ]);
      return { name: file.suggestedFilename(), bytes: readFileSync((await file.path())!) };
    };
    const regional = await saved('Результаты для РИС');
    expect(regional.name).toBe(`${ANALYTICS_EXAM}-results-regional.csv`);
    // The 22 complete results and a header; the work without a variant is withheld.
    expect(regional.bytes.toString('latin1').trim().split(/\r?\n/)).toHaveLength(23);
    await panel.getByLabel('Протоколы одного ППЭ или школы: код (пусто: все)').fill('P3');
    const protocols = await saved('Протоколы по ППЭ');
    expect(protocols.name).toBe(`${ANALYTICS_EXAM}-protocols-ppe-P3.pdf`);
    expect(protocols.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    await panel.getByRole('button', { name: 'Рассчитать результаты' }).click();
    await confirm(page, 'Рассчитать');
    const changes = panel.locator('.computation');
    await changes.waitFor();
    // The fixture's key had variant 7; the shipped key of the year has no variant 7 for this subject.
    await expect(changes.locator('tr', { hasText: 'P1-0' }).textContent()).resolves.toContain(
      'полный → неполный',
    );
    const listed = (work: string) => panel.locator('table.result-list tr', { hasText: work }).textContent();
    await expect.poll(() => listed('P1-0')).toContain('нет ключа для варианта');
    await expect(listed('NOVAR')).resolves.toContain('не указан вариант');
    await expect(axeFindings(page)).resolves.toEqual([]);
  }, 120_000);
});

describe("the administrator's import from the regional system", () => {
  it('shows every row error of a bad export in Russian, nothing taken, then takes the good one', async () => {
    const page = await signInWith(browser, base, keys.admin!);
    await page.goto(`${base}/#/admin`);
    const panel = page.locator('section.ris');
    const files = panel.getByLabel('Файлы выгрузки');
    const mapping = panel.getByLabel('Сопоставление (JSON)');
    await mapping.setInputFiles({
      name: 'empty.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{}'),
    });
    await files.setInputFiles([sample('ppe-38.csv')]);
    await panel.getByRole('button', { name: 'Загрузить' }).click();
    await confirm(page, 'Загрузить');
    await expect(panel.getByRole('alert').textContent()).resolves.toBe('Не загружено: недопустимое значение');

    await mapping.setInputFiles(MAPPING);
    const bad = sample('kits-38.csv')
      .buffer.toString('utf8')
      .replace('K2;02;P0002', 'K2;02;P0009')
      .replace(/8264000000039/, '8264000000030');
    await files.setInputFiles([
      sample('ppe-38.csv'),
      sample('participants-38.xml'),
      sample('kits-38.csv', bad),
    ]);
    await panel.getByRole('button', { name: 'Загрузить' }).click();
    await confirm(page, 'Загрузить');
    await expect(panel.getByRole('alert').textContent()).resolves.toBe(
      'Ничего не загружено: ошибок в выгрузке 2.',
    );
    await expect(rowTexts(page, 'table.ris-errors tbody tr')).resolves.toEqual([
      'kits-38.csv3Участникучастника «P0009» нет на экзамене 2026-ege-02',
      'kits-38.csv4Бланк ответов 2 лист 2неверный формат значения «8264000000030»',
    ]);
    await expect(axeFindings(page)).resolves.toEqual([]);

    await files.setInputFiles([sample('ppe-38.csv'), sample('participants-38.xml'), sample('kits-38.csv')]);
    await panel.getByRole('button', { name: 'Загрузить' }).click();
    await confirm(page, 'Загрузить');
    await expect(panel.getByRole('status').textContent()).resolves.toMatch(
      /^Загружено: ППЭ \d+, участников \d+ \(из них отказались от обработки персональных данных: 1\), комплектов \d+\.$/,
    );
    await expect(panel.locator('table.ris-errors').count()).resolves.toBe(0);
  }, 120_000);
});
