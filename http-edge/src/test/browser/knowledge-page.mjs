// Drives the knowledge page in Debian's Chromium like a person would: sign up on the chat page, follow its link to the
// knowledge page, create a collection, upload a Markdown file and watch it become READY, upload the same file name
// again and watch version 2 replace version 1, search the collection (only version 2 answers), download version 1,
// take a screenshot, restore version 1.
//
//   node knowledge-page.mjs <base-url> <screenshot.png>
//
// <base-url> is the edge's root (the chat page), e.g. http://127.0.0.1:8080/. Exit code 0 when every check passed;
// 1 (with the reason on stderr, and a screenshot of the failure) otherwise. Prints one JSON line with "ok":true.
// Needs `npm ci --prefix http-edge/src/test/browser` and `apt-get install chromium` (or CHROMIUM_PATH).
// KNOWLEDGE_READY_TIMEOUT_MS (default 60000) bounds each wait for indexing to finish.
import {
  check, launchChromium, recordProblems, scriptArguments, signUp,
} from './support.mjs';

const { url, screenshot } = scriptArguments('node knowledge-page.mjs <base-url> <screenshot.png>');
const base = new URL('/', url).href;
const READY_TIMEOUT = Number(process.env.KNOWLEDGE_READY_TIMEOUT_MS || 60_000);

const EMAIL = `knowledge-${Date.now()}@example.com`;
const PASSWORD = 'a long browser password';
const COLLECTION = `常见问题 FAQ ${Date.now() % 100000}`;
const RENAMED = `${COLLECTION} · 已更新`;
const FILE = 'returns-policy.md';
const V1 = '# Returns policy\n\nItems can be returned within **30 days** of delivery.\n\n退货政策：30 天内可退货。\n';
const V2 = '# Returns policy\n\nItems can be returned within **60 days** of delivery, unused and in their box.\n\n'
  + '## Refunds\n\nRefunds reach the original payment method within 5 working days.\n\n退货政策：60 天内可退货。\n';

const markdown = (name, text) => ({ name, mimeType: 'text/markdown', buffer: Buffer.from(text, 'utf8') });

