// Shared by the end-to-end tests: Debian's chromium driven by playwright-core (headless, offline
// flags, a fresh profile per launch), one browser context per person, logging in through the UI,
// axe-core injected into a page (serious and critical violations fail), screenshots for the README,
// and the API for looking things up that a test then does in the browser.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const BASE = process.env.E2E_BASE_URL || 'http://127.0.0.1:8080';
export const PASSWORD = process.env.E2E_PASSWORD || 'e2e-demo-password';
// Screenshots go next to the run's other output unless E2E_SCREENSHOTS names a folder: set it to
// tests/e2e/screenshots to refresh the pictures in README (see test_e2e.sh).
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS || join(here, '..', '..', 'build', 'e2e-screenshots');
export const USERS = {
  coordinator: 'coordinator@demo.example',
  coach: 'coach@demo.example',
  trainer: 'trainer@demo.example',
  ifonline: 'ifonline@demo.example',
  laa: 'laa@demo.example',
};

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--lang=en-GB'];

export async function launch() {
  return chromium.launch({ executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS });
}

/** A fresh context (its own storage) and page for one person; collects page errors and CSP
 * refusals, which end the test when it calls `assertClean`. */
export async function person(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|Refused to/i.test(text) || text.startsWith('missing string')) problems.push(`console: ${text}`);
  });
  return { context, page, problems, assertClean: () => assert.deepEqual(problems, [], problems.join('\n')) };
}

export async function login(page, who) {
  await page.goto(`${BASE}/`);
  await page.getByLabel('E-mail address').fill(USERS[who] || who);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Goes to a view through the address (as a bookmark would) and waits for its heading. */
export async function open(page, hash, heading) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page; fails on serious or critical violations. */
export async function checkA11y(page, what) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${what}: accessibility violations\n${JSON.stringify(bad, null, 2)}`);
  return result;
}

/** Writes tests/e2e/screenshots/<name>.png: the window, or the whole page, or the window
 * scrolled to `at` (a locator). */
export async function screenshot(page, name, { fullPage = false, at = null } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => {
    if (document.activeElement) document.activeElement.blur();
    for (const notice of document.querySelectorAll('.status-area .alert-success')) notice.remove();
  });
  await page.mouse.move(0, 0);
  if (at) await at.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage, animations: 'disabled' });
}

/** Calls the API directly, as `who`, for what a test needs to know (never to do the journey). */
export async function apiAs(who) {
  const res = await fetch(`${BASE}/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: USERS[who] || who, password: PASSWORD }),
  });
  assert.equal(res.status, 200, `login of ${who} through the API`);
  const { token } = await res.json();
  return async (method, path, body) => {
    const r = await fetch(`${BASE}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, json: text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null, text };
  };
}

/** Reads a downloaded file's bytes. */
export async function downloadBytes(download) {
  const path = await download.path();
  return readFileSync(path);
}

/** Runs SQL as superuser on the run's database (test_e2e.sh exports it), for what no API may do,
 * such as letting time pass: a training moved into the past so that presence can be recorded. */
export function adminSql(sql) {
  const url = process.env.E2E_ADMIN_DATABASE_URL;
  assert.ok(url, 'E2E_ADMIN_DATABASE_URL is set by test_e2e.sh');
  return execFileSync(process.env.E2E_PSQL || 'psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' });
}
