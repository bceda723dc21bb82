/** The browser suites' chromium (Debian's, driven by playwright-core: nothing downloaded) and their sign-in. */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.RCOI_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: scripts/setup.sh installs Debian's chromium (as root)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh browser context signed in through the sign-in form with the user's key. */
export async function signIn(
  browser: Browser,
  base: string,
  key: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
    ...options,
  });
  const page = await context.newPage();
  await page.goto(base);
  await page.getByLabel('Ключ доступа').fill(key);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.locator('header .who').waitFor();
  return page;
}
