// Attendance at trainings: a member registers its participants against the two-people target and
// reads its attendance report; the coordinator sees the counts, is told that presence waits until
// the training took place, then records who came; the trainer sees the session among theirs; the
// report then shows who attended (evidence for ISO/IEC 27001 clauses 7.2 and 7.3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, login, open, checkA11y, screenshot, apiAs, adminSql } from './lib.mjs';

let browser;
let member;
let coordinator;
let training;
before(async () => {
  browser = await launch();
  member = await person(browser);
  coordinator = await person(browser);
  await Promise.all([login(member.page, 'ifonline'), login(coordinator.page, 'coordinator')]);
  const api = await apiAs('ifonline');
  const me = await api('GET', '/v1/me');
  const sessions = await api('GET', `/v1/organisations/${me.json.organisation.id}/training-sessions?limit=200`);
  const open = sessions.json.items.filter((s) => s.kind === 'training' && s.status === 'planned')
    .sort((a, b) => (a.session_date + a.slot).localeCompare(b.session_date + b.slot));
  // A training with a title of its own (the initial training has two parts) nobody registered for.
  const unique = open.filter((s) => open.filter((o) => o.title === s.title).length === 1);
  for (const s of unique) {
    const regs = await api('GET', `/v1/training-sessions/${s.id}/registrations`);
    if (!regs.json.items.length) {
      training = s;
      break;
    }
  }
  assert.ok(training, 'a planned training without registrations');
});
after(async () => {
  await browser.close();
});

test('member registers two people and reads the attendance report', async () => {
  const { page } = member;
  await open(page, '#/trainings', 'Trainings');
  const card = () => page.getByRole('region', { name: new RegExp(`^${training.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, `) }).first();
  await card().getByText('0 of 2 registered').waitFor();
  await card().getByLabel('Person').selectOption({ label: 'IfOnline project manager' });
  await card().getByRole('button', { name: 'Register' }).click();
  await card().getByText('1 of 2 registered').waitFor();
  await card().getByLabel('Name', { exact: true }).fill('Paul Standin');
  await card().getByRole('button', { name: 'Register' }).click();
  await card().getByText('2 of 2 registered').waitFor();
  // The same person twice: the API refuses and its message is shown.
  await card().getByLabel('Name', { exact: true }).fill('Paul Standin');
  await card().getByRole('button', { name: 'Register' }).click();
  assert.match(await card().getByRole('alert').innerText(), /already registered/);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Attendance report' }).click();
  await page.getByRole('heading', { level: 1, name: 'Attendance of IfOnline' }).waitFor();
  await page.getByText(/clauses 7\.2 and 7\.3/).first().waitFor();
  const row = page.getByRole('row', { name: new RegExp(`^${training.title.slice(0, 20)}`) }).first();
  assert.match(await row.innerText(), /2 of 2[\s\S]*Paul Standin not recorded/);
  await checkA11y(page, 'attendance report');
  member.assertClean();
});

test('coordinator sees the counts and records presence once the training took place', async () => {
  const { page } = coordinator;
  await open(page, '#/sessions', 'Trainings and presence');
  await page.getByRole('table', { name: 'Sessions' }).waitFor();
  await checkA11y(page, 'sessions and presence');
  await page.getByRole('link', { name: `Record presence at ${training.title}, ` }).first().click();
  await page.getByRole('heading', { level: 1, name: `Presence at ${training.title}` }).waitFor();
  const table = page.getByRole('table', { name: 'Registered participants' });
  await table.getByRole('rowheader', { name: 'Paul Standin' }).waitFor();
  // Before the day: the API says presence waits, and the page shows it.
  await table.getByRole('button', { name: 'Paul Standin was present' }).click();
  const refusal = table.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /presence is recorded after it[\s\S]*not_yet_held/);
  await checkA11y(page, 'presence');

  // The training takes place (the clock cannot be moved, the session can).
  adminSql(`UPDATE isms.training_sessions SET session_date = current_date - 1 WHERE id = '${training.id}'`);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: `Presence at ${training.title}` }).waitFor();
  await table.getByRole('button', { name: 'Paul Standin was present' }).focus();
  await page.keyboard.press('Enter');
  await page.getByText('Presence of Paul Standin recorded.').waitFor();
  await table.getByRole('button', { name: 'IfOnline project manager was absent' }).click();
  await page.getByText('Presence of IfOnline project manager recorded.').waitFor();
  assert.equal(await table.getByRole('button', { name: 'Paul Standin was present' }).getAttribute('aria-pressed'), 'true');
  assert.match(await table.getByRole('row', { name: /^IfOnline project manager/ }).innerText(), /absent/);
  await screenshot(page, 'coordinator-presence');
  coordinator.assertClean();
});

test('the trainer sees their sessions with the registrations; the report shows who came', async () => {
  const trainer = await person(browser);
  const tp = trainer.page;
  await login(tp, 'trainer');
  await tp.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My sessions' }).click();
  await tp.getByRole('heading', { level: 1, name: 'My sessions' }).waitFor();
  const row = tp.getByRole('row', { name: new RegExp(`^${training.title.slice(0, 20)}`) }).first();
  assert.match(await row.innerText(), /2 registered, 1 present/);
  await checkA11y(tp, 'my sessions');
  trainer.assertClean();
  await trainer.context.close();

  const { page } = member;
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Attendance of IfOnline' }).waitFor();
  const report = page.getByRole('row', { name: new RegExp(`^${training.title.slice(0, 20)}`) }).first();
  assert.match(await report.innerText(), /Paul Standin present[\s\S]*IfOnline project manager absent|IfOnline project manager absent[\s\S]*Paul Standin present/);
  await screenshot(page, 'member-attendance');
  member.assertClean();
});