const browser = await launchChromium();
let page;
let step = 'start';
let problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  problems = recordProblems(page);
  page.setDefaultTimeout(15_000);
  const row = (name) => page.locator(`tr[data-testid="document-row"][data-name="${name}"]`);
  const versionItem = (n) => page.locator(`.kb-details li[data-testid="version"][data-version="${n}"]`);

  step = 'signed out';
  await page.goto(new URL('knowledge.html', base).href);
  await page.waitForSelector('body[data-auth="required"]');
  check(await page.locator('#kb-app').isHidden(), 'the knowledge page shows nothing before signing in');
  check(await page.locator('[data-testid="sign-in-link"]').isVisible(), 'a signed-out visitor is sent to sign in');

  step = 'sign up on the chat page';
  await page.click('[data-testid="sign-in-link"]');
  await page.waitForSelector('#auth-form');
  await signUp(page, { tenant: 'Knowledge Test Shop', email: EMAIL, password: PASSWORD });

  step = 'open the knowledge page from the chat page';
  await page.click('[data-testid="nav-knowledge"]');
  await page.waitForURL(/knowledge\.html/);
  await page.waitForSelector('body[data-ready="true"]');
  const account = await page.textContent('[data-testid="account"]');
  check(account.includes(EMAIL), `the signed-in user is shown: "${account}"`);
  check(account.includes('Knowledge Test Shop'), `the tenant is shown: "${account}"`);

  step = 'create a collection';
  await page.fill('#collection-name', COLLECTION);
  await page.click('[data-testid="collection-create"]');
  await page.locator('[data-testid="collection-item"][aria-current="true"]', { hasText: COLLECTION }).waitFor();
  check((await page.textContent('#collection-title')) === COLLECTION, 'the new collection (Chinese name) is selected');
  check(await page.locator('#error').isHidden(), `no error: ${await page.textContent('#error-text')}`);

  step = 'rename the collection';
  await page.click('[data-testid="collection-rename"]');
  await page.fill('[data-testid="rename-input"]', RENAMED);
  await page.click('[data-testid="rename-save"]');
  await page.locator('[data-testid="collection-item"][aria-current="true"]', { hasText: RENAMED }).waitFor();
  check((await page.textContent('#collection-title')) === RENAMED, 'the renamed collection is shown');

  step = 'an empty file is refused in the page';
  await page.setInputFiles('[data-testid="file-input"]', markdown('empty.md', ''));
  const refused = page.locator('[data-testid="upload"][data-name="empty.md"][data-state="failed"]');
  await refused.waitFor();
  check((await refused.locator('[data-testid="upload-status"]').textContent()).includes('empty'),
    'the empty file is refused with a reason');

  step = 'upload version 1';
  await page.setInputFiles('[data-testid="file-input"]', markdown(FILE, V1));
  const accepted1 = page.locator(`[data-testid="upload"][data-name="${FILE}"][data-state="accepted"]`);
  await accepted1.waitFor();
  const status1 = await accepted1.locator('[data-testid="upload-status"]').textContent();
  check(status1.includes('version 1'), `the upload answer names version 1: "${status1}"`);
  await row(FILE).waitFor();
  await page.locator(`tr[data-testid="document-row"][data-name="${FILE}"][data-state="READY"]`)
    .waitFor({ timeout: READY_TIMEOUT });
  check((await row(FILE).locator('[data-testid="published"]').textContent()).startsWith('v1'),
    'version 1 is published');
  const chunks1 = Number(await row(FILE).locator('[data-testid="chunks"]').textContent());
  check(chunks1 >= 1, `version 1 has chunks (${chunks1})`);

  step = 'expand the document';
  await row(FILE).locator('[data-testid="document-toggle"]').click();
  check((await row(FILE).locator('[data-testid="document-toggle"]').getAttribute('aria-expanded')) === 'true',
    'the row says it is expanded');
  await versionItem(1).waitFor();
  check((await versionItem(1).getAttribute('data-state')) === 'READY', 'version 1 is READY in the details');
  check((await versionItem(1).textContent()).includes(FILE), 'version 1 shows its file name');

  step = 'upload version 2 (same file name, new content)';
  await page.setInputFiles('[data-testid="file-input"]', markdown(FILE, V2));
  await page.locator(`[data-testid="upload"][data-name="${FILE}"][data-state="accepted"]`,
    { hasText: 'version 2' }).waitFor();
  await page.locator(`.kb-details li[data-testid="version"][data-version="2"][data-state="READY"]`)
    .waitFor({ timeout: READY_TIMEOUT });
  await page.locator(`.kb-details li[data-testid="version"][data-version="1"][data-state="SUPERSEDED"]`)
    .waitFor({ timeout: READY_TIMEOUT });
  await page.waitForFunction((name) => {
    const r = document.querySelector(`tr[data-testid="document-row"][data-name="${name}"]`);
    return r && r.dataset.state === 'READY' && r.querySelector('[data-testid="published"]').textContent.startsWith('v2');
  }, FILE, { timeout: READY_TIMEOUT });
  check(await row(FILE).count() === 1, 'the same file name is one document, not two');
  check(await versionItem(1).locator('[data-testid="restore"]').isVisible(), 'a superseded version can be restored');
  check(await versionItem(2).locator('[data-testid="restore"]').count() === 0, 'the published version has no restore');

  step = 'search the collection';
  await page.fill('[data-testid="search-input"]', 'How many days do I have to return an item?');
  await page.click('[data-testid="search-submit"]');
  const firstResult = page.locator('[data-testid="search-result"]').first();
  await firstResult.waitFor();
  check((await firstResult.getAttribute('data-document')) === FILE, 'the best passage is from the uploaded file');
  const found = await firstResult.textContent();
  check(found.includes('60 days') && !found.includes('30 days'),
    `the passage is from the published version 2: ${JSON.stringify(found.slice(0, 200))}`);
  check(found.includes('v2'), 'the passage names its version');
  check((await page.textContent('[data-testid="search-summary"]')).includes('vector and keyword'),
    'the summary says both searches answered');

  step = 'download version 1';
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    versionItem(1).locator('[data-testid="download"]').click(),
  ]);
  check(download.suggestedFilename() === FILE, `the download is named ${FILE}, not ${download.suggestedFilename()}`);
  const stream = await download.createReadStream();
  const parts = [];
  for await (const chunk of stream) parts.push(chunk);
  const downloaded = Buffer.concat(parts).toString('utf8');
  check(downloaded === V1, `the download is version 1 as uploaded, got ${JSON.stringify(downloaded.slice(0, 80))}`);

  check(await page.locator('#error').isHidden(), `no error: ${await page.textContent('#error-text')}`);
  await page.screenshot({ path: screenshot, fullPage: true });

  step = 'restore version 1';
  await versionItem(1).locator('[data-testid="restore"]').click();
  await page.waitForFunction((name) => {
    const r = document.querySelector(`tr[data-testid="document-row"][data-name="${name}"]`);
    return r && r.dataset.state === 'READY' && r.querySelector('[data-testid="published"]').textContent.startsWith('v1');
  }, FILE, { timeout: READY_TIMEOUT });
  await page.locator(`.kb-details li[data-testid="version"][data-version="2"][data-state="SUPERSEDED"]`)
    .waitFor({ timeout: READY_TIMEOUT });

  step = 'an expired access token is refreshed once';
  // The next list answers 401 as for an expired token: the page refreshes its session and asks again.
  let refusedOnce = false;
  await page.route('**/api/v1/collections/*/documents', async (route) => {
    if (!refusedOnce && route.request().method() === 'GET') {
      refusedOnce = true;
      await route.fulfill({ status: 401, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'urn:voicehelper:problem:invalid-credential', title: 'Invalid credential',
          status: 401, detail: 'The access token has expired.' }) });
      return;
    }
    await route.continue();
  });
  const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh') && r.status() === 200);
  const listedAgain = page.waitForResponse((r) => /\/documents$/.test(r.url()) && r.status() === 200);
  await page.click('[data-testid="docs-refresh"]');
  await Promise.all([refreshed, listedAgain]);
  check(refusedOnce, 'the 401 was served');
  check(await page.locator('#kb-app').isVisible(), 'still signed in after the refresh');
  check(await page.locator('#error').isHidden(), `no error after the refresh: ${await page.textContent('#error-text')}`);
  await page.unroute('**/api/v1/collections/*/documents');

  step = 'a reload stays signed in and keeps the collection';
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  check((await page.textContent('#collection-title')) === RENAMED, 'the deep link selects the collection again');
  await row(FILE).waitFor();

  // 401s are expected (the signed-out visit and the one served above); nothing else may fail.
  const unexpected = problems.filter((p) => !p.includes('401'));
  check(unexpected.length === 0, `no errors in the page: ${unexpected.join('; ')}`);
  console.log(JSON.stringify({ ok: true, collection: RENAMED, document: FILE, chunks: chunks1, versions: 2 }));
} catch (error) {
  console.error(`FAILED at "${step}": ${error.message}`);
  if (problems.length) console.error(`page problems: ${problems.join('; ')}`);
  if (page) await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
