// What the browser scripts share: Debian's Chromium through playwright-core, the checks, the page's problems, sign-up.
import { chromium } from 'playwright-core';

/** Throws with {@code message} unless {@code condition} holds: the script reports it and fails. */
export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Headless Chromium at CHROMIUM_PATH (default /usr/bin/chromium), with nothing that talks to the outside, and
 * {@code more} command-line flags (a fake microphone, say).
 */
export function launchChromium(more = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...more],
  });
}

/**
 * Headless Chromium whose microphone is a fake device playing {@code wav} once (then silence; by default it loops),
 * with permission granted and sound allowed without a gesture: for the voice page.
 */
export function launchChromiumWithMicrophone(wav) {
  return launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}%noloop`, '--autoplay-policy=no-user-gesture-required']);
}

/** The voice page's audio counters (window.voiceStats), or null when the page cannot answer. */
export function voiceStats(page) {
  return page.evaluate(() => ({ ...window.voiceStats })).catch(() => null);
}

/**
 * Reports a voice script's failure: the step, the page's problems, its audio counters and a screenshot; sets the
 * exit code to 1.
 */
export async function reportVoiceFailure(error, { page, step, problems, screenshot }) {
  console.error(`FAILED at "${step}": ${error.message}`);
  if (problems.length) console.error(`page problems: ${problems.join('; ')}`);
  if (page) {
    console.error(`voiceStats: ${JSON.stringify(await voiceStats(page))}`);
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  }
  process.exitCode = 1;
}

/** Collects the page's errors, console errors and HTTP answers of 400 and above into the returned array. */
export function recordProblems(page) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()} `
        + `(auth: ${response.request().headers().authorization ? 'yes' : 'no'})`);
    }
  });
  return problems;
}

/** Signs up a new organisation and its owner on the chat page's form (already shown) and waits until signed in. */
export async function signUp(page, { tenant, email, password }) {
  await page.click('#auth-tab-signup');
  await page.fill('#tenant-name', tenant);
  await page.fill('#auth-email', email);
  await page.fill('#auth-password', password);
  await page.click('#auth-submit');
  await page.waitForSelector('body[data-ready="true"]');
}

/**
 * The script's arguments: the page's URL, the screenshot's path and {@code more} named ones after them (answered by
 * name); exits with the usage line when one is missing.
 */
export function scriptArguments(usage, more = []) {
  const [url, screenshot, ...rest] = process.argv.slice(2);
  if (!url || !screenshot || rest.length < more.length) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { url, screenshot, ...Object.fromEntries(more.map((name, i) => [name, rest[i]])) };
}

/**
 * Opens the knowledge page from the page's header and waits there until the sample collection's {@code documents}
 * documents are READY, pressing its Refresh button as a person would for documents added after the list was read;
 * then until each of {@code names} is. Answers how long the wait took, in ms.
 */
export async function waitForSampleIndexed(page, { documents, names, timeoutMs }) {
  await page.click('[data-testid="nav-knowledge"]');
  await page.waitForURL(/knowledge\.html/);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('[data-testid="collection-item"][data-collection-id="col-sample"]');
  await page.locator('#collection-title').filter({ hasText: 'Lumen Home sample' }).waitFor();
  const ready = page.locator('tr[data-testid="document-row"][data-state="READY"]');
  const started = Date.now();
  while ((await ready.count()) < documents) {
    check(Date.now() - started < timeoutMs,
      `${documents} sample documents READY within ${timeoutMs} ms (${await ready.count()} are)`);
    await page.waitForFunction((n) => document.querySelectorAll(
      'tr[data-testid="document-row"][data-state="READY"]').length >= n, documents, { timeout: 5_000 })
      .catch(() => page.click('[data-testid="docs-refresh"]'));
  }
  const indexedMs = Date.now() - started;
  for (const name of names) {
    await page.locator(`tr[data-testid="document-row"][data-name="${name}"][data-state="READY"]`).waitFor();
  }
  return indexedMs;
}

/**
 * Records in {@code window.replyStates} every text the latest reply in the chat page goes through, to prove that it
 * streams in rather than appearing at once (empty the array before each question).
 */
export async function recordReplyStates(page) {
  await page.evaluate(() => {
    window.replyStates = [];
    new MutationObserver(() => {
      const replies = document.querySelectorAll('.message.assistant .content');
      const last = replies[replies.length - 1];
      if (last && window.replyStates[window.replyStates.length - 1] !== last.textContent) {
        window.replyStates.push(last.textContent);
      }
    }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true });
  });
}
