// A member's records and the coordinator's view of them: deliverables marked drafted and approved
// (a future approval date refused with the API's message); hours of ISMS work per week with the
// organisation's totals, and the cluster's totals for the coordinator; the coordinator's curriculum
// editor (reorder, durations, a new module, a refused duration) and planning settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, login, open, checkA11y, screenshot, apiAs } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser.close();
});

const isoIn = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);

test('deliverables and the effort log of a member; the cluster totals', async () => {
  const me = await person(browser);
  const { page } = me;
  await login(page, 'ifonline');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliverables' }).click();
  await page.getByRole('heading', { level: 1, name: 'Deliverables of IfOnline' }).waitFor();
  const table = page.getByRole('table', { name: 'Deliverables, their status and approval date' });
  const summary = async () => (await page.locator('#deliverables-summary').innerText()).match(/\d+/g).map(Number);
  const [approved0, drafted0] = await summary();
  // Rows still to do (the demo may have recorded some): the first is approved, the second drafted.
  const todo = table.locator('tbody tr').filter({ has: page.locator('select option:checked[value="todo"]') });
  const title = (await todo.nth(0).locator('th').innerText()).trim();
  const title2 = (await todo.nth(1).locator('th').innerText()).trim();
  const row = (name) => table.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
  const first = row(title);
  const second = row(title2);
  await first.getByLabel(`Status of ${title}`).selectOption('approved');
  await first.getByLabel(`Approval date of ${title}`).fill(isoIn(10));
  await first.getByRole('button', { name: `Save ${title}` }).click();
  const refusal = first.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /code: invalid_value/);
  await first.getByLabel(`Approval date of ${title}`).fill(isoIn(-1));
  await first.getByRole('button', { name: `Save ${title}` }).click();
  await page.getByText(`${title} saved.`).waitFor();
  await page.locator('#deliverables-summary', { hasText: new RegExp(`^${approved0 + 1} approved`) }).waitFor();
  await second.getByLabel(`Status of ${title2}`).selectOption('drafted');
  await second.getByRole('button', { name: `Save ${title2}` }).click();
  await page.getByText(`${title2} saved.`).waitFor();
  await page.locator('#deliverables-summary', { hasText: new RegExp(`^${approved0 + 1} approved, ${drafted0 + 1} drafted`) }).waitFor();
  await checkA11y(page, 'deliverables');
  await screenshot(page, 'member-deliverables');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Effort log' }).click();
  await page.getByRole('heading', { level: 1, name: 'Effort log of IfOnline' }).waitFor();
  const form = page.getByRole('form', { name: 'Record a week' });
  await form.getByLabel('A day of the week').fill(isoIn(-7));
  await form.getByLabel('Hours').fill('6.5');
  await form.getByLabel('Note').fill('Asset inventory');
  await form.getByLabel('Note').press('Enter');
  await page.getByText('Effort recorded.').waitFor();
  const api = await apiAs('ifonline');
  const mine = await api('GET', '/v1/me');
  const enrolment = mine.json.clusters[0].enrolment.id;
  const totals = (await api('GET', `/v1/enrolments/${enrolment}/effort`)).json;
  const total = `${new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 }).format(totals.total_hours)} h`;
  assert.ok(totals.total_hours >= 6.5);
  await page.locator('#effort-totals', { hasText: total }).waitFor();
  const entries = page.getByRole('table', { name: 'Entries, newest week first' });
  assert.match(await entries.innerText(), /6\.5 h[\s\S]*Asset inventory/);
  await checkA11y(page, 'effort log');
  await screenshot(page, 'member-effort');
  me.assertClean();
  await me.context.close();

  const coordinator = await person(browser);
  await login(coordinator.page, 'coordinator');
  await open(coordinator.page, '#/effort-totals', 'Effort of the cluster');
  const perOrg = coordinator.page.getByRole('table', { name: 'Hours per organisation' });
  assert.ok((await perOrg.getByRole('row', { name: /^IfOnline/ }).innerText()).includes(total), `IfOnline: ${total}`);
  await checkA11y(coordinator.page, 'cluster effort');
  coordinator.assertClean();
  await coordinator.context.close();
});

test('curriculum editor and planning settings', async () => {
  const me = await person(browser);
  const { page } = me;
  await login(page, 'coordinator');
  await open(page, '#/curriculum', 'Curriculum and planning');
  const table = page.locator('#curriculum-table');
  const rows = table.locator('tbody tr');
  const count = await rows.count();
  assert.ok(count >= 3, 'the curriculum has modules');
  const t2 = await rows.nth(1).getByLabel('Title of module 2').inputValue();
  const t3 = await rows.nth(2).getByLabel('Title of module 3').inputValue();
  // Reorder with the keyboard: module 3 moves up and keeps the focus.
  await page.getByRole('button', { name: `Move ${t3} up` }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await rows.nth(1).getByLabel('Title of module 2').inputValue(), t3);
  assert.equal(await rows.nth(2).getByLabel('Title of module 3').inputValue(), t2);
  assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /^Move .* (up|down)$/);
  // A duration the API refuses: its message is shown.
  await page.getByLabel(`Half-days of ${t3}`).fill('9');
  await page.getByRole('button', { name: 'Save the curriculum' }).click();
  await page.locator('.card .alert-error').first().waitFor();
  assert.match(await page.locator('.card .alert-error').first().innerText(), /code: /);
  await page.getByLabel(`Half-days of ${t3}`).fill('2');
  const add = page.getByRole('form', { name: 'Add a module' });
  await add.getByLabel('Key').fill('supplier_security');
  await add.getByLabel('Title').fill('Supplier security');
  await add.getByRole('button', { name: 'Add to the list' }).click();
  assert.equal(await rows.count(), count + 1);
  await checkA11y(page, 'curriculum editor');
  await page.getByRole('button', { name: 'Save the curriculum' }).click();
  await page.getByText(/Curriculum saved/).waitFor();
  await page.getByText(/This cluster’s own curriculum/).waitFor();
  assert.equal(await rows.nth(1).getByLabel('Title of module 2').inputValue(), t3);
  assert.equal(await page.getByLabel(`Half-days of ${t3}`).inputValue(), '2');
  await table.getByRole('rowheader').last().getByRole('textbox').waitFor();
  assert.equal(await rows.last().getByRole('textbox').inputValue(), 'Supplier security');
  await screenshot(page, 'coordinator-curriculum', { at: page.getByRole('heading', { level: 1 }) });

  const settings = page.getByRole('form', { name: 'Planning settings' });
  await settings.getByLabel('Friday').uncheck();
  await settings.getByLabel('Morning from').fill('08:30');
  await settings.getByRole('button', { name: 'Save the settings' }).click();
  await page.getByText('Saved.').waitFor();
  assert.equal(await page.getByRole('form', { name: 'Planning settings' }).getByLabel('Friday').isChecked(), false);
  assert.equal(await page.getByRole('form', { name: 'Planning settings' }).getByLabel('Morning from').inputValue(), '08:30');
  me.assertClean();
  await me.context.close();
});
