/** The stations in Debian's chromium, driven by playwright-core (nothing downloaded): for tests and benches. */
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

/**
 * A fresh browser context signed in with `key` through the sign-in form, opened at `hash` (the station and
 * its mode, so no other station leases anything first).
 */
export async function signInAt(browser: Browser, base: string, key: string, hash: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${base}/${hash}`);
  await page.getByLabel('Ключ доступа').fill(key);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.locator('header .who').waitFor();
  return page;
}
