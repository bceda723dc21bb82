/**
 * Routine tasks in the stations, in a real browser (Debian's chromium via playwright-core) on the demo
 * service, with no curl: an administrator confirms before disabling a user; a chair registers an expert
 * picked from the users, sees why a pull gave a leading expert nothing while an appeal waits, and sees a
 * refused hand-over as an error; an expert reads the marking scheme, saves a draft and finds it again after
 * a reload, and a turned sheet stays on the stage; an operator picks the exam, builds the manifest in the
 * form, uploads a batch and imports kits.
 */

import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignChecks,
  registerAppeal,
  registerExpert,
  shippedRules,
  submitScores,
  takeNextCheck,
} from '../checking/store.ts';
import { ean13WithCheckDigit } from '../pipeline/barcodes.ts';
import { issueUser } from '../platform/store/users.ts';
import { CORPUS_DIR } from '../samples/make-corpus.ts';
import { launchChromium, signInWith } from './browser.ts';
import { type DemoService, ELIGIBLE, seedWork, startDemo } from './helpers.ts';

let demo: DemoService;
let browser: Browser;
let base: string;
const tokens: Record<string, string> = {};
let annaCheck: number;

const db = () => demo.service.adapters.db;

beforeAll(async () => {
  demo = await startDemo('rcoi-web-tasks-');
  Object.assign(tokens, demo.tokens);
  await demo.service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(demo.service.app.server.address() as AddressInfo).port}`;
  for (const [id, name, role] of [
    ['expert-anna', 'Анна Петрова', 'expert'],
    ['expert-boris', 'Борис Сидоров', 'expert'],
    ['expert-nina', 'Нина Орлова', 'expert'],
    ['lead-lev', 'Лев Ведущий', 'expert'],
    ['expert-zoe', 'Зоя Уходящая', 'expert'],
  ] as const)
    tokens[id] = await issueUser(db(), { id, name, role });
  for (const [userId, status] of [
    ['expert-anna', 'main'],
    ['expert-boris', 'main'],
    ['lead-lev', 'leading'],
  ] as const)
    await registerExpert(db(), { userId, year: 2026, subjectCode: '02', status, ...ELIGIBLE });
  // A work with a result and an appeal on it: the appeal waits for a leading or senior expert.
  const rules = shippedRules();
  await seedWork(db(), rules, 'WTDONE', []);
  const same = { '13': 1, '14': 1, '15': 1, '16': 1, '17': 1, '18': 1, '19': 1 };
  for (const who of ['expert-anna', 'expert-boris'])
    await submitScores(db(), rules, who, (await takeNextCheck(db(), who))!, same);
  await registerAppeal(db(), rules, 'WTDONE', 'demo-chair', 'задание 19');
  // A work with its answer sheets 2 for Anna to mark.
  const sheets = await db().query<{ sheet_number: string; form: string }>(
    'select sheet_number, form from sheets order by sheet_number',
  );
  const of = (form: string) => sheets.filter((s) => s.form === form).map((s) => s.sheet_number);
  await seedWork(db(), rules, 'WTMARK', [of('ege-as2-1')[0]!, of('ege-as2-2')[0]!]);
  const [first, second] = await db().query<{ id: number }>(
    `select id from checks where work_id = 'WTMARK' order by round`,
  );
  annaCheck = first!.id;
  await assignChecks(db(), 'demo-chair', [annaCheck], 'expert-anna');
  await assignChecks(db(), 'demo-chair', [second!.id], 'expert-boris');
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

const signIn = (who: string): Promise<Page> => signInWith(browser, base, tokens[who]!);

const disabled = async (id: string) =>
  (
    await db().query<{ off: boolean }>('select disabled_at is not null as off from users where id = $1', [id])
  )[0]!.off;

describe('routine tasks in the stations', () => {
  it('asks an administrator to confirm before disabling a user, and does nothing on Отмена', async () => {
    const page = await signIn('demo-admin');
    await page.goto(`${base}/#/admin`);
    const row = page.getByRole('row', { name: /expert-zoe/ });
    await row.getByRole('button', { name: 'Отключить' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('Отключить пользователя Зоя Уходящая (expert-zoe)?').waitFor();
    await dialog.getByRole('button', { name: 'Отмена' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await disabled('expert-zoe')).toBe(false);
    await row.getByRole('button', { name: 'Отключить' }).click();
    await dialog.getByRole('button', { name: 'Отключить' }).click();
    await row.getByText('отключён').waitFor();
    expect(await disabled('expert-zoe')).toBe(true);
    await page.context().close();
  });

  it('lets a chair register an expert from the users, see why a pull gave nothing, and see a refusal as an error', async () => {
    const page = await signIn('demo-chair');
    await page.getByTestId('commission').waitFor();
    // The list offers users who may check (not the disabled one), by name.
    const user = page.getByLabel('Пользователь');
    await expect.poll(() => user.locator('option').allTextContents()).toContain('Нина Орлова (expert-nina)');
    await expect(user.locator('option').allTextContents()).resolves.not.toContain(
      'Зоя Уходящая (expert-zoe)',
    );
    await user.selectOption('expert-nina');
    for (const admission of ['обучение пройдено', 'квалификационные испытания сданы', 'инструктаж пройден'])
      await page.getByLabel(admission).check();
    await page.getByLabel('согласование подходов (семинар)').check();
    await page.getByRole('button', { name: 'Зарегистрировать эксперта' }).click();
    await page.getByRole('status').getByText('Эксперт Нина Орлова (expert-nina) зарегистрирован').waitFor();
    await page.getByTestId('commission').getByRole('cell', { name: 'Нина Орлова (expert-nina)' }).waitFor();
    expect(
      await db().query('select status, trained, seminar from experts where user_id = $1', ['expert-nina']),
    ).toEqual([{ status: 'main', trained: true, seminar: true }]);

    // The leading expert has checked nothing this year: the waiting appeal is not theirs yet, and the chair is told.
    await page.getByLabel('Эксперт', { exact: true }).fill('lead-lev');
    await page.getByRole('button', { name: 'Выдать' }).click();
    await page.getByText('Эксперту lead-lev выдано проверок: 0').waitFor();
    await page
      .getByTestId('shortfall')
      .getByText(
        'ожидают перепроверки по апелляциям: 1, но эксперт в этом году ещё не выполнил ни одной первой или второй проверки',
      )
      .waitFor();

    // Nina (main) may not take the appeal's re-check: refused, in red, announced.
    const [appeal] = await db().query<{ id: number }>(`select id from checks where round = 'appeal'`);
    await page.getByLabel('№ проверки').fill(String(appeal!.id));
    await page.getByLabel('Эксперт (пусто: в очередь)').fill('expert-nina');
    await page.getByRole('button', { name: 'Передать', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert
      .getByText(`Проверка № ${appeal!.id} не передана: эксперту expert-nina эту проверку выдать нельзя`)
      .waitFor();
    await expect(alert.evaluate((el) => getComputedStyle(el).color)).resolves.toBe('rgb(180, 35, 24)');
    await expect(page.locator('.notice').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('shows an expert the marking scheme, keeps a draft across a reload, and keeps a turned sheet on the stage', async () => {
    const page = await signIn('expert-anna');
    await page.getByTestId('work').waitFor();
    await expect(page.getByTestId('work').textContent()).resolves.toBe('WTMARK');
    // The criterion's text and its marking scheme from the rule set, beside the script.
    const scheme = page.getByRole('region', { name: 'Критерии оценивания' });
    await scheme
      .getByRole('heading', { name: 'Критерий 13: Уравнение: решение и отбор корней (макс. 2)' })
      .waitFor();
    await scheme.getByText('Обоснованно получены верные ответы в обоих пунктах').waitFor();
    await page.getByLabel('Критерий 13').fill('1');
    await page.getByLabel('Критерий 15').fill('2');
    await page.getByRole('button', { name: 'Сохранить черновик' }).click();
    await page.getByText(/^Черновик сохранён в .*Баллы не отправлены\.$/).waitFor();
    const [check] = await db().query<{ status: string }>('select status from checks where id = $1', [
      annaCheck,
    ]);
    expect(check).toEqual({ status: 'assigned' });
    await page.reload();
    await page.getByText('Черновик восстановлен.').waitFor();
    await expect(page.getByLabel('Критерий 13').inputValue()).resolves.toBe('1');
    await expect(page.getByLabel('Критерий 15').inputValue()).resolves.toBe('2');
    await expect(page.getByLabel('Критерий 14').inputValue()).resolves.toBe('');
    // Ctrl+S saves the draft as it now is, on the server.
    await page.getByLabel('Критерий 14').fill('0');
    await page.keyboard.press('Control+S');
    await page.getByText(/^Черновик сохранён в /).waitFor();
    const [draft] = await db().query<{ scores: object }>(
      'select scores from check_drafts where check_id = $1',
      [annaCheck],
    );
    expect(draft).toEqual({ scores: { '13': 1, '14': 0, '15': 2 } });

    // Turned a quarter, the whole sheet is inside the stage.
    const sheet = page.locator('.stage img');
    await sheet.waitFor();
    await page.getByTitle('Повернуть вправо').click();
    const stage = (await page.locator('.stage').boundingBox())!;
    const inside = async () => {
      const box = await sheet.boundingBox();
      return (
        box !== null &&
        box.x >= stage.x - 1 &&
        box.y >= stage.y - 1 &&
        box.x + box.width <= stage.x + stage.width + 1 &&
        box.width > box.height
      );
    };
    await expect.poll(inside).toBe(true);
    // And turned the other way (twice left: upright, then a quarter left).
    await page.getByTitle('Повернуть влево').click();
    await page.getByTitle('Повернуть влево').click();
    await expect.poll(() => sheet.getAttribute('class')).toBe('turn-270');
    await expect.poll(inside).toBe(true);
    await page.context().close();
  });

  it('lets an operator pick the exam, build the manifest in the form, upload a batch and import kits', async () => {
    const page = await signIn('demo-operator');
    const exam = page.getByLabel('Экзамен');
    await expect
      .poll(() => exam.locator('option').allTextContents())
      .toEqual(['ЕГЭ, Математика (профильный уровень), 01.06.2026 (2026-ege-02)']);
    await exam.selectOption('2026-ege-02');
    await page.getByLabel('Номер пакета').fill('form-001');
    await page.getByLabel('Станция сканирования').fill('ppe-0101-scan-1');
    await page.getByLabel('Код ППЭ').fill('0101');
    await page.getByLabel('Аудитория').fill('12');
    await page.getByLabel('бланк ответов № 2', { exact: true }).fill('1');
    await page.getByLabel('Страницы').setInputFiles(join(CORPUS_DIR, 'ege-as2-1-scanner-8.jpg'));
    await page.getByRole('button', { name: 'Загрузить пакет' }).click();
    await page.getByRole('heading', { name: 'Пакет ppe-0101-scan-1:form-001' }).waitFor();
    const [batch] = await db().query<{ exam_id: string }>(
      `select exam_id, ppe_code, room, declared from batches
       where external_id = 'form-001' and station = 'ppe-0101-scan-1'`,
    );
    expect(batch).toEqual({
      exam_id: '2026-ege-02',
      ppe_code: '0101',
      room: '12',
      declared: { 'answer-sheet-2': 1 },
    });

    const sheet = (n: number) => ean13WithCheckDigit(`20000000000${n}`);
    const csv = `kit_id,registration,as1,as2_1,as2_2\nKWEB1,${sheet(1)},${sheet(2)},${sheet(3)},${sheet(4)}\nKBAD,1,2,3,4\n`;
    await page
      .getByLabel('Файл комплектов (CSV)')
      .setInputFiles({ name: 'kits.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Загрузить комплекты' }).click();
    await page.getByText('Загружено комплектов: 1, строк с ошибками: 1').waitFor();
    const kits = await db().query<{ n: number }>(
      `select count(*)::int as n from kits where kit_id = 'KWEB1'`,
    );
    expect(kits[0]!.n).toBe(4);
    await page.context().close();
  });
});
