// What the browser scripts share: Debian's Chromium through playwright-core, the checks, the page's problems, sign-up.
import { chromium } from 'playwright-core';

/** Throws with {@code message} unless {@code condition} holds: the script reports it and fails. */
export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Headless Chromium at CHROMIUM_PATH (default /usr/bin/chromium), with nothing that talks to the outside. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
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

/** The script's two arguments, the page's URL and the screenshot's path; exits with the usage line without them. */
export function scriptArguments(usage) {
  const [url, screenshot] = process.argv.slice(2);
  if (!url || !screenshot) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { url, screenshot };
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
