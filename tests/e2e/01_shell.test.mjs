// The shell: the server's static files and their headers, logging in with the keyboard, a refused
// login showing the API's message, the token kept in sessionStorage only, an API error shown in a
// form, an ended session, and logging out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, launch, person, login, open, checkA11y, screenshot } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser.close();
});

test('the UI is served with a strict CSP, caching headers and ETags, and nothing outside web/', async () => {
  const index = await fetch(`${BASE}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const csp = index.headers.get('content-security-policy');
  for (const part of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"])
    assert.ok(csp.includes(part), `CSP lacks ${part}: ${csp}`);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
  const js = await fetch(`${BASE}/assets/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^application\/javascript/);
  assert.match(js.headers.get('cache-control'), /max-age=\d+/);
  const again = await fetch(`${BASE}/assets/app.js`, { headers: { 'If-None-Match': js.headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.match((await fetch(`${BASE}/assets/vendor-uplot.js`)).headers.get('content-type'), /javascript/);
  for (const path of ['/assets/..%2f..%2fCMakeLists.txt', '/assets/.hidden.js', '/assets/app.js.map', '/index.html'])
    assert.equal((await fetch(`${BASE}${path}`)).status, 404, path);
});

test('logging in with the keyboard; a wrong password shows the API message; logging out', async () => {
  const { page, assertClean, context } = await person(browser);
  await page.goto(`${BASE}/`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await checkA11y(page, 'login page');
  await screenshot(page, 'login');
  // On a fresh page the e-mail field has the focus; the keyboard alone fills and submits the form.
  await page.reload();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('name')), 'email');
  await page.keyboard.type('coordinator@demo.example');
  await page.keyboard.press('Tab');
  await page.keyboard.type('not-the-password');
  await page.keyboard.press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  const text = await alert.innerText();
  assert.match(text, /invalid_credentials/, text);
  const apiMessage = await (await fetch(`${BASE}/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'coordinator@demo.example', password: 'not-the-password' }),
  })).json();
  assert.ok(text.includes(apiMessage.error.message), `the page shows "${text}", the API says "${apiMessage.error.message}"`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('isms.token'), local: Object.keys(localStorage).length, cookie: document.cookie }));
  assert.ok(stored.session && stored.session.length > 20, 'the token is in sessionStorage');
  assert.equal(stored.local, 0, 'nothing in localStorage');
  assert.equal(stored.cookie, '', 'no cookie');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('isms.token')), null);
  assertClean();
  await context.close();
});

test('an API refusal appears in the form with its message, and an ended session returns to login', async () => {
  const { page, assertClean, context } = await person(browser);
  await login(page, 'coordinator');
  await open(page, '#/clusters', 'Clusters and members');
  const form = page.getByRole('form', { name: 'Create a cluster' });
  await form.getByLabel('Name').fill('An impossible cluster');
  await form.getByLabel('Programme start').fill('2030-06-01');
  await form.getByLabel('Target end').fill('2030-01-01');
  await form.getByRole('button', { name: 'Create the cluster' }).click();
  const alert = form.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /invalid_body|invalid_value/);
  // The details line carries the request id, for the user to quote.
  assert.match(await alert.innerText(), /request [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  // The session ends on the server (a logout elsewhere): the next request brings the login back.
  const token = await page.evaluate(() => sessionStorage.getItem('isms.token'));
  const out = await fetch(`${BASE}/v1/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  assert.equal(out.status, 204);
  await open(page, '#/audit', 'Log in');
  await page.getByText('Your session has ended').waitFor();
  assertClean();
  await context.close();
});

test('usable in a small laptop window: nothing runs off the side', async () => {
  const { page, assertClean, context } = await person(browser);
  await page.setViewportSize({ width: 1024, height: 640 });
  await login(page, 'coordinator');
  for (const [hash, heading] of [['#/clusters', 'Clusters and members'], ['#/programme', 'Programme'], ['#/progress', 'Progress overview'], ['#/budgets', 'Coaching budgets'], ['#/audit', 'Audit trail']]) {
    await open(page, hash, heading);
    const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
    assert.ok(scroll <= width, `${hash} is ${scroll}px wide in a ${width}px window`);
  }
  await page.setViewportSize({ width: 820, height: 640 });
  await open(page, '#/clusters', 'Clusters and members');
  assert.ok(await page.getByRole('navigation', { name: 'Main' }).isVisible(), 'the navigation stays');
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `the clusters page is ${scroll}px wide in a ${width}px window`);
  assertClean();
  await context.close();
});
