// The voice page's call mechanics in Debian's Chromium against the real voice WebSocket edge and a scripted call
// (ScriptedVoiceCalls): the fake microphone plays <microphone.wav> once (voiced sound between silences). Sign up, open
// the voice page from the chat page, start a call; the transcript shows grey while partial, then final; the reply
// streams in with its citation and metrics; its audio plays and Interrupt cuts it at once; a dropped connection is
// resumed with the call id and the turns are redrawn; a failed turn is reported; a typed question is answered and
// read to the end; Stop ends the call.
//
//   node voice-call.mjs <base-url> <screenshot.png> <microphone.wav>
//
// Exit code 0 when every check passed; 1 (with the reason on stderr, and a screenshot of the failure) otherwise.
// Prints one JSON line with "ok":true and the page's audio counters. Run by VoiceCallPageIT.
import {
  check, launchChromiumWithMicrophone, recordProblems, reportVoiceFailure, scriptArguments, signUp, voiceStats,
} from './support.mjs';

const { url, screenshot, wav } = scriptArguments(
  'node voice-call.mjs <base-url> <screenshot.png> <microphone.wav>', ['wav']);
const base = new URL('/', url).href;
const QUESTION = 'how do I reset my password'; // ScriptedVoiceCalls.QUESTION
const TYPED = 'and how do I change my email';
const DROP = 'drop the line'; // ScriptedVoiceCalls.DROP
const FAIL = 'fail this turn'; // ScriptedVoiceCalls.FAIL
const REPLY_FRAMES = 25; // ScriptedVoiceCalls.REPLY_FRAMES

const browser = await launchChromiumWithMicrophone(wav);
let page;
let step = 'start';
let problems = [];
const stats = () => voiceStats(page);
const indicator = () => page.getAttribute('[data-testid="indicator"]', 'data-state');

/** Types {@code text} into the call's text box and sends it with Enter. */
async function type(text) {
  await page.fill('[data-testid="text-input"]', text);
  await page.press('[data-testid="text-input"]', 'Enter');
}

