// The member organisation's journey (IfOnline), with the coordinator and the other member where
// the journey reaches them: the progress dashboard; the Statement of Applicability edited, filtered
// and downloaded; participants registered against the two-people target; unavailability declared,
// seen as a conflict by the coordinator, who re-plans; feedback that stays hidden until posts from
// enough organisations are released, arriving live, and moderated; the organisation's
// administrator managing its users.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, person, login, open, checkA11y, screenshot, apiAs, downloadBytes } from './lib.mjs';

let browser;
let me;
before(async () => {
  browser = await launch();
  me = await person(browser);
  await login(me.page, 'ifonline');
});
after(async () => {
  await browser.close();
});

test('progress dashboard: trend chart and the anonymised cluster median', async () => {
  const { page } = me;
  await open(page, '#/dashboard', 'Progress of IfOnline');
  await page.locator('.chart canvas').first().waitFor();
  await page.getByText('shown once 3 organisations have assessed (anonymity)').waitFor();
  await page.getByRole('table', { name: /Your organisation/ }).waitFor();
  await checkA11y(page, 'member dashboard');
  await screenshot(page, 'member-dashboard');
  me.assertClean();
});

test('Statement of Applicability: edit, filter, download as CSV and XLSX', async () => {
  const { page } = me;
  await open(page, '#/soa', 'Statement of Applicability of IfOnline');
  const filters = page.getByRole('search', { name: 'Filter the controls' });
  await filters.getByLabel('Theme').selectOption('A.5');
  await page.getByRole('button', { name: 'Edit A.5.1', exact: true }).click();
  let editor = page.getByRole('form', { name: /Editing A\.5\.1:/ });
  await editor.getByRole('radio', { name: 'applicable' }).check();
  await editor.getByLabel('legal requirement').check();
  await editor.getByLabel('Implementation status').selectOption('in_progress');
  await editor.getByLabel('Evidence').fill('Policy approved by the board on 3 March');
  await screenshot(page, 'member-soa', { at: page.getByRole('heading', { level: 1 }) });
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.getByText('A.5.1 saved.').waitFor();
  const row = page.getByRole('row', { name: /^A\.5\.1 / });
  assert.match(await row.innerText(), /applicable[\s\S]*legal requirement[\s\S]*in progress[\s\S]*Policy approved/);

  // Excluding without a justification: the API refuses, and its message is shown in the editor.
  await filters.getByLabel('Theme').selectOption('A.7');
  await page.getByRole('button', { name: 'Edit A.7.4', exact: true }).click();
  editor = page.getByRole('form', { name: /Editing A\.7\.4:/ });
  await editor.getByRole('radio', { name: 'excluded' }).check();
  await editor.getByRole('button', { name: 'Save' }).click();
  const refusal = editor.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /justification/i);
  await editor.getByLabel('Justification').fill('No premises of our own: we rent desks in a shared, guarded building.');
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.getByText('A.7.4 saved.').waitFor();
  await filters.getByLabel('Theme').selectOption('');
  await filters.getByLabel('Decision').selectOption('excluded');
  const table = page.getByRole('table', { name: /controls shown/ });
  const shown = Number((await table.getByRole('caption').innerText()).match(/^(\d+) of \d+ controls shown/)[1]);
  assert.equal(await table.locator('tbody tr').count(), shown, 'the caption counts the rows shown');
  assert.ok(shown >= 1, 'the new exclusion is among the excluded controls');
  assert.match(await table.innerText(), /A\.7\.4/);
  assert.doesNotMatch(await table.innerText(), /A\.5\.1 /, 'an applicable control is filtered out');
  await checkA11y(page, 'SoA editor');
  await filters.getByLabel('Decision').selectOption('');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  const text = (await downloadBytes(csv)).toString('utf8');
  assert.match(csv.suggestedFilename(), /\.csv$/);
  assert.match(text, /A\.5\.1,[^\r\n]*yes/);
  assert.match(text, /A\.7\.4,[^\r\n]*no[^\r\n]*shared, guarded building/);
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download XLSX' }).click()]);
  assert.match(xlsx.suggestedFilename(), /\.xlsx$/);
  assert.equal((await downloadBytes(xlsx)).subarray(0, 2).toString('latin1'), 'PK', 'an XLSX file is a zip archive');
  me.assertClean();
});

test('registering participants against the two-people target', async () => {
  const { page } = me;
  await open(page, '#/trainings', 'Trainings');
  const card = page.locator('section.training').first();
  await card.getByText('0 of 2 registered').waitFor();
  await card.getByLabel('Person').selectOption({ label: 'IfOnline project manager' });
  await card.getByRole('button', { name: 'Register' }).click();
  await page.locator('section.training').first().getByText('1 of 2 registered').waitFor();
  const again = page.locator('section.training').first();
  await again.getByLabel('Name', { exact: true }).fill('Anne Backup');
  await again.getByRole('button', { name: 'Register' }).click();
  await page.locator('section.training').first().getByText('2 of 2 registered').waitFor();
  await page.locator('section.training').first().getByText('target met').waitFor();
  await checkA11y(page, 'trainings');
  me.assertClean();
});

