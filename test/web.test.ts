/**
 * The web stations in a real browser (Debian's chromium, driven by playwright-core; nothing downloaded), on
 * the embedded service with the demo batch recognised: a verifier works through every doubtful field by
 * keyboard and the sheets become final; two experts score a work two points apart and the third check
 * reaches the senior expert only; a chair downloads a batch PDF; an expert cannot open a check that is not
 * theirs. Screenshots of each station go to out/screenshots (RCOI_SCREENSHOTS=docs/screenshots refreshes
 * the README's).
 */

import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignChecks,
  registerExpert,
  shippedRules,
  submitScores,
  takeNextCheck,
} from '../checking/store.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import { issueUser } from '../platform/store/users.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import type { RunningService } from '../service/run.ts';
import { webBundle } from '../web/build.ts';
import { launchChromium, signInWith } from './browser.ts';
import { corpusTruth, type DemoService, ELIGIBLE, seedWork, startDemo } from './helpers.ts';

const SHOTS = process.env.RCOI_SCREENSHOTS ?? 'out/screenshots';

let service: RunningService;
let browser: Browser;
let base: string;
let demo: DemoService;
const tokens: Record<string, string> = {};
const checkOf: Record<string, number> = {};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  demo = await startDemo('rcoi-web-');
  service = demo.service;
  Object.assign(tokens, demo.tokens);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;

  const db = service.adapters.db;
  for (const [id, role] of [
    ['chair-olga', 'chair'],
    ['admin-ivan', 'admin'],
    ['expert-anna', 'expert'],
    ['expert-boris', 'expert'],
    ['expert-vera', 'expert'],
    ['expert-dmitri', 'expert'],
    ['senior-sergei', 'expert'],
  ] as const)
    tokens[id] = await issueUser(db, { id, name: id, role });
  for (const [userId, status] of [
    ['expert-anna', 'main'],
    ['expert-boris', 'main'],
    ['expert-vera', 'main'],
    ['expert-dmitri', 'main'],
    ['senior-sergei', 'senior'],
  ] as const)
    await registerExpert(db, {
      userId,
      year: 2026,
      subjectCode: '02',
      status,
      ...ELIGIBLE,
    });
  const sheets = await db.query<{ sheet_number: string; form: string }>(
    'select sheet_number, form from sheets order by sheet_number',
  );
  const of = (form: string) => sheets.filter((s) => s.form === form).map((s) => s.sheet_number);
  const rules = shippedRules();
  // Sergei has checked a work this year (with Dmitri, in agreement), so he may take third checks.
  await seedWork(db, rules, 'WEBDONE', []);
  const same = { '13': 1, '14': 1, '15': 1, '16': 1, '17': 1, '18': 1, '19': 1 };
  for (const who of ['senior-sergei', 'expert-dmitri']) {
    const id = (await takeNextCheck(db, who))!;
    await submitScores(db, rules, who, id, same);
  }
  await seedWork(db, rules, 'WEB01', [of('ege-as2-1')[0]!, of('ege-as2-2')[0]!]);
  const [first, second] = await db.query<{ id: number }>(
    `select id from checks where work_id = 'WEB01' order by round`,
  );
  checkOf.first = first!.id;
  checkOf.second = second!.id;
  await assignChecks(db, 'chair-olga', [checkOf.first], 'expert-anna');
  await assignChecks(db, 'chair-olga', [checkOf.second], 'expert-boris');

  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