try {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  problems = recordProblems(page);
  page.setDefaultTimeout(15_000);

  step = 'sign up and open the voice page';
  await page.goto(base);
  await page.waitForSelector('#auth-form');
  await signUp(page, { tenant: 'Voice callers', email: `caller-${Date.now()}@example.com`,
    password: 'a long browser password' });
  await page.click('[data-testid="nav-voice"]');
  await page.waitForURL((u) => u.pathname === '/voice');
  await page.waitForSelector('body[data-ready="true"]');
  check(await indicator() === 'idle', 'not in a call yet');
  check(await page.locator('[data-testid="text-input"]').isDisabled(), 'typing waits for a call');
  // Every state a transcript goes through, to see the partial one.
  await page.evaluate(() => {
    window.transcriptStates = [];
    new MutationObserver(() => {
      for (const m of document.querySelectorAll('.message.user[data-final]')) {
        const seen = `${m.dataset.final}:${m.querySelector('.content').textContent}`;
        if (!window.transcriptStates.includes(seen)) window.transcriptStates.push(seen);
      }
    }).observe(document.getElementById('turns'), { subtree: true, childList: true, characterData: true,
      attributes: true });
  });

  step = 'start a call';
  await page.selectOption('[data-testid="style"]', 'cheerful');
  await page.click('[data-testid="call-start"]');
  await page.waitForSelector('body[data-call-id]');
  check(await page.locator('[data-testid="language"]').isDisabled(), 'the voice settings are fixed during the call');
  check((await page.textContent('#call-engines')) === 'asr scripted, vad energy, tts tone', 'the engines are named');

  step = 'the transcript, partial then final';
  const transcript = page.locator('.message.user[data-final="true"]').first();
  await transcript.waitFor();
  check((await transcript.locator('.content').textContent()) === QUESTION, 'the final transcript');
  const states = await page.evaluate(() => window.transcriptStates);
  check(states[0] === 'false:how do' && states.includes(`true:${QUESTION}`),
    `a grey partial came first: ${JSON.stringify(states)}`);

  step = 'the reply, its citation and metrics';
  const reply = page.locator('.message.assistant').first();
  await page.waitForSelector('.message.assistant[data-status="completed"]');
  check((await reply.locator('.content').textContent()).startsWith('On the sign-in screen'), 'the reply text');
  const sources = await reply.locator('ol.sources li').allTextContents();
  check(sources.length === 1 && sources[0] === '[1] account-and-privacy.md › Resetting Your Password (v1)',
    `the citation: ${JSON.stringify(sources)}`);
  await page.waitForSelector('.message.assistant[data-first-audio-ms="502"]');
  const metrics = await reply.locator('.details').textContent();
  check(metrics === 'final transcript +310 ms · first token +42 ms · first audio +150 ms · heard 502 ms after you stopped',
    `the turn metrics: "${metrics}"`);

  step = 'the reply is heard, then interrupted';
  await page.waitForFunction(() => window.voiceStats.playedFrames >= 10);
  check(await indicator() === 'assistant', `the indicator shows the assistant speaking, not ${await indicator()}`);
  check(await page.locator('[data-testid="call-interrupt"]').isEnabled(), 'Interrupt is enabled while it speaks');
  await page.click('[data-testid="call-interrupt"]');
  const cut = await stats();
  check(cut.queuedFrames === 0, `nothing is left to play after Interrupt: ${JSON.stringify(cut)}`);
  check(cut.playedFrames < 100, `the reply was cut before its end: ${JSON.stringify(cut)}`);
  check(await indicator() === 'listening', `back to listening, not ${await indicator()}`);
  check(await reply.getAttribute('data-status') === 'interrupted', 'the reply is marked interrupted');
  check(await page.locator('[data-testid="call-interrupt"]').isDisabled(), 'nothing left to interrupt');

  step = 'a dropped connection comes back with the call id';
  const callId = await page.getAttribute('body', 'data-call-id');
  await type(DROP);
  await page.waitForFunction(() => window.voiceStats.reconnects === 1);
  await page.waitForFunction(() => document.getElementById('voice-indicator').dataset.state === 'listening');
  check(await page.getAttribute('body', 'data-call-id') === callId, 'the same call');
  // Redrawn from started.turns: the question and the reply as far as it was heard; the dropped text is gone.
  await page.waitForFunction(() => document.querySelectorAll('.message').length === 2);
  check((await page.locator('.message.user .content').allTextContents()).join('|') === QUESTION,
    'the turn is redrawn');
  check(await reply.getAttribute('data-status') === 'interrupted', 'still interrupted after the redraw');
  const redrawn = await page.locator('.message.assistant .content').first().textContent();
  check(redrawn === 'On the sign-in screen,', `the reply as heard: "${redrawn}"`);

  step = 'a failed turn is reported and the call goes on';
  await type(FAIL);
  await page.waitForSelector('#error[data-code="turn-failed"]:not([hidden])');
  check((await page.textContent('#error-text')) === 'The answer could not be generated; ask again.',
    `the server's message: "${await page.textContent('#error-text')}"`);
  check(await indicator() === 'listening', `still in the call, not ${await indicator()}`);
  check(await page.getAttribute('.message.user >> nth=1', 'data-status') === 'failed', 'the typed question failed');
  await page.click('#error-dismiss');

  step = 'a typed question, read to the end';
  const before = await stats();
  await type(TYPED);
  await page.waitForFunction(() => document.querySelectorAll('.message.assistant[data-status="completed"]').length === 1);
  await page.waitForFunction((n) => window.voiceStats.playedFrames >= n, before.playedFrames + REPLY_FRAMES);
  await page.waitForFunction(() => document.getElementById('voice-indicator').dataset.state === 'listening');
  const users = await page.locator('.message.user .content').allTextContents();
  check(users.join('|') === `${QUESTION}|${FAIL}|${TYPED}`, `the questions are shown once: ${JSON.stringify(users)}`);
  check(await page.getAttribute('.message.user >> nth=2', 'data-status') === 'accepted', 'the typed question was taken');

  step = 'stop the call';
  await page.click('[data-testid="call-stop"]');
  await page.waitForFunction(() => !document.body.dataset.callId);
  check(await indicator() === 'idle', 'the call ended');
  check(await page.locator('[data-testid="call-start"]').isEnabled(), 'a new call can start');
  check((await page.getAttribute('[data-testid="open-in-chat"]', 'href')) === `/#/c/conv-${callId}`,
    'Open in chat links to the conversation');
  check(await page.locator('#error').isHidden(), `no error: ${await page.textContent('#error-text')}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  const final = await stats();
  check(final.droppedFrames >= 0 && final.sentBytes === final.sentFrames * 640, `frames: ${JSON.stringify(final)}`);
  check(problems.length === 0, `no errors in the page: ${problems.join('; ')}`);
  console.log(JSON.stringify({ ok: true, transcripts: states, stats: final, reconnects: final.reconnects }));
} catch (error) {
  await reportVoiceFailure(error, { page, step, problems, screenshot });
} finally {
  await browser.close();
}
