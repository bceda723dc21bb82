import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignChecks, registerExpert, shippedRules } from '../checking/store.ts';
import { shippedForms } from '../forms/definitions.ts';
import { issueUser } from '../platform/store/users.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { DEMO_EXAM } from '../service/run.ts';
import { axeFindings, launchChromium, signInWith } from './browser.ts';
import { type DemoService, ELIGIBLE, seedWork, startDemo } from './helpers.ts';

const WORK = 'WLANG01';

/** Latin terms a station may show: formats, codes and key caps as they are printed on keyboards and papers. */
const TERMS = [
  ...['PDF', 'ZIP', 'CSV', 'SVG', 'PNG', 'JSON', 'ID', 'EAN-13', 'QR'],
  ...['Enter', 'Esc', 'Delete', 'PageUp', 'PageDown', 'Ctrl', 'Z', 'S'],
  // The manifest's file name, as the batch folder must hold it.
  'batch.json',
];

let demo: DemoService;
let browser: Browser;
let base: string;
const tokens: Record<string, string> = {};
/** Data shown as it is (ids, logins, file names): allowed by name, each one listed here. */
const data = new Set<string>();

beforeAll(async () => {
  demo = await startDemo('rcoi-lang-');
  Object.assign(tokens, demo.tokens);
  const { service } = demo;
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  const db = service.adapters.db;
  tokens['expert-anna'] = await issueUser(db, { id: 'expert-anna', name: 'Анна Петрова', role: 'expert' });
  await registerExpert(db, {
    userId: 'expert-anna',
    year: 2026,
    subjectCode: '02',
    status: 'main',
    ...ELIGIBLE,
  });
  const as2 = await db.query<{ sheet_number: string; form: string }>(
    `select sheet_number, form from sheets where form in ('ege-as2-1', 'ege-as2-2') order by form, sheet_number`,
  );
  const first = (form: string) => as2.find((s) => s.form === form)!.sheet_number;
  await seedWork(db, shippedRules(), WORK, [first('ege-as2-1'), first('ege-as2-2')]);
  const [check] = await db.query<{ id: number }>(
    `select id from checks where work_id = $1 and round = 'first'`,
    [WORK],
  );
  await assignChecks(db, 'demo-chair', [check!.id], 'expert-anna');
  for (const id of [
    ...Object.keys(tokens),
    ...shippedForms().map((f) => f.id),
    ...corpusFiles().map((f) => f.name),
    DEMO_EXAM,
    'demo-station',
    'sample-batch',
    WORK,
  ])
    data.add(id);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

/**
 * What the user reads: the visible text, the page's title, every title, label, placeholder and image text,
 * and the options of a list; each with the Latin words in it that are neither allowed terms nor listed data.
 */
async function latinWords(page: Page): Promise<string[]> {
  const texts = await page.evaluate(() => {
    const out = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (el && (el.tagName === 'OPTION' || el.checkVisibility()) && n.textContent) out.push(n.textContent);
    }
    for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]'))
      for (const name of ['title', 'aria-label', 'placeholder', 'alt']) out.push(el.getAttribute(name) ?? '');
    return out;
  });
  const allowed = new Set([...TERMS, ...data]);
  const found = texts.flatMap((text) =>
    (text.match(/[\w.@-]*[A-Za-z][\w.@-]*/g) ?? [])
      .map((word) => word.replace(/[.-]+$/, ''))
      .filter((word) => !allowed.has(word))
      .map((word) => `${word} (in "${text.trim().slice(0, 80)}")`),
  );
  return [...new Set(found)];
}

/** The page's heading and landmarks: what a screen reader user finds the page by. */
async function landmarks(page: Page) {
  return {
    h1: await page.locator('h1').count(),
    main: await page.getByRole('main').count(),
    header: await page.getByRole('banner').count(),
    nav: await page.getByRole('navigation').count(),
  };
}

const STATION_LANDMARKS = { h1: 1, main: 1, header: 1, nav: 1 };

/** Signs in, opens the station and waits for it to show what it is about. */
async function station(who: string, path: string, ready: (page: Page) => Promise<unknown>): Promise<Page> {
  const page = await signInWith(browser, base, tokens[who]!);
  await page.goto(`${base}/#/${path}`);
  await ready(page);
  return page;
}

async function expectRussianAndAccessible(page: Page, heading: string) {
  await expect(page.locator('h1').textContent()).resolves.toBe(heading);
  await expect(landmarks(page)).resolves.toEqual(STATION_LANDMARKS);
  await expect(axeFindings(page)).resolves.toEqual([]);
  await expect(latinWords(page)).resolves.toEqual([]);
}

