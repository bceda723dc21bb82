/** Browser tests' chromium (Debian's, driven by playwright-core; nothing downloaded) and the sign-in form. */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

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

/**
 * A page in a fresh context signed in through the sign-in form with the user's key; `prepare` runs on the
 * context before the first page loads (a fake clock, say).
 */
export async function signInWith(
  browser: Browser,
  base: string,
  key: string,
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await prepare?.(context);
  const page = await context.newPage();
  await page.goto(base);
  await page.getByLabel('Ключ доступа').fill(key);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.locator('header .who').waitFor();
  return page;
}
