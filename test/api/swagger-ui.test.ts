import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'puppeteer-core' with { 'resolution-mode': 'import' };
import { KEYS } from '../support/stack';
import { suiteStack } from './suite-stack';

/** Debian's chromium package; .ci/run installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set (to a .png path) to keep a picture of the page with the whole API loaded, as README shows. */
const SCREENSHOT = process.env.DOCS_SCREENSHOT;
const UI_TIMEOUT_MS = 20_000;

describe('API docs page (Swagger UI in headless Chromium)', () => {
  // Registered before the stack's hook, so a machine without a browser starts no stack either.
  before(function () {
    if (existsSync(CHROMIUM)) return;
    if (process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium package`);
    console.warn(`    skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    this.skip();
  });
  const stack = suiteStack();
  let browser: Browser;
  let page: Page;
  /** What the page must not do: break CSP, fail a script, or reach any origin but the API's. */
  const problems: string[] = [];

  before(async () => {
    const { default: puppeteer } = await import('puppeteer-core');
    // Root cannot run Chromium's sandbox; the page is our own.
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const origin = new URL(stack.api).origin;
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) problems.push(`request to ${request.url()}`);
    });
    await page.goto(`${stack.api}/docs`, { waitUntil: 'networkidle0' });
  });

  after(async () => {
    await browser?.close();
  });

  const summaries = () => page.$$eval('.opblock-summary-path', (paths) => paths.map((path) => path.textContent?.trim() ?? ''));

  /** Expands an operation, presses "Try it out" and "Execute", and reads the status it got. */
  async function tryItOut(operationId: string): Promise<string> {
    const block = `[id$="-${operationId}"]`;
    await page.click(`${block} .opblock-summary-control`);
    await page.waitForSelector(`${block} .try-out__btn`, { timeout: UI_TIMEOUT_MS });
    await page.click(`${block} .try-out__btn`);
    await page.click(`${block} .btn.execute`);
    const status = await page.waitForSelector(`${block} .live-responses-table tbody .response-col_status`, { timeout: UI_TIMEOUT_MS });
    return (await status!.evaluate((cell) => cell.textContent ?? '')).trim();
  }

  it('serves Swagger UI from this origin and renders the operations open to everyone', async () => {
    await page.waitForSelector('.opblock', { timeout: UI_TIMEOUT_MS });
    const paths = await summaries();
    assert.ok(paths.includes('/health') && paths.includes('/ready'), `operations shown: ${paths.join(', ')}`);
    assert.equal(await page.title(), 'Order saga service API');
    assert.deepEqual(problems, []);
  });

  it('answers 200 to "try it out" on GET /health', async () => {
    assert.equal(await tryItOut('getHealth'), '200');
    assert.deepEqual(problems, []);
  });

  it('loads the whole API once the reader authorizes with an API key, and tries its operations with it', async () => {
    await page.click('.auth-wrapper .authorize');
    const keyInput = await page.waitForSelector('.auth-container input[type="text"]', { timeout: UI_TIMEOUT_MS });
    await keyInput!.type(KEYS.admin);
    await page.click('.auth-container .auth-btn-wrapper .authorize');
    await page.click('.auth-btn-wrapper .btn-done');
    // Evaluated in the page (this project compiles without the DOM's types).
    await page.waitForFunction(
      `[...document.querySelectorAll('.opblock-summary-path')].some((path) => path.textContent.trim() === '/orders/{orderId}/payment')`,
      { timeout: UI_TIMEOUT_MS },
    );
    const paths = await summaries();
    assert.ok(paths.includes('/openapi.json') && paths.includes('/delivery-orders/{deliveryOrderId}/ship'), paths.join(', '));
    if (SCREENSHOT) {
      // The operations folded, as a reader first sees them.
      await page.click('[id$="-getHealth"] .opblock-summary-control');
      await page.setViewport({ width: 1280, height: 1700 });
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: SCREENSHOT as `${string}.png` });
    }
    assert.equal(await tryItOut('getProducts'), '200');
    assert.deepEqual(problems, []);
  });
});