describe('stations in Russian, with headings, landmarks and no serious accessibility findings', () => {
  it('the sign-in page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base);
    await page.getByLabel('Ключ доступа').fill('не-тот-ключ');
    await page.getByRole('button', { name: 'Войти' }).click();
    // A key typed in the Russian layout is told as such (it cannot even go in a request's header).
    await page
      .getByText('Ключ доступа не подходит: в нём русские буквы, проверьте раскладку клавиатуры')
      .waitFor();
    await expect(landmarks(page)).resolves.toMatchObject({ h1: 1, main: 1 });
    await expect(latinWords(page)).resolves.toEqual([]);
    await expect(axeFindings(page)).resolves.toEqual([]);
    await context.close();
  });

  it('the operator’s station, with the batch’s discrepancies and the assembly said in Russian', async () => {
    const page = await station('demo-operator', 'operator', (p) => p.getByTestId('batch').waitFor());
    await page.getByText('получено страниц: 15, заявлено: 13').waitFor();
    await page.getByText('страниц отклонено или не опознано: 2').waitFor();
    await page.getByRole('button', { name: 'Собрать работы и показать расхождения' }).click();
    await page.getByText(/^Работ: \d+/).waitFor();
    await expectRussianAndAccessible(page, 'Сканирование');
    await page.context().close();
  });

  it('the verifier’s station, with a field to verify', async () => {
    const page = await station('demo-verifier', 'verify', (p) => p.getByTestId('recognised').waitFor());
    await expectRussianAndAccessible(page, 'Верификация');
    await page.context().close();
  });

  it('the expert’s station, with a work, its criteria and their Russian titles', async () => {
    const page = await station('expert-anna', 'expert', (p) => p.locator('.stage img').waitFor());
    await expect(page.getByTestId('work').textContent()).resolves.toBe(WORK);
    await expect(page.getByRole('cell', { name: '13', exact: true }).getAttribute('title')).resolves.toBe(
      'Уравнение: решение и отбор корней',
    );
    await expectRussianAndAccessible(page, 'Проверка работ');
    await page.context().close();
  });

  it('the chair’s station, with the exam’s subject named and a refusal said in Russian', async () => {
    const page = await station('demo-chair', 'chair', (p) => p.getByTestId('progress').waitFor());
    await expect(page.getByLabel('Экзамен').locator('option').first().textContent()).resolves.toContain(
      'ЕГЭ, Математика (профильный уровень), 01.06.2026',
    );
    await page.getByLabel('№ проверки').fill('999999');
    await page.getByLabel('Эксперт (пусто: в очередь)').fill('expert-anna');
    await page.getByRole('button', { name: 'Передать', exact: true }).click();
    await page.getByText('Проверка № 999999 не передана: такой проверки нет').waitFor();
    await expectRussianAndAccessible(page, 'Председатель ПК');
    await page.context().close();
  });

  it('the administrator’s stations, with the forms and checking rules by their Russian names', async () => {
    const page = await station('demo-admin', 'admin', (p) => p.getByText('Правила проверки').waitFor());
    await page.getByText('ЕГЭ: бланк ответов № 1 (образец 2023 года)').first().waitFor();
    // The control sample by form title, as many drawn as the database holds, none decided yet.
    const [drawn] = await demo.service.adapters.db.query<{ n: number }>(
      `select count(*)::int as n from verification_tasks t join pages p on p.id = t.page_id
       where t.control_share is not null and p.form = 'ege-as1-2023'`,
    );
    expect(drawn?.n).toBeGreaterThan(0);
    const row = page.getByTestId('control-sample').getByRole('row', { name: /образец 2023 года/ });
    await expect(row.getByRole('cell').allTextContents()).resolves.toEqual([
      'ЕГЭ: бланк ответов № 1 (образец 2023 года)',
      String(drawn?.n),
      '0',
      '0',
      '—',
      '—',
    ]);
    await page.getByText(/ЕГЭ, Математика \(профильный уровень\) \(код 02\)/).waitFor();
    await expectRussianAndAccessible(page, 'Администрирование');
    await page.goto(`${base}/#/operator`);
    await page.getByTestId('batch').waitFor();
    await expectRussianAndAccessible(page, 'Сканирование');
    await page.goto(`${base}/#/chair`);
    await page.getByTestId('progress').waitFor();
    await expectRussianAndAccessible(page, 'Председатель ПК');
    await page.context().close();
  });

  it('shows a 2-px outline where the keyboard focus is', async () => {
    const page = await signInWith(browser, base, tokens['demo-admin']!);
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return { style: style.outlineStyle, width: style.outlineWidth };
    });
    expect(outline).toEqual({ style: 'solid', width: '2px' });
    await page.context().close();
  });
});
