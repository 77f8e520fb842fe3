// The coordinator's journey on the demo cluster: members with their admission criteria and the
// size warning; the programme with the scheduler's explanation when no plan exists, then a plan
// previewed and applied; the progress heat map; coaching budgets with burn-down charts; the cost
// statement and its CSV; the audit trail showing the applied plan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, login, open, checkA11y, screenshot, downloadBytes } from './lib.mjs';

let browser;
let me;
before(async () => {
  browser = await launch();
  me = await person(browser);
  await login(me.page, 'coordinator');
});
after(async () => {
  await browser.close();
});

test('clusters and members: admission criteria and the 3–5 size warning', async () => {
  const { page } = me;
  await open(page, '#/clusters', 'Clusters and members');
  await page.getByText('Cluster size').waitFor();
  await page.getByText(/recommends 3 to 5 organisations/).first().waitFor();
  const members = page.getByRole('table', { name: 'Enrolments and the admission criteria of the method' });
  for (const name of ['IfOnline', 'Luxembourg Airport Authority']) await members.getByRole('rowheader', { name }).waitFor();
  assert.match(await members.innerText(), /management commitment by Managing director/);
  await checkA11y(page, 'clusters');
  await screenshot(page, 'coordinator-clusters');
  me.assertClean();
});

test('programme: the explanation when no plan exists, then preview and apply', async () => {
  const { page } = me;
  // Cycles of 12 weeks cannot fit ten trainings before the target end: the scheduler says why.
  await open(page, '#/clusters', 'Clusters and members');
  const settings = page.getByRole('form', { name: 'Cluster settings' });
  await settings.getByLabel('Weeks between trainings, at most').fill('12');
  await settings.getByLabel('Weeks between trainings, at least').fill('12');
  await settings.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  await open(page, '#/programme', 'Programme');
  await page.getByRole('button', { name: 'Preview the plan' }).click();
  const explanation = page.locator('.explanation');
  await explanation.waitFor();
  assert.match(await explanation.innerText(), /No plan exists with the current settings/);
  assert.ok((await explanation.innerText()).length > 60, 'the explanation says why');
  await screenshot(page, 'coordinator-plan-explanation');

  await open(page, '#/clusters', 'Clusters and members');
  await settings.getByLabel('Weeks between trainings, at least').fill('3');
  await settings.getByLabel('Weeks between trainings, at most').fill('4');
  await settings.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();

  await open(page, '#/programme', 'Programme');
  await page.getByRole('region', { name: 'December 2026' }).or(page.locator('.month').first()).first().waitFor();
  await page.getByRole('button', { name: 'Preview the plan' }).click();
  const plan = page.locator('.plan');
  await plan.waitFor();
  assert.match(await plan.innerText(), /sessions: \d+ new, \d+ moved, \d+ kept/);
  await checkA11y(page, 'programme with a plan');
  await screenshot(page, 'coordinator-programme', { at: page.getByRole('heading', { name: 'Plan the programme' }) });
  await page.getByRole('button', { name: 'Apply this plan' }).click();
  await page.getByText(/Plan applied:/).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Programme' }).waitFor();
  await page.getByRole('radio', { name: 'List' }).check();
  const list = page.getByRole('table', { name: 'Every session of the programme in date order' });
  await list.waitFor();
  assert.ok((await list.getByRole('row').count()) > 20, 'the list shows the programme');
  // Within a day the morning comes first, and a whole-day session says so.
  const rows = (await list.getByRole('row').allInnerTexts()).slice(1).map((r) => r.split('\t'));
  for (let i = 1; i < rows.length; i++)
    if (rows[i][0] === rows[i - 1][0]) assert.ok(!(rows[i - 1][1] === 'afternoon' && rows[i][1] === 'morning'), `afternoon before morning on ${rows[i][0]}`);
  assert.ok(rows.some((r) => r[1] === 'whole day'), 'a whole-day session shows as "whole day"');
  assert.ok(!rows.some((r) => /\(whole day\)/.test(r[1])));
  await page.getByRole('radio', { name: 'Calendar' }).check();
  me.assertClean();
});

test('progress heat map with behind-schedule flags', async () => {
  const { page } = me;
  await open(page, '#/progress', 'Progress overview');
  const map = page.locator('table.heatmap');
  await map.waitFor();
  for (const name of ['IfOnline', 'Luxembourg Airport Authority']) await map.getByRole('rowheader', { name }).waitFor();
  assert.match(await map.innerText(), /A\.5[\s\S]*A\.8[\s\S]*Schedule/);
  assert.match(await map.innerText(), /on track|behind schedule/);
  await checkA11y(page, 'progress heat map');
  await screenshot(page, 'coordinator-progress');
  me.assertClean();
});

test('coaching budgets with burn-down charts', async () => {
  const { page } = me;
  await open(page, '#/budgets', 'Coaching budgets');
  await page.getByRole('table', { name: 'Coaching half-days per organisation' }).waitFor();
  await page.locator('.chart canvas').first().waitFor();
  assert.equal(await page.locator('.chart canvas').count() >= 2, true, 'one burn-down per organisation');
  await checkA11y(page, 'budgets');
  await screenshot(page, 'coordinator-budgets');
  me.assertClean();
});

test('cost statement: a shared cost and the coaching rate, split among the members; CSV download', async () => {
  const { page } = me;
  await open(page, '#/costs', 'Costs');
  const shares = page.getByRole('table', { name: 'Each organisation’s share' });
  // The first amount after an organisation's name is its share of the training costs.
  const euros = (text) => Number(text.replace(/[€,]/g, ''));
  const ifonlineTraining = async () => euros((await shares.innerText()).match(/IfOnline[\s\S]*?(€[\d,]+\.\d\d)/)[1]);
  const trainingTotal = async () => euros((await page.locator('.totals').innerText()).match(/training (€[\d,]+\.\d\d)/)[1]);
  await shares.waitFor();
  const shareBefore = await ifonlineTraining();
  const totalBefore = await trainingTotal();
  const add = page.getByRole('form', { name: 'Add a shared cost' });
  await add.getByLabel('Item').fill('Trainer for the thematic half-days');
  await add.getByLabel('Quantity').fill('10');
  await add.getByLabel('Amount per unit').fill('450');
  await add.getByRole('button', { name: 'Add the cost' }).click();
  await page.getByText('Cost added; the statement is updated.').waitFor();
  const rate = page.getByRole('form', { name: 'Coaching rate per half-day' });
  await rate.getByLabel('Coaching rate per half-day').fill('600');
  await rate.getByRole('button', { name: 'Set the rate' }).click();
  await page.getByText('Saved.').waitFor();
  assert.equal(await trainingTotal(), totalBefore + 4500, 'the 4,500 trainer cost is in the training total');
  assert.equal(await ifonlineTraining(), shareBefore + 2250, 'each of the two members pays half of it');
  await screenshot(page, 'coordinator-costs', { at: page.getByRole('heading', { level: 1 }) });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as CSV' }).click()]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const csv = (await downloadBytes(download)).toString('utf8');
  assert.match(csv, /IfOnline/);
  await page.getByText(/^Downloaded /).waitFor();
  await checkA11y(page, 'costs');
  me.assertClean();
});

test('the audit trail shows the applied plan', async () => {
  const { page } = me;
  await open(page, '#/audit', 'Audit trail');
  const table = page.getByRole('table', { name: /events shown/ });
  await table.waitFor();
  assert.match(await table.innerText(), /plan_apply/);
  assert.match(await table.innerText(), /cluster_update/);
  await checkA11y(page, 'audit trail');
  me.assertClean();
});
