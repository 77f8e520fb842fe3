// The coach's journey: assignments across clusters with the remaining budget, logging a coaching
// session and seeing the budget go down, recording and finalising a gap analysis, and a calendar
// subscription link that serves iCalendar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, login, open, checkA11y, screenshot } from './lib.mjs';

let browser;
let me;
before(async () => {
  browser = await launch();
  me = await person(browser);
  await login(me.page, 'coach');
});
after(async () => {
  await browser.close();
});

test('assignments across clusters with the remaining budget and next sessions', async () => {
  const { page } = me;
  await open(page, '#/coach', 'My assignments');
  const table = page.getByRole('table', { name: 'Organisations assigned to you' });
  await table.waitFor();
  for (const name of ['IfOnline', 'Luxembourg Airport Authority']) await table.getByRole('link', { name, exact: true }).waitFor();
  assert.match(await table.innerText(), /\d+ of 28 half-days left/);
  await checkA11y(page, 'coach assignments');
  await screenshot(page, 'coach-assignments');
  me.assertClean();
});

test('logging a coaching session takes it off the budget', async () => {
  const { page } = me;
  await open(page, '#/coach', 'My assignments');
  await page.getByRole('link', { name: 'Coaching log of IfOnline' }).click();
  await page.getByRole('heading', { level: 1, name: 'Coaching of IfOnline' }).waitFor();
  const remaining = async () => Number(await page.locator('.remaining').getAttribute('data-remaining'));
  const before = await remaining();
  const form = page.getByRole('form', { name: 'Log a coaching session' });
  await form.getByLabel('Topic').fill('Asset inventory workshop');
  await form.getByLabel('Curriculum module').selectOption('scope_policy_assets');
  await form.getByLabel('Notes').fill('Went through the inventory template with the IT lead.');
  await form.getByRole('button', { name: 'Log the session' }).click();
  await page.getByText('Session logged; the budget is updated.').waitFor();
  await page.locator(`.remaining[data-remaining="${before - 1}"]`).waitFor();
  assert.equal(await remaining(), before - 1, 'one half-day less remains');
  const ledger = page.getByRole('table', { name: 'Coaching sessions, newest first' });
  assert.match(await ledger.innerText(), /Asset inventory workshop[\s\S]*done/);
  await checkA11y(page, 'coaching log');
  await screenshot(page, 'coach-log-session');
  me.assertClean();
});

test('recording and finalising a gap analysis', async () => {
  const { page } = me;
  await open(page, '#/coach', 'My assignments');
  await page.getByRole('link', { name: 'Gap analysis of Luxembourg Airport Authority' }).click();
  await page.getByRole('heading', { level: 1, name: /Gap analysis of Luxembourg Airport Authority/ }).waitFor();
  const form = page.getByRole('form', { name: 'Record the gap analysis' });
  const today = new Date().toISOString().slice(0, 10);
  await form.getByLabel('On-site half-day').fill(today);
  await form.getByLabel('Analysis half-day').fill(today);
  await form.getByLabel('Estimated coaching half-days').fill('16');
  await form.getByRole('button', { name: 'Save the draft' }).click();
  await page.getByText('Saved.').waitFor();
  await checkA11y(page, 'gap analysis');
  await page.getByRole('button', { name: 'Finalise' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Finalise' }).click();
  await page.getByText('The gap analysis is final.').waitFor();
  await page.getByText(/Finalised \d/).waitFor();
  me.assertClean();
});

test('a calendar subscription link that calendar applications can read', async () => {
  const { page } = me;
  await open(page, '#/calendar', 'Calendar');
  const form = page.getByRole('form', { name: 'Create a link' });
  await form.getByLabel('What to include').selectOption('staff');
  await form.getByLabel('Name of the link').fill('Work calendar');
  await form.getByRole('button', { name: 'Create a link' }).click();
  const url = await page.getByLabel('Subscription link').inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/calendar\//);
  const ics = await fetch(url);
  assert.equal(ics.status, 200);
  assert.match(ics.headers.get('content-type'), /text\/calendar/);
  assert.match(await ics.text(), /BEGIN:VCALENDAR/);
  await page.getByRole('table', { name: 'Your subscription links' }).getByText('Work calendar').waitFor();
  await checkA11y(page, 'calendar');
  await screenshot(page, 'coach-calendar');
  me.assertClean();
});
