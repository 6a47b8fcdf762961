// The "done means" for voice, in Debian's Chromium with a fake microphone that plays <question.wav> once (a
// spoken question, then silence): sign up on the chat page, wait on the knowledge page until the sample collection is
// indexed, open the voice page, start a call, and see the final transcript with the question's words, the reply with
// a citation of the document that answers it, and the reply's audio played; stop the call, open it in the chat page
// and find the turn there as a question and its answer.
//
//   node voice-page.mjs <base-url> <screenshot.png> <question.wav>
//
// <base-url> is the edge's root of a node whose new tenants get the sample knowledge base and which serves
// /api/v1/voice/ws. Exit code 0 when every check passed; 1 (with the reason on stderr, and a screenshot of the
// failure) otherwise. Prints one JSON line with "ok":true, the transcript, the reply and the audio counters. Run by
// VoicePageIT; needs `npm ci --prefix http-edge/src/test/browser` and `apt-get install chromium` (or CHROMIUM_PATH).
// SAMPLE_READY_TIMEOUT_MS (default 120000) bounds the wait for indexing, TURN_TIMEOUT_MS (default 60000) each wait
// in the call. QUESTION_WORDS (default "reset,password") are the words the transcript must contain;
// QUESTION_DOCUMENT (default account-and-privacy.md) the document a citation must name.
import {
  check, launchChromiumWithMicrophone, recordProblems, reportVoiceFailure, scriptArguments, signUp, voiceStats,
  waitForSampleIndexed,
} from './support.mjs';

const { url, screenshot, wav } = scriptArguments(
  'node voice-page.mjs <base-url> <screenshot.png> <question.wav>', ['wav']);
const base = new URL('/', url).href;
const READY_TIMEOUT = Number(process.env.SAMPLE_READY_TIMEOUT_MS || 120_000);
const TURN_TIMEOUT = Number(process.env.TURN_TIMEOUT_MS || 60_000);
const WORDS = (process.env.QUESTION_WORDS || 'reset,password').split(',');
const DOCUMENT = process.env.QUESTION_DOCUMENT || 'account-and-privacy.md';
const SAMPLE_DOCUMENTS = 14; // cluster/src/main/resources/sample-kb/files.txt

const EMAIL = `voice-${Date.now()}@example.com`;
const PASSWORD = 'a long browser password';

const browser = await launchChromiumWithMicrophone(wav);
let page;
let step = 'start';
let problems = [];
const stats = () => voiceStats(page);
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  problems = recordProblems(page);
  page.setDefaultTimeout(15_000);

  step = 'sign up on the chat page';
  await page.goto(base);
  await page.waitForSelector('#auth-form');
  await signUp(page, { tenant: 'Lumen Home support', email: EMAIL, password: PASSWORD });

  step = 'wait on the knowledge page until the sample is indexed';
  const indexedMs = await waitForSampleIndexed(page,
    { documents: SAMPLE_DOCUMENTS, names: [DOCUMENT], timeoutMs: READY_TIMEOUT });

  step = 'open the voice page';
  await page.click('[data-testid="nav-voice"]');
  await page.waitForURL((u) => u.pathname === '/voice');
  await page.waitForSelector('body[data-ready="true"]');
  check(await page.locator('#open-in-chat').isHidden(), 'no call to open in the chat page yet');

  step = 'start a call';
  await page.click('[data-testid="call-start"]');
  await page.waitForSelector('body[data-call-id]');
  const conversationId = await page.getAttribute('body', 'data-conversation-id');
  check(conversationId, 'the call is linked to a conversation');
  check(await page.locator('[data-testid="call-stop"]').isEnabled(), 'Stop is enabled during the call');

  step = 'the final transcript';
  const transcript = page.locator('.message.user[data-final="true"]').first();
  await transcript.waitFor({ timeout: TURN_TIMEOUT });
  const heard = (await transcript.locator('.content').textContent()).trim();
  for (const word of WORDS) {
    check(heard.toLowerCase().includes(word), `the transcript has "${word}": "${heard}"`);
  }
  const sent = await stats();
  check(sent.sentFrames > 0 && sent.sentBytes === sent.sentFrames * 640,
    `the microphone went out in 20 ms frames of 640 bytes: ${JSON.stringify(sent)}`);

  step = 'the reply with its citation';
  const reply = page.locator('.message.assistant').first();
  await page.waitForSelector('.message.assistant[data-status="completed"], .message.assistant[data-status="interrupted"]',
    { timeout: TURN_TIMEOUT });
  const replyText = (await reply.locator('.content').textContent()).trim();
  check((await reply.getAttribute('data-status')) === 'completed',
    `the reply completed, not ${await reply.getAttribute('data-status')}: "${replyText}"`);
  check(replyText.length > 0, 'the reply has text');
  const sources = await reply.locator('ol.sources[data-testid="sources"] li').allTextContents();
  check(sources.some((s) => s.includes(DOCUMENT)), `a source is ${DOCUMENT}: ${JSON.stringify(sources)}`);

  step = 'the reply is heard';
  await page.waitForFunction(() => window.voiceStats.playedFrames > 0, null, { timeout: TURN_TIMEOUT });
  // Until it has been said to the end (the indicator leaves "speaking"), so the stored reply is all of it.
  await page.waitForFunction(() => document.getElementById('voice-indicator').dataset.state !== 'assistant'
    && window.voiceStats.playedFrames > 0, null, { timeout: TURN_TIMEOUT });
  const played = await stats();
  check(played.droppedFrames === 0, `no audio frame was dropped: ${JSON.stringify(played)}`);
  const metrics = await reply.locator('.details').textContent();

  step = 'stop the call';
  await page.click('[data-testid="call-stop"]');
  await page.waitForFunction(() => !document.body.dataset.callId);
  check(await page.locator('[data-testid="indicator"]').getAttribute('data-state') === 'idle', 'the call ended');
  check(await page.locator('#error').isHidden(), `no error: ${await page.textContent('#error-text')}`);
  await page.screenshot({ path: screenshot, fullPage: true });

  step = 'open the conversation in the chat page';
  await page.click('[data-testid="open-in-chat"]');
  await page.waitForURL((u) => u.pathname === '/' && u.hash === `#/c/${encodeURIComponent(conversationId)}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('.message.assistant[data-status="completed"]');
  const question = (await page.locator('.message.user .content').first().textContent()).trim();
  const answer = (await page.locator('.message.assistant .content').first().textContent()).trim();
  check(question === heard, `the chat page shows the question as transcribed: "${question}" vs "${heard}"`);
  check(await page.locator('.message.user[data-channel="voice"]').count() === 1, 'the question is marked as spoken');
  check(answer.length > 0 && replyText.startsWith(answer.slice(0, 40)),
    `the chat page shows the answer as spoken: "${answer}" vs "${replyText}"`);
  check(await page.locator('.conversation-item[aria-current="true"]').count() === 1,
    'the conversation is selected in the list');

  check(problems.length === 0, `no errors in the page: ${problems.join('; ')}`);
  console.log(JSON.stringify({
    ok: true, indexedMs, transcript: heard, reply: replyText, sources, metrics, stats: played,
  }));
} catch (error) {
  await reportVoiceFailure(error, { page, step, problems, screenshot });
} finally {
  await browser.close();
}