/** A fresh browser context at 1366x768 signed in through the sign-in form with the user's key. */
const signIn = (who: string): Promise<Page> => signInWith(browser, base, tokens[who]!);

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe('web stations in chromium', () => {
  it('keeps the script of every station within 300 KB gzipped', async () => {
    const { jsGzipBytes } = await webBundle();
    expect(jsGzipBytes).toBeGreaterThan(1000);
    expect(jsGzipBytes).toBeLessThanOrEqual(300 * 1024);
  });

  it('refuses a wrong key and shows each role only its stations', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base);
    await shot(page, 'signin');
    await page.getByLabel('Ключ доступа').fill('not-a-key');
    await page.getByRole('button', { name: 'Войти' }).click();
    await expect(page.getByText('Ключ доступа не подходит').textContent()).resolves.toBeTruthy();
    await context.close();
    const admin = await signIn('admin-ivan');
    await expect(admin.locator('header nav a').allTextContents()).resolves.toEqual([
      'Сканирование',
      'Председатель ПК',
      'Администрирование',
    ]);
    await admin.goto(`${base}/#/admin`);
    await admin.getByText('Пользователи').waitFor();
    await admin.getByText('ege-protocol').waitFor();
    await shot(admin, 'admin');
    await admin.goto(`${base}/#/operator`);
    await admin.getByTestId('batch').waitFor();
    await admin.getByText('Отклонённые страницы').waitFor();
    await shot(admin, 'operator');
    await admin.context().close();
  });

  it('lets a verifier settle every doubtful field by keyboard until every sheet is final', async () => {
    const db = service.adapters.db;
    const files = corpusFiles();
    const page = await signIn('demo-senior');
    await page.getByTestId('recognised').waitFor();
    await shot(page, 'verify');
    const input = page.getByLabel('Исправление');
    let corrected: { pageId: string; field: string; value: string } | null = null;
    let decided = 0;
    // As a verifier would: the value on the image (the generator's truth) typed where the recogniser is
    // wrong, Enter where it is right, Delete where the field is empty. The first answer field is typed even
    // if it was read right: a correction, audited like any.
    while (!(await page.getByText('Сомнительных полей нет').isVisible())) {
      const id = Number(await page.locator('[data-task]').getAttribute('data-task'));
      const [task] = await db.query<{ page_id: string; field: string }>(
        'select page_id, field from verification_tasks where id = $1',
        [id],
      );
      const truth = corpusTruth(files, task!.page_id, task!.field) ?? '';
      const shown = (await page.getByTestId('recognised').getAttribute('data-value')) ?? '';
      const typeIt = truth !== shown || (!corrected && task!.field !== SHEET_NUMBER_TASK && truth !== '');
      // Keys decide a field only once it has been on screen for the station's dwell.
      await page.locator(`[data-task="${id}"][data-phase="ready"]`).waitFor();
      if (typeIt && truth === '') {
        await input.press('Delete');
        await input.press('Enter');
      } else if (typeIt) {
        await input.pressSequentially(truth);
        await input.press('Enter');
        if (!corrected && task!.field !== SHEET_NUMBER_TASK)
          corrected = { pageId: task!.page_id, field: task!.field, value: truth };
      } else await input.press('Enter');
      decided++;
      // The next task (already loaded) replaces this one, or the station says there is none.
      await expect
        .poll(() => page.locator('[data-task]').getAttribute('data-task'), { timeout: 10_000 })
        .not.toBe(String(id));
    }
    expect(corrected).not.toBeNull();
    await expect.poll(() => page.getByTestId('rate').textContent()).toBe(`Проверено за час: ${decided}`);
    const [field] = await db.query<{ final_value: string | null; status: string }>(
      `select f.final_value, s.status from fields f join sheets s on s.page_id = f.page_id
       where f.page_id = $1 and f.name = $2`,
      [corrected!.pageId, corrected!.field],
    );
    expect(field).toEqual({ final_value: corrected!.value, status: 'final' });
    const left = await db.query<{ n: number }>(
      `select count(*)::int as n from verification_tasks where status <> 'done'`,
    );
    expect(left[0]!.n).toBe(0);
    const audited = await db.query<{ n: number }>(
      `select count(*)::int as n from audit_events where actor = 'demo-senior' and action like 'verification.%'
         and action <> 'verification.take'`,
    );
    expect(audited[0]!.n).toBe(decided);
    await page.context().close();
  }, 180_000);

  it('sends a two-point discrepancy to a third check that only the senior expert gets', async () => {
    const score = async (who: string, points: number[], expect13: RegExp) => {
      const page = await signIn(who);
      await page.getByTestId('work').waitFor();
      await expect(page.getByTestId('work').textContent()).resolves.toBe('WEB01');
      await page.getByText('Лист 1 из 2').waitFor();
      // PageDown turns to the next sheet while no score field has the focus, PageUp back.
      await page.locator('.stage').click();
      await page.keyboard.press('PageDown');
      await page.getByText('Лист 2 из 2').waitFor();
      await page.keyboard.press('PageUp');
      await page.getByText('Лист 1 из 2').waitFor();
      // The page itself, decoded by the browser (not just requested).
      const sheet = page.locator('.stage img');
      await sheet.waitFor();
      await expect
        .poll(() => sheet.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
        .toBeGreaterThan(500);
      for (const [i, p] of points.entries()) await page.getByLabel(`Критерий ${13 + i}`).fill(String(p));
      if (who === 'expert-anna') await shot(page, 'expert');
      await page.getByRole('button', { name: 'Отправить баллы' }).click();
      await page.getByRole('button', { name: 'Отправить', exact: true }).click();
      await page.getByText(expect13).waitFor();
      await page.context().close();
    };
    await score('expert-anna', [2, 3, 2, 2, 3, 4, 4], /Баллы приняты/);
    await score('expert-boris', [0, 3, 2, 2, 3, 4, 4], /третью проверку/);
    const vera = await signIn('expert-vera');
    await vera.getByText('Работ для проверки нет').waitFor();
    await vera.context().close();
    const sergei = await signIn('senior-sergei');
    await sergei.getByText('третья проверка').first().waitFor();
    await expect(sergei.getByTestId('work').textContent()).resolves.toBe('WEB01');
    // The earlier scores are shown beside the criterion in question, without names.
    await sergei.getByRole('columnheader', { name: 'первая проверка' }).waitFor();
    await expect(sergei.getByLabel('Критерий 13').count()).resolves.toBe(1);
    await expect(sergei.getByLabel('Критерий 14').count()).resolves.toBe(0);
    await sergei.context().close();
  }, 120_000);

  it('lets a chair download a batch PDF, hand a check back, register an appeal and print protocols', async () => {
    const page = await signIn('chair-olga');
    await page.getByTestId('progress').waitFor();
    await shot(page, 'chair');
    await page.getByLabel('Коды работ').fill('WEB01');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Скачать PDF' }).click(),
    ]);
    const pdf = await PDFDocument.load(readFileSync((await download.path())!));
    expect(pdf.getPageCount()).toBe(2);
    // The third check Sergei holds goes back to the pool; Vera (main) may not be handed it.
    const [third] = await service.adapters.db.query<{ id: number }>(
      `select id from checks where work_id = 'WEB01' and round = 'third'`,
    );
    await page.getByLabel('№ проверки').fill(String(third!.id));
    await page.getByLabel('Эксперт (пусто: в очередь)').fill('expert-vera');
    await page.getByRole('button', { name: 'Передать', exact: true }).click();
    await page
      .getByRole('alert')
      .getByText(`Проверка № ${third!.id} не передана: эксперту expert-vera эту проверку выдать нельзя`)
      .waitFor();
    await page.getByLabel('Эксперт (пусто: в очередь)').fill('');
    await page.getByRole('button', { name: 'Передать', exact: true }).click();
    await page.getByText(`Проверка № ${third!.id} возвращена в очередь`).waitFor();
    const [after] = await service.adapters.db.query<{ status: string; expert_id: string | null }>(
      'select status, expert_id from checks where id = $1',
      [third!.id],
    );
    expect(after).toEqual({ status: 'open', expert_id: null });
    // An appeal on the work that has a result, then Sergei's batch printed on paper: one protocol.
    await page.getByLabel('Код работы').fill('WEBDONE');
    await page.getByLabel('Суть апелляции').fill('задание 19');
    await page.getByRole('button', { name: 'Зарегистрировать', exact: true }).click();
    await page.getByRole('button', { name: 'Зарегистрировать апелляцию' }).click();
    await page.getByText('Апелляция по работе WEBDONE зарегистрирована').waitFor();
    await page.getByRole('cell', { name: 'WEBDONE' }).waitFor();
    await page.getByLabel('Эксперт', { exact: true }).fill('senior-sergei');
    await page.getByRole('button', { name: 'Выдать' }).click();
    await page.getByText('Эксперту senior-sergei выдано проверок: 1').waitFor();
    const [printed] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Напечатать бланки-протоколы' }).click(),
    ]);
    const protocols = await PDFDocument.load(readFileSync((await printed.path())!));
    expect(protocols.getPageCount()).toBe(1);
    // The protocol is listed with the expert holding it; a spoiled one is voided with a reason.
    const listed = page.getByTestId('protocols');
    await listed.getByText('у эксперта').waitFor();
    page.once('dialog', (d) => d.accept('испорчен при печати'));
    await listed.getByRole('button', { name: 'аннулировать' }).click();
    await listed.getByText('аннулирован: испорчен при печати').waitFor();
    await page.context().close();
  }, 60_000);

  it('does not open a check for an expert it is not assigned to', async () => {
    const page = await signIn('expert-vera');
    const images: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/pages/')) images.push(r.status());
    });
    await page.goto(`${base}/#/expert/check/${checkOf.first}`);
    await page.getByText('Эта работа вам не назначена.').waitFor();
    await expect(page.getByTestId('work').count()).resolves.toBe(0);
    expect(images.every((s) => s === 403)).toBe(true);
    await page.context().close();
  });
});
