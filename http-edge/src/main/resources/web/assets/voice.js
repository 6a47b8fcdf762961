// VoiceHelper voice page: a call over the voice WebSocket (docs/api.md, "Voice page"). The microphone goes through an
// AudioWorklet (pcm-worklet.js) that sends 20 ms PCM16 16 kHz frames; the server's PCM16 16 kHz frames are played
// gap-free on the audio clock; transcripts, replies, citations and per-turn metrics are shown as they arrive.
// Plain JavaScript, no build step. Every piece of text from the server or the user goes in through textContent.
// The tab's sign-in is shared with the chat page through session.js; signing in happens there.
'use strict';

(() => {
  const Session = window.VoiceHelperSession;
  const {
    followingBottom, messageElement, setStatus, formatLatency, showSources, setContent, appendContent,
  } = window.VoiceHelperMessages;
  const WS_PATH = '/api/v1/voice/ws';
  const SUBPROTOCOL = 'voicehelper.v1';
  const PCM_RATE = 16000;
  const RECONNECT_ATTEMPTS = 8;
  const PLAYBACK_LEAD_S = 0.06; // the first frame after silence starts this far ahead, so network jitter does not cut it
  const STOP_GRACE_MS = 3000; // after Stop, how long the server has to answer `ended` before the page closes the socket
  // Closes after which reconnecting cannot help: the page sent something the server refuses.
  const FATAL_CLOSES = new Map([
    [1003, 'The server refused a message of this page (1003).'],
    [1007, 'The server found invalid data in a message of this page (1007).'],
    [1009, 'A message of this page was too big for the server (1009).'],
  ]);
  const INDICATOR = {
    idle: 'Not in a call',
    connecting: 'Connecting…',
    listening: 'Listening',
    caller: 'You are speaking',
    assistant: 'The assistant is speaking',
    reconnecting: 'Connection lost, reconnecting…',
  };
  const METRICS = [
    ['endOfSpeechToFinalMs', 'final transcript'],
    ['finalToFirstTokenMs', 'first token'],
    ['firstTokenToFirstAudioMs', 'first audio'],
  ];

  /** What the browser tests read: audio frames sent, received, played (ended on the clock), dropped and queued. */
  const stats = {
    sentFrames: 0, sentBytes: 0, receivedFrames: 0, playedFrames: 0, droppedFrames: 0, reconnects: 0,
    inputSampleRate: null,
  };
  window.voiceStats = stats;

  const $ = (id) => document.getElementById(id);
  const els = {
    loading: $('voice-loading'),
    signedOut: $('voice-signed-out'),
    signedOutReason: $('voice-signed-out-reason'),
    app: $('voice-app'),
    account: $('voice-account'),
    accountName: $('voice-account-name'),
    signOut: $('voice-sign-out'),
    indicator: $('voice-indicator'),
    indicatorText: $('voice-indicator-text'),
    start: $('call-start'),
    interrupt: $('call-interrupt'),
    stop: $('call-stop'),
    settings: $('voice-settings'),
    language: $('voice-language'),
    style: $('voice-style'),
    rate: $('voice-rate'),
    rateValue: $('voice-rate-value'),
    info: $('call-info'),
    engines: $('call-engines'),
    openInChat: $('open-in-chat'),
    error: $('error'),
    errorText: $('error-text'),
    errorDismiss: $('error-dismiss'),
    turns: $('turns'),
    welcome: $('welcome'),
    composer: $('composer'),
    input: $('text-input'),
    send: $('text-send'),
  };

  const auth = Session.create({ onStored: () => showAccount(), onEnded: (reason) => showSignedOut(reason) });
  const session = auth.state;

  const call = {
    active: false, // from Start until the call ends
    socket: null,
    ready: false, // `started` received on the current socket: audio may flow
    callId: null,
    conversationId: null,
    attempt: 0, // reconnect attempts since the last `started`
    refreshedForAuth: false,
    stopping: false,
    timer: null, // the pending reconnect or the Stop grace period
    startWaiters: [], // Start's promise: resolved by the first `started`, rejected when the call ends before it
  };
  const audio = { context: null, workletLoaded: null, stream: null, source: null, worklet: null };
  const playback = { nextTime: 0, sources: new Set(), muted: false, turnId: null };
  const turns = new Map(); // turnId -> { user, assistant, lastSeq }
  // Frames scheduled and not yet played out: 0 the moment playback stops.
  Object.defineProperty(stats, 'queuedFrames', { enumerable: true, get: () => playback.sources.size });
  const pendingTyped = []; // typed questions not yet tied to a turn, oldest first

  // ---------------------------------------------------------------------------------------------------------------
  // Session and feedback

  function showAccount() {
    els.accountName.textContent = auth.accountLabel();
    els.account.hidden = els.accountName.textContent === '';
  }

  function showSignedOut(reason) {
    if (call.active) endCall(null);
    els.loading.hidden = true;
    els.app.hidden = true;
    els.account.hidden = true;
    els.signedOut.hidden = false;
    els.signedOutReason.textContent = reason || 'You are not signed in in this tab.';
    delete document.body.dataset.ready;
    document.body.dataset.auth = 'required';
  }

  function showError(title, detail) {
    els.errorText.textContent = detail ? `${title}: ${detail}` : title;
    els.error.hidden = false;
  }

  function clearError() {
    els.error.hidden = true;
    els.errorText.textContent = '';
  }

  function indicate(state) {
    els.indicator.dataset.state = state;
    els.indicatorText.textContent = INDICATOR[state];
  }

  function updateControls() {
    els.start.disabled = call.active;
    els.stop.disabled = !call.active;
    els.settings.disabled = call.active;
    els.input.disabled = !call.ready;
    els.send.disabled = !call.ready || els.input.value.trim() === '';
    els.interrupt.disabled = !call.ready || playback.sources.size === 0;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Turns

  function addArticle(article) {
    els.welcome.hidden = true;
    followingBottom(els.turns, () => els.turns.append(article));
  }

  function turn(turnId) {
    let t = turns.get(turnId);
    if (!t) {
      t = { user: null, assistant: null, lastSeq: 0 };
      turns.set(turnId, t);
    }
    return t;
  }

  /**
   * The typed question a turn answers: the one with {@code text} (a transcript names it), or without a text the
   * oldest waiting (a reply came first); null when none waits.
   */
  function adoptTyped(text) {
    const i = text === undefined ? 0 : pendingTyped.findIndex((a) => a.querySelector('.content').textContent === text);
    return i >= 0 && i < pendingTyped.length ? pendingTyped.splice(i, 1)[0] : null;
  }

  function userArticle(t, turnId, text) {
    if (!t.user) {
      const typed = adoptTyped(text);
      t.user = typed || messageElement('user');
      t.user.dataset.turnId = turnId;
      if (typed) setStatus(typed, 'accepted'); // a typed question the server took
      else addArticle(t.user);
    }
    return t.user;
  }

  function assistantArticle(t, turnId) {
    if (!t.assistant) {
      userArticle(t, turnId);
      t.assistant = messageElement('assistant');
      t.assistant.dataset.turnId = turnId;
      setStatus(t.assistant, 'queued');
      addArticle(t.assistant);
    }
    return t.assistant;
  }

  function showTranscript({ turnId, text, final }) {
    const t = turn(turnId);
    const article = userArticle(t, turnId, text);
    article.dataset.final = String(Boolean(final));
    article.setAttribute('aria-busy', String(!final)); // screen readers read the words once, when final
    setContent(article, text);
    setStatus(article, final ? 'accepted' : 'hearing');
    if (final) assistantArticle(t, turnId);
  }

  function showDelta({ turnId, replyId, seq, text }) {
    const t = turn(turnId);
    const article = assistantArticle(t, turnId);
    if (seq <= t.lastSeq) return; // already shown (a reconnect replays)
    t.lastSeq = seq;
    if (replyId) article.dataset.replyId = replyId;
    if (article.dataset.status === 'queued') setStatus(article, 'generating');
    followingBottom(els.turns, () => appendContent(article, text));
  }

  function showDone({ turnId, replyId, status, citations, mode }) {
    const article = assistantArticle(turn(turnId), turnId);
    if (replyId) article.dataset.replyId = replyId;
    if (mode) article.dataset.mode = mode;
    setStatus(article, status === 'interrupted' ? 'interrupted' : 'completed',
      status === 'interrupted' ? 'You interrupted the answer.' : null);
    showSources(article, citations || []);
  }

  function showMetrics(m) {
    const article = assistantArticle(turn(m.turnId), m.turnId);
    const parts = METRICS.filter(([key]) => typeof m[key] === 'number')
      .map(([key, label]) => `${label} +${formatLatency(m[key])}`);
    if (typeof m.endOfSpeechToFirstAudioMs === 'number') {
      parts.push(`heard ${formatLatency(m.endOfSpeechToFirstAudioMs)} after you stopped`);
      article.dataset.firstAudioMs = String(m.endOfSpeechToFirstAudioMs);
    }
    const details = article.querySelector('.details');
    details.classList.add('metrics');
    details.textContent = parts.join(' · ');
  }

  /** The call's turns as the server keeps them (after a reconnect): the page is redrawn from them. */
  function redrawTurns(list) {
    turns.clear();
    pendingTyped.length = 0;
    els.turns.replaceChildren(els.welcome);
    els.welcome.hidden = list.length > 0;
    for (const item of list) {
      const t = turn(item.turnId);
      t.user = messageElement('user');
      t.user.dataset.turnId = item.turnId;
      t.user.dataset.final = 'true';
      setContent(t.user, item.transcript || '');
      setStatus(t.user, 'accepted');
      addArticle(t.user);
      t.assistant = messageElement('assistant');
      t.assistant.dataset.turnId = item.turnId;
      setContent(t.assistant, item.spoken || '');
      setStatus(t.assistant, item.interrupted ? 'interrupted' : 'completed',
        item.interrupted ? 'You interrupted the answer.' : null);
      t.lastSeq = Number.MAX_SAFE_INTEGER; // its reply is complete as kept; replayed deltas are not shown again
      addArticle(t.assistant);
    }
    els.turns.scrollTop = els.turns.scrollHeight;
  }

  /** The answer was cut short while it was read out: the chat keeps what was heard, the page says so. */
  function markInterrupted(turnId) {
    const t = turns.get(turnId);
    if (t && t.assistant) setStatus(t.assistant, 'interrupted', 'You interrupted the answer.');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Playback: each frame is an AudioBufferSource started where the previous one ends, on the context's clock

  function playFrame(data) {
    stats.receivedFrames++;
    const samples = data.byteLength >> 1;
    if (playback.muted || !audio.context || samples === 0) {
      stats.droppedFrames++;
      return;
    }
    const context = audio.context;
    const buffer = context.createBuffer(1, samples, PCM_RATE);
    const channel = buffer.getChannelData(0);
    const view = new DataView(data);
    for (let i = 0; i < samples; i++) channel[i] = view.getInt16(2 * i, true) / 32768;
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    const now = context.currentTime;
    if (playback.nextTime < now) playback.nextTime = now + PLAYBACK_LEAD_S; // after silence (or an underrun)
    source.start(playback.nextTime);
    playback.nextTime += buffer.duration;
    playback.sources.add(source);
    source.onended = () => {
      if (!playback.sources.delete(source)) return; // stopped: not played to its end
      stats.playedFrames++;
      if (playback.sources.size === 0) finishedSpeaking();
    };
    if (playback.sources.size === 1) {
      indicate('assistant');
      updateControls();
    }
  }

  /** Silences what is scheduled now; frames still on their way are dropped until the next `tts.start`. */
  function stopPlayback() {
    const playing = [...playback.sources];
    playback.sources.clear();
    for (const source of playing) {
      try { source.stop(); } catch (_) { /* not started yet on some engines */ }
    }
    playback.nextTime = 0;
    playback.muted = true;
    if (playing.length) finishedSpeaking();
  }

  function finishedSpeaking() {
    if (call.ready) indicate('listening');
    updateControls();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Microphone: getUserMedia -> AudioWorklet (resampled to 16 kHz PCM16) -> 20 ms binary frames on the socket

  async function ensureAudioContext() {
    if (!audio.context) audio.context = new AudioContext({ latencyHint: 'interactive' });
    // Created and resumed in the click on Start: browsers only let a page make sound after a gesture.
    if (audio.context.state === 'suspended') await audio.context.resume();
    return audio.context;
  }

  async function startMicrophone() {
    const context = audio.context;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
    if (!call.active) { // stopped while the browser asked for permission
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    audio.stream = stream;
    if (!audio.workletLoaded) audio.workletLoaded = context.audioWorklet.addModule('/assets/pcm-worklet.js');
    await audio.workletLoaded;
    const worklet = new AudioWorkletNode(context, 'pcm16-downsampler',
      { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    worklet.port.onmessage = (event) => {
      const message = event.data;
      if (message.type === 'ready') stats.inputSampleRate = message.inputRate;
      else if (message.type === 'frame') sendFrame(message.pcm);
    };
    audio.source = context.createMediaStreamSource(stream);
    audio.source.connect(worklet);
    // Its output is silence; connecting it keeps the node in the rendered graph on every engine.
    worklet.connect(context.destination);
    audio.worklet = worklet;
  }

  function stopMicrophone() {
    if (audio.source) audio.source.disconnect();
    if (audio.worklet) {
      audio.worklet.port.onmessage = null;
      audio.worklet.disconnect();
    }
    if (audio.stream) audio.stream.getTracks().forEach((track) => track.stop());
    audio.source = null;
    audio.worklet = null;
    audio.stream = null;
  }

  function sendFrame(pcm) {
    // Audio captured while the socket reconnects is dropped: late speech would only confuse the turn.
    if (!call.ready || call.socket.readyState !== WebSocket.OPEN) return;
    call.socket.send(pcm);
    stats.sentFrames++;
    stats.sentBytes += pcm.byteLength;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The socket

  function startMessage() {
    const message = {
      type: 'start', // the access token travels as the bearer subprotocol, not again in here
      language: els.language.value,
      voice: null,
      style: els.style.value === 'neutral' ? null : els.style.value, // null: the engine's plain voice
      rate: Number(els.rate.value),
      pitch: 1.0,
    };
    if (call.conversationId) message.conversationId = call.conversationId;
    if (call.callId) message.callId = call.callId;
    return message;
  }

  function connect() {
    call.timer = null;
    const url = new URL(WS_PATH, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const protocols = [SUBPROTOCOL];
    if (session.accessToken) protocols.push(`bearer.${session.accessToken}`);
    const socket = new WebSocket(url, protocols);
    socket.binaryType = 'arraybuffer';
    call.socket = socket;
    call.ready = false;
    socket.onopen = () => socket.send(JSON.stringify(startMessage()));
    socket.onmessage = (event) => {
      if (socket !== call.socket) return;
      if (typeof event.data === 'string') onEvent(JSON.parse(event.data));
      else playFrame(event.data);
    };
    socket.onclose = (event) => onClose(socket, event);
  }

  function send(message) {
    if (call.socket && call.socket.readyState === WebSocket.OPEN) call.socket.send(JSON.stringify(message));
  }

  function onEvent(event) {
    switch (event.type) {
      case 'started': return onStarted(event);
      case 'vad':
        if (playback.sources.size === 0) indicate(event.state === 'start' ? 'caller' : 'listening');
        els.indicator.dataset.vad = event.state;
        return undefined;
      case 'transcript': return showTranscript(event);
      case 'reply.delta': return showDelta(event);
      case 'reply.done': return showDone(event);
      case 'tts.start':
        playback.muted = false;
        playback.turnId = event.turnId;
        return undefined;
      case 'tts.end':
        if (event.interrupted) {
          stopPlayback();
          markInterrupted(event.turnId);
        }
        return undefined;
      case 'bargein':
        stopPlayback();
        markInterrupted(event.turnId);
        return undefined;
      case 'metrics': return showMetrics(event);
      case 'error': { // the call goes on (a turn failed, no recognizer for the language…): the message says what
        const typed = adoptTyped(undefined); // a typed question still waiting was that turn
        if (typed) setStatus(typed, 'failed');
        els.error.dataset.code = event.code || '';
        return showError(event.message || event.code || 'Something went wrong in the call');
      }
      case 'ended':
        // Ended by the server rather than by Stop (a limit, a shutdown): say why.
        endCall(call.stopping || !event.reason ? null : `The server ended it (${event.reason}).`);
        return undefined;
      default: return undefined; // a newer server's event: nothing to show
    }
  }

  function onStarted(event) {
    const resumed = call.callId !== null;
    call.callId = event.callId;
    call.conversationId = event.conversationId;
    call.ready = true;
    call.attempt = 0;
    call.refreshedForAuth = false;
    document.body.dataset.callId = event.callId;
    document.body.dataset.conversationId = event.conversationId;
    els.openInChat.href = `/#/c/${encodeURIComponent(event.conversationId)}`;
    els.openInChat.hidden = false;
    els.engines.textContent = ['asr', 'vad', 'tts'].filter((k) => event[k]).map((k) => `${k} ${event[k]}`).join(', ');
    els.info.hidden = false;
    if (resumed || event.resumed || (event.turns && event.turns.length)) {
      redrawTurns(event.turns || []);
    } else {
      turns.clear(); // a new call's turn ids may repeat the last call's: its turns stay on the page, untouched
    }
    indicate('listening');
    updateControls();
    clearError();
    const waiters = call.startWaiters.splice(0);
    waiters.forEach((w) => w.resolve());
  }

  async function onClose(socket, event) {
    if (socket !== call.socket) return;
    call.ready = false;
    call.socket = null;
    updateControls();
    if (!call.active) return;
    if (call.stopping || event.code === 1000) {
      endCall(null);
      return;
    }
    if (FATAL_CLOSES.has(event.code)) {
      endCall(FATAL_CLOSES.get(event.code));
      return;
    }
    if (event.code === 1008) {
      // Refused: an expired access token gets one refresh; anything else ends the call with the server's reason.
      if (call.refreshedForAuth) {
        endCall(`The server refused the call: ${event.reason || 'not allowed'}.`);
        return;
      }
      call.refreshedForAuth = true;
      try {
        await auth.refresh();
      } catch (_) {
        endCall(null);
        return;
      }
      call.timer = setTimeout(connect, 0);
      return;
    }
    // A call that never started (no route, refused upgrade) gets two more tries, a started one more patience.
    if (++call.attempt > (call.callId ? RECONNECT_ATTEMPTS : 2)) {
      endCall('The voice service could not be reached. Try again later.');
      return;
    }
    // 1013 (node at its call limit), 1011, or the network: try again with the call id after a growing pause.
    stats.reconnects++;
    indicate('reconnecting');
    call.timer = setTimeout(connect, Math.min(8000, 500 * 2 ** (call.attempt - 1)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The call

  async function startCall() {
    clearError();
    call.active = true;
    call.stopping = false;
    call.callId = null;
    call.attempt = 0;
    call.refreshedForAuth = false;
    const hash = /^#\/c\/(.+)$/.exec(location.hash); // /voice#/c/{id} continues that conversation
    call.conversationId = hash ? decodeURIComponent(hash[1]) : null;
    playback.muted = false;
    indicate('connecting');
    updateControls();
    try {
      await ensureAudioContext();
      const started = new Promise((resolve, reject) => call.startWaiters.push({ resolve, reject }));
      connect();
      await started;
    } catch (error) {
      if (call.active) endCall(error.message);
      return;
    }
    try {
      await startMicrophone();
    } catch (error) {
      // The call goes on without it: typed questions still get spoken answers.
      showError('The microphone is not available', `${error.message || error.name}. You can still type.`);
    }
  }

  function stopCall() {
    if (!call.active) return;
    call.stopping = true;
    stopMicrophone();
    stopPlayback();
    if (call.socket && call.socket.readyState === WebSocket.OPEN) {
      send({ type: 'stop' });
      clearTimeout(call.timer);
      const socket = call.socket;
      call.timer = setTimeout(() => socket.close(1000), STOP_GRACE_MS);
    } else {
      endCall(null);
    }
  }

  /** Ends the call on this page (after `ended`, a close or a failure), with {@code problem} shown when it failed. */
  function endCall(problem) {
    call.active = false;
    call.ready = false;
    clearTimeout(call.timer);
    call.timer = null;
    const socket = call.socket;
    call.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
    stopMicrophone();
    stopPlayback();
    for (const article of pendingTyped.splice(0)) setStatus(article, 'failed');
    const waiters = call.startWaiters.splice(0);
    waiters.forEach((w) => w.reject(new Error(problem || 'The call ended.')));
    if (problem) showError('The call ended', problem);
    indicate('idle');
    delete document.body.dataset.callId;
    updateControls();
  }

  function interrupt() {
    const speaking = playback.sources.size > 0;
    stopPlayback();
    send({ type: 'interrupt' });
    if (speaking) markInterrupted(playback.turnId);
  }

  function sendTyped(event) {
    event.preventDefault();
    const text = els.input.value.trim();
    if (text === '' || !call.ready) return;
    const article = messageElement('user');
    article.dataset.final = 'true';
    setContent(article, text);
    setStatus(article, 'sending');
    addArticle(article);
    pendingTyped.push(article);
    stopPlayback(); // a new question replaces the answer being read
    send({ type: 'text', text });
    els.input.value = '';
    updateControls();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring

  els.start.addEventListener('click', () => startCall());
  els.stop.addEventListener('click', () => stopCall());
  els.interrupt.addEventListener('click', () => interrupt());
  els.errorDismiss.addEventListener('click', clearError);
  els.composer.addEventListener('submit', sendTyped);
  els.input.addEventListener('input', updateControls);
  els.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.composer.requestSubmit();
    }
  });
  els.rate.addEventListener('input', () => { els.rateValue.textContent = `${Number(els.rate.value).toFixed(1)}×`; });
  els.signOut.addEventListener('click', async () => {
    if (call.active) endCall(null);
    await auth.logout();
    showSignedOut('You signed out.');
  });

  async function start() {
    try {
      await auth.refresh(); // the tab's refresh token, stored by the chat page, signs in here too
    } catch (error) {
      showSignedOut(error.status === 401 ? null : 'The server could not be reached. Reload to try again.');
      return;
    }
    els.loading.hidden = true;
    els.signedOut.hidden = true;
    els.app.hidden = false;
    delete document.body.dataset.auth;
    indicate('idle');
    updateControls();
    document.body.dataset.ready = 'true';
  }

  start();
})();
