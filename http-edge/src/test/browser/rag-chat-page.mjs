// The bundled knowledge base answering a new user in Debian's Chromium, with no language model configured: sign up on
// the chat page, wait on the knowledge page until the sample collection is indexed, go back to the chat, ask in
// Chinese and in English (each answer streams in, is quoted from the documents and cites the right document and
// version), then ask something the documents do not cover and get the honest answer with no sources.
//
//   node rag-chat-page.mjs <base-url> <screenshot.png>
//
// <base-url> is the edge's root (the chat page) of a node whose new tenants get the sample knowledge base. Exit code 0
// when every check passed; 1 (with the reason on stderr, and a screenshot of the failure) otherwise. Prints one JSON
// line with "ok":true. Run by RagChatPageIT; needs `npm ci --prefix http-edge/src/test/browser` and
// `apt-get install chromium` (or CHROMIUM_PATH). SAMPLE_READY_TIMEOUT_MS (default 120000) bounds the wait for the
// sample documents to be indexed; REPLY_TIMEOUT_MS (default 60000) each wait for an answer.
import {
  check, launchChromium, recordProblems, recordReplyStates, scriptArguments, signUp, waitForSampleIndexed,
} from './support.mjs';

const { url, screenshot } = scriptArguments('node rag-chat-page.mjs <base-url> <screenshot.png>');
const base = new URL('/', url).href;
const READY_TIMEOUT = Number(process.env.SAMPLE_READY_TIMEOUT_MS || 120_000);
const REPLY_TIMEOUT = Number(process.env.REPLY_TIMEOUT_MS || 60_000);

const EMAIL = `rag-${Date.now()}@example.com`;
const PASSWORD = 'a long browser password';
const SAMPLE_DOCUMENTS = 14; // cluster/src/main/resources/sample-kb/files.txt
// The answer the no-model path gives when no passage is relevant (ExtractiveAnswerer.NOT_COVERED_EN).
const NOT_COVERED_EN = 'Sorry, the documents in the knowledge base do not cover this question, so I cannot answer it '
  + 'from them. You could ask it another way or contact a human agent.';

// Labelled questions from cluster/src/test/resources/sample-kb-eval/questions.jsonl, with their document and heading.
const QUESTIONS = [
  { id: 'zh-001', question: '买的东西多少天之内可以退？', document: '退换货政策.md', heading: '退货期限', fact: '30 天' },
  { id: 'en-066', question: 'how many backup codes do I get for two factor?', document: 'account-and-privacy.md',
    heading: 'Two-Step Verification', fact: '10 backup codes' },
];
// Nothing in the sample is about novels. (Questions that share a word with the documents, such as "What is the
// capital of Australia?" or "What is the weather like on Mars?", are answered today by quoting the shipping page, which
// names Australia Post and severe weather: the keyword search finds passages the relevance check lets through.)
const OUTSIDE = 'Who wrote Pride and Prejudice?';

const browser = await launchChromium();
let page;
let step = 'start';
let problems = [];
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
    { documents: SAMPLE_DOCUMENTS, names: QUESTIONS.map((q) => q.document), timeoutMs: READY_TIMEOUT });

  step = 'back to the chat page';
  await page.click('[data-testid="nav-chat"]');
  await page.waitForURL((u) => u.pathname === '/');
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#new-conversation');
  await page.waitForSelector('.conversation-item[aria-current="true"]');
  check(await page.locator('#error').isHidden(), `no error: ${await page.textContent('#error-text')}`);

  await recordReplyStates(page);

  /** Sends the question and waits until its reply is finished; answers the reply's locator, text and states. */
  async function ask(question) {
    const index = await page.locator('.message.assistant').count();
    await page.evaluate(() => { window.replyStates = []; });
    await page.fill('#message-input', question);
    await page.click('#send');
    await page.waitForFunction((i) => {
      const reply = document.querySelectorAll('.message.assistant')[i];
      return reply && ['completed', 'interrupted', 'failed'].includes(reply.dataset.status);
    }, index, { timeout: REPLY_TIMEOUT });
    const reply = page.locator('.message.assistant').nth(index);
    const text = await reply.locator('.content').textContent();
    const status = await reply.getAttribute('data-status');
    check(status === 'completed', `the reply to "${question}" completed, not ${status}: "${text}"`);
    const states = await page.evaluate(() => window.replyStates);
    const partial = states.filter((s) => s.length > 0 && s.length < text.length && text.startsWith(s));
    return { reply, text, partial, details: await reply.locator('.details').textContent() };
  }

  const answered = [];
  for (const q of QUESTIONS) {
    step = `ask ${q.id}: ${q.question}`;
    const { reply, text, partial, details } = await ask(q.question);
    check(partial.length >= 2, `the answer streamed in (${partial.length} partial states): "${text}"`);
    check((await reply.getAttribute('data-mode')) === 'rag', `answered from the documents: ${details}`);
    check((await reply.getAttribute('data-support')) === 'supported', `supported by the documents: ${details}`);
    check(details.includes('none (extractive)') && details.includes('supported by the documents'),
      `the details say extractive and supported: "${details}"`);
    check(text.includes(q.fact) && /\[\d+\]/.test(text), `the answer quotes "${q.fact}" with a marker: "${text}"`);
    const sources = await reply.locator('ol.sources[data-testid="sources"] li').allTextContents();
    check(sources.length > 0, 'the answer lists its sources');
    check(sources.every((s) => s.includes(q.document) && s.endsWith('(v1)')),
      `every source is ${q.document} version 1: ${JSON.stringify(sources)}`);
    check(sources.some((s) => s.includes(`› ${q.heading}`)), `a source is the section "${q.heading}": ${sources}`);
    answered.push({ id: q.id, steps: partial.length, sources });
  }

  step = `ask outside the documents: ${OUTSIDE}`;
  {
    const { reply, text, partial, details } = await ask(OUTSIDE);
    check(text === NOT_COVERED_EN, `the honest answer, not "${text}"`);
    check(partial.length >= 2, `the honest answer streamed in too (${partial.length} partial states)`);
    check((await reply.getAttribute('data-mode')) === 'rag', `still a knowledge-base answer: ${details}`);
    check((await reply.getAttribute('data-support')) === 'none', `no support: ${details}`);
    check(details.includes('not in the documents'), `the details say so: "${details}"`);
    check(await reply.locator('ol.sources').count() === 0, 'no sources are listed');
  }

  check(await page.locator('#error').isHidden(), `no error: ${await page.textContent('#error-text')}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  check(problems.length === 0, `no errors in the page: ${problems.join('; ')}`);
  console.log(JSON.stringify({ ok: true, indexedMs, answered, outside: OUTSIDE }));
} catch (error) {
  console.error(`FAILED at "${step}": ${error.message}`);
  if (problems.length) console.error(`page problems: ${problems.join('; ')}`);
  if (page) await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