test('declared unavailability reaches the coordinator, who re-plans around it', async () => {
  const { page } = me;
  const api = await apiAs('ifonline');
  const mine = await api('GET', '/v1/me');
  const sessions = await api('GET', `/v1/organisations/${mine.json.organisation.id}/training-sessions?limit=200`);
  const trainings = sessions.json.items.filter((s) => s.kind === 'training' && s.status === 'planned');
  const target = trainings[3];
  assert.ok(target, 'a planned training to collide with');

  await open(page, '#/unavailability', 'Unavailability of IfOnline');
  const form = page.getByRole('form', { name: 'Declare a period' });
  await form.getByLabel('First day').fill(target.session_date);
  await form.getByLabel('Last day').fill(target.session_date);
  await form.getByLabel('Reason').fill('Board meeting');
  await form.getByRole('button', { name: 'Declare' }).click();
  const report = page.locator('.conflict-report');
  await report.waitFor();
  const said = await report.innerText();
  assert.ok(said.includes(target.title), `the report names the training: ${said}`);
  assert.match(said, /The coordinator sees the conflict/);
  await checkA11y(page, 'unavailability');
  await screenshot(page, 'member-unavailability');
  me.assertClean();

  const coordinator = await person(browser);
  const cp = coordinator.page;
  await login(cp, 'coordinator');
  await open(cp, '#/programme', 'Programme');
  const conflicts = cp.locator('#conflicts');
  await conflicts.waitFor();
  assert.ok((await conflicts.innerText()).includes(`${target.title}`), 'the coordinator sees which training collides');
  assert.match(await conflicts.innerText(), /IfOnline unavailable/);
  await screenshot(cp, 'coordinator-conflict');
  await cp.getByRole('button', { name: 'Preview the plan' }).click();
  const changes = cp.getByRole('table', { name: 'What the plan changes' });
  await changes.waitFor();
  assert.ok((await changes.innerText()).includes(target.title), 'the plan moves the training');
  await cp.getByRole('button', { name: 'Apply this plan' }).click();
  await cp.getByText(/Plan applied:/).waitFor();
  await cp.getByText('No planned session collides with a declared unavailability.').waitFor();
  coordinator.assertClean();
  await coordinator.context.close();
});

