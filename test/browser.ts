/**
 * The browser suites' chromium (Debian's, driven by playwright-core; nothing downloaded) and signing in
 * through the sign-in form, as a user would.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

const CHROMIUM = process.env.RCOI_CHROMIUM ?? '/usr/bin/chromium';

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

/** A fresh browser context at `base`, signed in with `key` through the sign-in form. */
export async function signInWith(
  browser: Browser,
  base: string,
  key: string,
  viewport = { width: 1366, height: 768 },
): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(base);
  await page.getByLabel('Ключ доступа').fill(key);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.locator('header .who').waitFor();
  return page;
}
