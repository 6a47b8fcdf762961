// Drives the chat page in Debian's Chromium like a person would: sign up, create a conversation, send a message,
// watch the reply stream in, check the finished state, take a screenshot, sign out and sign in again.
//
//   node chat-page.mjs <page-url> <screenshot.png>
//
// Exit code 0 when every check passed; 1 (with the reason on stderr, and a screenshot of the failure) otherwise.
// Run by ChatPageIT; needs `npm install --prefix http-edge/src/test/browser` and `apt-get install chromium`.
import {
  check, launchChromium, recordProblems, recordReplyStates, scriptArguments, signUp,
} from './support.mjs';

const { url, screenshot } = scriptArguments('node chat-page.mjs <page-url> <screenshot.png>');

const QUESTION = 'Where is my order 12345?';
const EMAIL = `browser-${Date.now()}@example.com`;
const PASSWORD = 'a long browser password';
const EXPECTED = `Echo: ${QUESTION}`;

const browser = await launchChromium();
let page;
let problems = [];
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  problems = recordProblems(page);
  page.setDefaultTimeout(15_000);

  await page.goto(url);
  // Nothing but the sign-in form until signed in; the API refuses anonymous requests.
  await page.waitForSelector('#auth-form');
  check(await page.locator('#app').isHidden(), 'the chat is hidden before signing in');
  const anonymous = await page.evaluate(async () => (await fetch('/api/v1/conversations')).status);
  check(anonymous === 401, `the API refuses an anonymous request (got ${anonymous})`);

  // A wrong password is refused with a readable message.
  await page.fill('#auth-email', 'nobody@example.com');
  await page.fill('#auth-password', 'not the right password');
  await page.click('#auth-submit');
  await page.waitForSelector('#auth-error:not([hidden])');

  // Sign up: a new organisation and its owner.
  await signUp(page, { tenant: 'Browser Test Shop', email: EMAIL, password: PASSWORD });
  check((await page.textContent('#account-email')) === EMAIL, 'the signed-in email is shown');
  const stored = await page.evaluate(() => sessionStorage.getItem('voicehelper.refreshToken'));
  check(typeof stored === 'string' && stored.length > 20, 'the refresh token is kept in sessionStorage');
  const leaked = await page.evaluate(() => Object.keys(localStorage).length);
  check(leaked === 0, 'nothing is written to localStorage');
  const listedBefore = await page.locator('.conversation-item').count();
  check(await page.locator('.conversation-item', { hasText: 'Shipping question' }).count() === 0,
    "another tenant's conversation is not listed");

  // A new conversation is created, selected and listed.
  await page.click('#new-conversation');
  await page.waitForSelector('.conversation-item[aria-current="true"], #error:not([hidden])');
  check(await page.locator('#error').isHidden(), `no error: ${await page.textContent('#error-text')}; ${problems}`);
  check(await page.locator('.conversation-item').count() === listedBefore + 1, 'the new conversation is listed');
  await page.waitForFunction(() => document.getElementById('conversation-title').textContent === 'New conversation');

  await recordReplyStates(page);

  await page.fill('#message-input', QUESTION);
  await page.click('#send');
  await page.waitForSelector('.message.user');
  check((await page.locator('.message.user .content').last().textContent()) === QUESTION, 'the question is shown');
  const reply = page.locator('.message.assistant[data-status="completed"]').last();
  await reply.waitFor();

  const text = await reply.locator('.content').textContent();
  check(text === EXPECTED, `the reply reads "${EXPECTED}", not "${text}"`);
  const states = await page.evaluate(() => window.replyStates);
  const partial = states.filter((s) => s.length > 0 && s.length < EXPECTED.length && EXPECTED.startsWith(s));
  check(partial.length >= 2, `the reply appeared in steps (saw ${JSON.stringify(states)})`);
  const details = await reply.locator('.details').textContent();
  check(details.includes('scripted') && /\d+(\.\d)? (ms|s)/.test(details), `model and latency shown: "${details}"`);
  check(await reply.locator('.badge').isHidden(), 'no warning badge on a completed reply');
  check(await page.locator('#error').isHidden(), 'no error shown');
  check((await page.textContent('#send')) === 'Send', 'the send button is back');

  // A reply the model breaks off is kept, and marked as interrupted with the reason.
  await page.fill('#message-input', 'And the refund? [fail]');
  await page.press('#message-input', 'Enter');
  const broken = page.locator('.message.assistant[data-status="interrupted"]').last();
  await broken.waitFor();
  check((await broken.locator('.badge').textContent()) === 'Interrupted', 'an interrupted badge is shown');
  const reason = await broken.locator('.reason').textContent();
  check(reason.includes('model provider is unavailable'), `the reason is shown: "${reason}"`);
  check((await broken.locator('.content').textContent()).startsWith('Echo:'), 'the partial text is kept');
  await page.screenshot({ path: screenshot });

  // A Send right after "New conversation", before the creation has answered, goes to that one new conversation.
  const listedNow = await page.locator('.conversation-item').count();
  // A slow server: the creation answers only after the question has been typed and sent.
  await page.route('**/api/v1/conversations', async (route) => {
    if (route.request().method() === 'POST') await new Promise((resolve) => setTimeout(resolve, 700));
    await route.continue();
  });
  await page.click('#new-conversation');
  await page.fill('#message-input', 'Hurried question');
  await page.click('#send');
  await page.locator('.message.assistant[data-status="completed"] .content', { hasText: 'Echo: Hurried question' })
    .waitFor();
  const listedAfter = await page.locator('.conversation-item').count();
  check(listedAfter === listedNow + 1, `exactly one conversation was created (${listedNow} before, ${listedAfter} after)`);
  check(await page.locator('.message.user').count() === 1, 'the new conversation shows only its own question');
  check(await page.locator('#welcome').isHidden(), 'the welcome text is hidden once there are messages');
  const current = await page.locator('.conversation-item[aria-current="true"] .item-snippet').textContent();
  check(current.startsWith('Echo: Hurried') || current.startsWith('Hurried'), `the selected item is it: "${current}"`);

  // A reload stays signed in (refresh token from sessionStorage); sign-out ends the session, sign-in restores it.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  check((await page.textContent('#account-email')) === EMAIL, 'a reload stays signed in');
  await page.click('#sign-out');
  await page.waitForSelector('#auth-form');
  check(await page.locator('#app').isHidden(), 'signed out: the chat is hidden');
  check(await page.evaluate(() => sessionStorage.getItem('voicehelper.refreshToken')) === null,
    'signed out: the refresh token is gone');
  await page.click('#auth-tab-signin');
  await page.fill('#auth-email', EMAIL);
  await page.fill('#auth-password', PASSWORD);
  await page.click('#auth-submit');
  await page.waitForSelector('body[data-ready="true"]');
  check((await page.textContent('#account-email')) === EMAIL, 'signed in again');
  check(await page.locator('#auth').isHidden(), 'signed in again: the form is gone');

  // The wrong-password attempt at the start logged a 401 in the console; that one is expected.
  const unexpected = problems.filter((p) => !p.includes('401'));
  check(unexpected.length === 0, `no errors in the page: ${unexpected.join('; ')}`);
  console.log(JSON.stringify({ ok: true, reply: text, details, steps: partial.length }));
} catch (error) {
  console.error(`FAILED: ${error.message}`);
  if (problems.length) console.error(`page problems: ${problems.join('; ')}`);
  if (page) await page.screenshot({ path: screenshot }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
