/** What the console's browser tests share: headless Chromium (Debian's), a tab on the console with its steps, KafkaJS clients closed in the end. */
import assert from 'node:assert/strict';
import { access, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env['SAMSA_CHROMIUM'] ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/console/', import.meta.url));

/** Why the test cannot run here, or null. */
export async function chromiumMissing(): Promise<string | null> {
  return access(CHROMIUM).then(
    () => null,
    () => `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`,
  );
}

/** False (the test skipped) when something is missing, unless SAMSA_REQUIRE_CHROMIUM is set (CI sets it): then it fails. */
export function mayRun(t: TestContext, missing: string | null): boolean {
  if (missing === null) return true;
  assert.equal(process.env['SAMSA_REQUIRE_CHROMIUM'], undefined, `SAMSA_REQUIRE_CHROMIUM is set but ${missing}`);
  t.skip(missing);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
}

export interface ConsoleTab {
  page: Page;
  /** A full-page screenshot as ARTIFACTS/<prefix><name>.png. */
  shot(name: string): Promise<unknown>;
  /** Opens a console path and expects a 200. */
  go(path: string): Promise<void>;
  /** Submits a form with its button and waits for the page it leads to. */
  submit(form: string): Promise<void>;
  text(sel: string): Promise<string>;
}

/** A tab on the console at `base` that accepts every confirm dialog. */
export async function openConsole(browser: Browser, base: string, shotPrefix = ''): Promise<ConsoleTab> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('dialog', (d) => void d.accept());
  return {
    page,
    shot: (name) => page.screenshot({ path: `${ARTIFACTS}${shotPrefix}${name}.png`, fullPage: true }),
    go: async (path) => {
      const res = await page.goto(new URL(path, base).href, { waitUntil: 'domcontentloaded' });
      assert.equal(res?.status(), 200, `GET ${path}`);
    },
    submit: async (form) => {
      await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click(`${form} button[type=submit], ${form} button`)]);
    },
    text: (sel) => page.$eval(sel, (e) => e.textContent ?? ''),
  };
}

type Connectable = { connect(): Promise<void>; disconnect(): Promise<void> };

/** KafkaJS clients connected through `connected`, still open when a step fails, disconnected by `disconnectAll`. */
export class OpenClients {
  private readonly open = new Set<Connectable>();

  async connected<T extends Connectable>(c: T): Promise<T> {
    await c.connect();
    this.open.add(c);
    return c;
  }

  async disconnect(c: Connectable): Promise<void> {
    await c.disconnect();
    this.open.delete(c);
  }

  async disconnectAll(): Promise<void> {
    for (const c of this.open) await c.disconnect().catch(() => undefined);
    this.open.clear();
  }
}