test('feedback stays hidden until enough organisations wrote, then arrives live; moderation', async () => {
  const { page } = me;
  const coordinator = await person(browser);
  const cp = coordinator.page;
  await login(cp, 'coordinator');
  await open(cp, '#/feedback', 'Feedback');
  const create = cp.getByRole('form', { name: 'Open a board' });
  await create.getByLabel('Title').fill('After the risk assessment training');
  await create.getByLabel('Question to the members').fill('What helped you most, and what was missing?');
  await create.getByLabel('Release every (minutes)').fill('240');
  await create.getByRole('button', { name: 'Open the board' }).click();
  await cp.getByRole('heading', { level: 1, name: 'After the risk assessment training' }).waitFor();
  const boardUrl = cp.url();

  // IfOnline writes: its post is marked as its own and waits.
  await open(page, '#/feedback', 'Feedback');
  await page.getByRole('link', { name: 'After the risk assessment training' }).click();
  await page.getByRole('heading', { level: 1, name: 'After the risk assessment training' }).waitFor();
  await page.getByText('Live updates: on').waitFor();
  await page.getByLabel('Your feedback').fill('The worked examples of threats and vulnerabilities were very useful.');
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  const ownPost = page.locator('li.post', { hasText: 'worked examples' });
  await ownPost.getByText('your organisation’s post').waitFor();
  await ownPost.getByText('waiting for release').waitFor();

  // The other member and the coordinator do not see it.
  const laa = await person(browser);
  await login(laa.page, 'laa');
  await laa.page.goto(boardUrl);
  await laa.page.getByRole('heading', { level: 1, name: 'After the risk assessment training' }).waitFor();
  await laa.page.getByText('Live updates: on').waitFor();
  await laa.page.getByText('No post to show yet.').waitFor();
  await cp.reload();
  await cp.getByRole('heading', { level: 1, name: 'After the risk assessment training' }).waitFor();
  await cp.getByText('No post to show yet.').waitFor();

  // With two member organisations the threshold must be 2 for anything to be released.
  await open(cp, '#/clusters', 'Clusters and members');
  const settings = cp.getByRole('form', { name: 'Cluster settings' });
  await settings.getByLabel('Feedback release threshold').fill('2');
  await settings.getByRole('button', { name: 'Save' }).click();
  await cp.getByText('Saved.').waitFor();

  await laa.page.getByLabel('Your feedback').fill('More time for questions after each module, please.');
  await laa.page.getByRole('button', { name: 'Post', exact: true }).click();
  await laa.page.locator('li.post', { hasText: 'More time for questions' }).getByText('waiting for release').waitFor();

  // Closing the board releases the batch; both members' open pages receive it without reloading.
  await cp.goto(boardUrl);
  await cp.getByRole('button', { name: 'Close the board' }).click();
  await cp.getByRole('dialog').getByRole('button', { name: 'Close the board' }).click();
  await cp.getByText('The board is closed.').waitFor();
  const theirs = page.locator('li.post', { hasText: 'More time for questions' });
  await theirs.waitFor({ timeout: 20000 });
  assert.equal(await theirs.getByText('your organisation’s post').count(), 0, 'another organisation’s post is not marked as ours');
  await ownPost.getByText(/released/).waitFor({ timeout: 20000 });
  await laa.page.locator('li.post', { hasText: 'worked examples' }).waitFor({ timeout: 20000 });
  await checkA11y(page, 'feedback board');
  await screenshot(page, 'member-feedback', { at: page.getByRole('heading', { level: 1 }) });

  // Reopened, the board takes reactions: IfOnline says "me too" to the other organisation's post.
  await cp.getByRole('button', { name: 'Reopen the board' }).click();
  await cp.getByText('The board is open again.').waitFor();
  const metoo = theirs.getByRole('button', { name: 'Me too' });
  await metoo.click();
  await theirs.getByRole('button', { name: 'Take back "me too"' }).waitFor();
  assert.equal(await theirs.getByRole('button', { name: 'Take back "me too"' }).getAttribute('aria-pressed'), 'true');
  await theirs.getByText('(yours counted at the next release)').waitFor();

  // The coordinator hides a post with a reason: it disappears live from the other member's page;
  // its authors see that it was hidden and why.
  await cp.reload();
  const toHide = cp.locator('li.post', { hasText: 'More time for questions' });
  await toHide.getByText('Hide this post').click();
  await toHide.getByLabel('Reason (shown to the authors)').fill('Duplicate of the training evaluation form');
  await toHide.getByRole('button', { name: 'Hide', exact: true }).click();
  await cp.locator('li.post', { hasText: 'More time for questions' }).getByText(/hidden: Duplicate/).waitFor();
  await checkA11y(cp, 'moderation');
  await screenshot(cp, 'coordinator-moderation', { at: cp.getByRole('heading', { name: 'Posts' }) });
  await page.locator('li.post', { hasText: 'More time for questions' }).waitFor({ state: 'detached', timeout: 20000 });
  await laa.page.reload();
  await laa.page.locator('li.post', { hasText: 'More time for questions' }).getByText(/hidden: Duplicate/).waitFor();
  me.assertClean();
  coordinator.assertClean();
  laa.assertClean();
  await laa.context.close();
  await coordinator.context.close();
});

test('the organisation administrator invites, disables and promotes its users', async () => {
  const { page } = me;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Our users' }).waitFor();
  await open(page, '#/users', 'Users of IfOnline');
  const invite = page.getByRole('form', { name: 'Invite a user' });
  const email = `e2e-colleague-${Date.now()}@ifonline.example`;
  await invite.getByLabel('E-mail address').fill(email);
  await invite.getByLabel('Name').fill('IfOnline colleague');
  await invite.getByRole('button', { name: 'Invite' }).click();
  await page.getByText(`${email} is invited.`).first().waitFor();
  assert.equal((await page.getByLabel('Invitation token').inputValue()).length, 43);
  const row = page.getByRole('row', { name: /IfOnline colleague/ });
  assert.match(await row.innerText(), /Staff[\s\S]*invited/);
  await checkA11y(page, 'organisation users');
  await screenshot(page, 'member-users');
  await row.getByRole('button', { name: 'Make administrator' }).click();
  await page.getByText('The role is changed.').waitFor();
  assert.match(await page.getByRole('row', { name: /IfOnline colleague/ }).innerText(), /Administrator/);
  await page.getByRole('row', { name: /IfOnline colleague/ }).getByRole('button', { name: 'Disable' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
  await page.getByText('The user is disabled.').waitFor();
  assert.match(await page.getByRole('row', { name: /IfOnline colleague/ }).innerText(), /disabled/);
  me.assertClean();
});

test('the trainer, staff of the coordinating organisation, manages no users', async () => {
  const trainer = await person(browser);
  await login(trainer.page, 'trainer');
  assert.equal(await trainer.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Our users' }).count(), 0);
  trainer.assertClean();
  await trainer.context.close();
});
