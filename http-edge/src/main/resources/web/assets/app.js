// VoiceHelper chat page: plain JavaScript against the auth and conversation APIs, no build step.
// Every piece of text from the server or the user goes into the page through textContent, never as HTML.
// Tokens: the access token lives in memory only; the refresh token in sessionStorage (this tab, until it closes), so
// a reload stays signed in. The access token is refreshed shortly before it expires and once more on any 401.
'use strict';

(() => {
  const API = '/api/v1/conversations';
  const Session = window.VoiceHelperSession;
  const { AUTH, ProblemError, problemOf } = Session;
  const RESUME_ATTEMPTS = 6;
  const POST_ATTEMPTS = 3;

  const $ = (id) => document.getElementById(id);
  const els = {
    list: $('conversation-list'),
    listEmpty: $('conversation-list-empty'),
    newConversation: $('new-conversation'),
    title: $('conversation-title'),
    connection: $('connection-status'),
    error: $('error'),
    errorText: $('error-text'),
    errorDismiss: $('error-dismiss'),
    messages: $('messages'),
    welcome: $('welcome'),
    composer: $('composer'),
    input: $('message-input'),
    send: $('send'),
    app: $('app'),
    auth: $('auth'),
    authForm: $('auth-form'),
    tabSignIn: $('auth-tab-signin'),
    tabSignUp: $('auth-tab-signup'),
    tenantRow: $('tenant-name-row'),
    tenantName: $('tenant-name'),
    email: $('auth-email'),
    password: $('auth-password'),
    authHint: $('auth-hint'),
    authError: $('auth-error'),
    authSubmit: $('auth-submit'),
    accountEmail: $('account-email'),
    signOut: $('sign-out'),
  };

  // The tab's sign-in, shared with the knowledge page (session.js); mode is this page's sign-in/sign-up form.
  const auth = Session.create({
    onStored: (tokens) => { els.accountEmail.textContent = tokens.user ? tokens.user.email : ''; },
    onEnded: (reason) => showAuth(reason),
  });
  const session = auth.state;
  session.mode = 'signin';
  const { request, authFetch } = auth;
  const storeSession = auth.store;
  const clearSession = auth.clear;
  const refreshSession = auth.refresh;

  const state = {
    conversations: new Map(), // id -> {id, title, createdAt, updatedAt, messageCount, lastMessage}
    currentId: null,
    view: 0, // bumped on every switch, so late answers for another conversation are dropped
    creating: null, // the conversation being created, while its POST is in flight
  };

  // ---------------------------------------------------------------------------------------------------------------
  // HTTP

  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const backoff = (attempt) => Math.min(8000, 500 * 2 ** (attempt - 1));

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }


  // ---------------------------------------------------------------------------------------------------------------
  // Authentication

  function setAuthMode(mode) {
    session.mode = mode;
    const signUp = mode === 'signup';
    els.tabSignIn.setAttribute('aria-selected', String(!signUp));
    els.tabSignUp.setAttribute('aria-selected', String(signUp));
    els.tenantRow.hidden = !signUp;
    els.tenantName.required = signUp;
    els.authHint.hidden = !signUp;
    els.password.autocomplete = signUp ? 'new-password' : 'current-password';
    els.authSubmit.textContent = signUp ? 'Create account' : 'Sign in';
    els.authError.hidden = true;
  }

  function showAuth(message) {
    els.app.hidden = true;
    els.auth.hidden = false;
    els.authError.hidden = !message;
    els.authError.textContent = message || '';
    els.password.value = '';
    delete document.body.dataset.ready;
    (session.mode === 'signup' ? els.tenantName : els.email).focus();
  }

  async function submitAuth(event) {
    event.preventDefault();
    const signUp = session.mode === 'signup';
    const body = { email: els.email.value.trim(), password: els.password.value };
    if (signUp) body.tenantName = els.tenantName.value.trim();
    els.authSubmit.disabled = true;
    els.authError.hidden = true;
    try {
      const response = await fetch(`${AUTH}/${signUp ? 'register' : 'login'}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw await problemOf(response);
      storeSession(await response.json());
      els.password.value = '';
      await enterApp();
    } catch (error) {
      const p = error.problem || {};
      els.authError.textContent = p.detail || p.title || 'Something went wrong. Try again.';
      els.authError.hidden = false;
    } finally {
      els.authSubmit.disabled = false;
    }
  }

  async function signOut() {
    await auth.logout();
    state.conversations.clear();
    state.currentId = null;
    state.view++;
    els.list.replaceChildren();
    els.messages.replaceChildren(els.welcome);
    els.welcome.hidden = false;
    els.title.textContent = 'Start a conversation';
    history.replaceState(null, '', location.pathname);
    showAuth(null);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Feedback

  function showError(error) {
    const p = error && error.problem ? error.problem : { title: 'Error', detail: String(error && error.message) };
    els.errorText.textContent = p.detail ? `${p.title}: ${p.detail}` : p.title;
    els.error.hidden = false;
  }

  function clearError() {
    els.error.hidden = true;
    els.errorText.textContent = '';
  }

  function setConnection(text) {
    els.connection.hidden = !text;
    els.connection.textContent = text || '';
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sidebar

  function remember(item) {
    const known = state.conversations.get(item.id);
    // The list comes from a read model that may lag behind what this page just did: keep the newer of the two.
    if (known && known.updatedAt && item.updatedAt && known.updatedAt > item.updatedAt) {
      state.conversations.set(item.id, { ...item, ...known });
    } else {
      state.conversations.set(item.id, { ...known, ...item });
    }
  }

  async function loadConversations() {
    try {
      const response = await request(`${API}?limit=50`);
      const body = await response.json();
      for (const item of body.items || []) remember(item);
    } catch (error) {
      showError(error);
    }
    renderSidebar();
  }

  function formatWhen(iso) {
    if (!iso) return '';
    const date = new Date(iso);
    const sameDay = date.toDateString() === new Date().toDateString();
    return sameDay
      ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
  }

  function renderSidebar() {
    const items = [...state.conversations.values()].sort((a, b) =>
      String(b.updatedAt || b.createdAt || '').localeCompare(String(a.updatedAt || a.createdAt || '')));
    const rows = items.map((c) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'conversation-item';
      button.dataset.conversationId = c.id;
      button.dataset.testid = 'conversation-item';
      if (c.id === state.currentId) button.setAttribute('aria-current', 'true');
      const title = document.createElement('span');
      title.className = 'item-title';
      title.textContent = c.title || 'Untitled';
      const when = document.createElement('time');
      when.className = 'item-when';
      when.textContent = formatWhen(c.updatedAt || c.createdAt);
      const snippet = document.createElement('span');
      snippet.className = 'item-snippet';
      snippet.textContent = c.lastMessage || 'No messages yet';
      button.append(title, when, snippet);
      button.addEventListener('click', () => selectConversation(c.id));
      li.append(button);
      return li;
    });
    els.list.replaceChildren(...rows);
    els.listEmpty.hidden = rows.length > 0;
  }

  function touch(id, lastMessage, addedMessages) {
    const c = state.conversations.get(id);
    if (!c) return;
    c.updatedAt = new Date().toISOString();
    if (lastMessage !== undefined) c.lastMessage = lastMessage.slice(0, 120);
    if (addedMessages) c.messageCount = (c.messageCount || 0) + addedMessages;
    renderSidebar();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Messages

  const {
    followingBottom, messageElement, setStatus, showDetails, setContent, appendContent,
  } = window.VoiceHelperMessages;

  function addMessage(article) {
    els.welcome.hidden = true;
    followingBottom(els.messages, () => els.messages.append(article));
  }

  function renderMessage(m) {
    const article = messageElement(m.role);
    article.dataset.messageId = m.id;
    if (m.replyId) article.dataset.replyId = m.replyId;
    setContent(article, m.content || '');
    if (m.channel === 'voice') { // said in a call on the voice page
      article.dataset.channel = 'voice';
      const channel = document.createElement('span');
      channel.className = 'channel';
      channel.textContent = m.role === 'user' ? 'Said in a voice call' : 'Spoken in a voice call';
      article.querySelector('.meta').prepend(channel);
    }
    if (m.role === 'user') {
      setStatus(article, 'accepted');
    } else {
      setStatus(article, m.status, m.status === 'interrupted' ? m.reason : null);
      if (m.status === 'completed' || m.status === 'interrupted') showDetails(article, m);
    }
    addMessage(article);
    return article;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Conversations

  async function selectConversation(id) {
    const view = ++state.view;
    state.currentId = id;
    history.replaceState(null, '', `#/c/${encodeURIComponent(id)}`);
    clearError();
    renderSidebar();
    els.messages.replaceChildren(els.welcome);
    els.welcome.hidden = true;
    try {
      const response = await request(`${API}/${encodeURIComponent(id)}`);
      const conversation = await response.json();
      if (view !== state.view) return;
      els.title.textContent = conversation.title;
      remember({ id: conversation.id, title: conversation.title, createdAt: conversation.createdAt,
        messageCount: conversation.messages.length });
      renderSidebar();
      els.welcome.hidden = conversation.messages.length > 0;
      for (const m of conversation.messages) {
        const article = renderMessage(m);
        if (m.role === 'assistant' && (m.status === 'queued' || m.status === 'generating')) {
          // A reply still being written: replay it from the start, then follow it live.
          setContent(article, '');
          follow({ conversationId: id, replyId: m.replyId, lastSeq: 0, article, text: '', view }, null);
        }
      }
      els.messages.scrollTop = els.messages.scrollHeight;
      els.input.focus();
    } catch (error) {
      if (view === state.view) showError(error);
    }
  }

  async function newConversation() {
    // One creation at a time: a Send clicked while it is in flight goes to the conversation being created.
    if (!state.creating) {
      state.creating = createConversation().finally(() => { state.creating = null; });
    }
    return state.creating;
  }

  async function createConversation() {
    clearError();
    els.newConversation.disabled = true;
    try {
      const response = await request(API, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({}),
      });
      const created = await response.json();
      remember({ id: created.id, title: created.title, createdAt: created.createdAt, updatedAt: created.createdAt,
        messageCount: 0, lastMessage: null });
      await selectConversation(created.id);
      return created.id;
    } catch (error) {
      showError(error);
      return null;
    } finally {
      els.newConversation.disabled = false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sending and streaming

  async function postMessage(conversationId, content, idempotencyKey) {
    // The same Idempotency-Key on every attempt: a retry after a lost answer returns the original message and reply.
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await authFetch(`${API}/${encodeURIComponent(conversationId)}/messages`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'text/event-stream',
            'Idempotency-Key': idempotencyKey,
          },
          body: JSON.stringify({ content }),
        });
        if (response.ok) return response;
        const problem = await problemOf(response);
        if (attempt >= POST_ATTEMPTS || (response.status < 500 && response.status !== 429)) throw problem;
        const retryAfter = Number(response.headers.get('Retry-After'));
        await delay(retryAfter > 0 ? retryAfter * 1000 : backoff(attempt));
      } catch (error) {
        if (error instanceof ProblemError || attempt >= POST_ATTEMPTS) {
          throw error instanceof ProblemError ? error
            : new ProblemError({ title: 'Network error', detail: 'The message could not be sent.' }, 0);
        }
        await delay(backoff(attempt));
      }
    }
  }

  async function send(content) {
    clearError();
    let conversationId = state.creating ? await state.creating : state.currentId;
    if (!conversationId) conversationId = await newConversation();
    if (!conversationId) return;
    const view = state.view;

    const question = messageElement('user');
    setContent(question, content);
    setStatus(question, 'sending');
    addMessage(question);
    const answer = messageElement('assistant');
    setStatus(answer, 'queued');
    addMessage(answer);
    touch(conversationId, content, 1);

    let response;
    try {
      response = await postMessage(conversationId, content, uuid());
    } catch (error) {
      setStatus(question, 'failed');
      answer.remove();
      showError(error);
      els.input.value = els.input.value || content;
      return;
    }
    const replyId = response.headers.get('X-Reply-Id');
    question.dataset.messageId = response.headers.get('X-Message-Id') || '';
    setStatus(question, 'accepted');
    answer.dataset.replyId = replyId || '';
    await follow({ conversationId, replyId, lastSeq: 0, article: answer, text: '', view }, response);
  }

  /**
   * Reads a reply's events from {@code response} (or, when it is null or breaks off, from the stream endpoint with
   * Last-Event-ID set to the last sequence number received) until its done event.
   */
  async function follow(reply, response) {
    let finished = false;
    if (response) {
      try {
        finished = await readEvents(response, reply);
      } catch (_) { /* connection dropped: resume below */ }
    }
    for (let attempt = 1; !finished && attempt <= RESUME_ATTEMPTS; attempt++) {
      if (response || attempt > 1) {
        if (reply.view === state.view) setConnection('Connection lost, resuming…');
        await delay(backoff(attempt));
      }
      try {
        const resumed = await authFetch(
          `${API}/${encodeURIComponent(reply.conversationId)}/replies/${encodeURIComponent(reply.replyId)}/stream`,
          { headers: { Accept: 'text/event-stream', 'Last-Event-ID': String(reply.lastSeq) } });
        if (!resumed.ok) {
          const problem = await problemOf(resumed);
          if (resumed.status >= 400 && resumed.status < 500) {
            showError(problem);
            break;
          }
          continue;
        }
        if (reply.view === state.view) setConnection(null);
        finished = await readEvents(resumed, reply);
      } catch (_) { /* try again */ }
    }
    if (reply.view === state.view) setConnection(null);
    if (!finished) {
      setStatus(reply.article, 'interrupted', 'The connection to the server was lost. Reload to see the rest.');
    }
  }

  /** Parses one server-sent-events response; resolves true once the reply's done event arrived. */
  async function readEvents(response, reply) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseEvent(block);
          if (event && handleEvent(event, reply)) return true;
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  function parseEvent(block) {
    let name = 'message';
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue; // comments are keep-alives
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    return data.length ? { name, id, data: JSON.parse(data.join('\n')) } : null;
  }

  function handleEvent(event, reply) {
    const { article } = reply;
    switch (event.name) {
      case 'accepted':
        reply.replyId = event.data.replyId;
        article.dataset.replyId = event.data.replyId;
        return false;
      case 'delta':
        if (event.data.seq <= reply.lastSeq) return false; // already shown
        reply.lastSeq = event.data.seq;
        reply.text += event.data.text;
        if (article.dataset.status !== 'generating') setStatus(article, 'generating');
        followingBottom(els.messages, () => appendContent(article, event.data.text));
        return false;
      case 'done': {
        const d = event.data;
        article.dataset.messageId = d.replyId;
        setStatus(article, d.status, d.status === 'interrupted' ? d.reason : null);
        showDetails(article, d);
        touch(reply.conversationId, reply.text || undefined, 1);
        return true;
      }
      case 'error':
        throw new Error(event.data.detail || 'stream interrupted');
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring

  function updateSendButton() {
    els.send.disabled = els.input.value.trim() === '';
  }

  function autosize() {
    els.input.style.height = 'auto';
    els.input.style.height = `${Math.min(els.input.scrollHeight, 200)}px`;
  }

  els.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const content = els.input.value;
    if (content.trim() === '') return;
    els.input.value = '';
    autosize();
    updateSendButton();
    send(content);
  });
  els.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.composer.requestSubmit();
    }
  });
  els.input.addEventListener('input', () => {
    autosize();
    updateSendButton();
  });
  els.newConversation.addEventListener('click', () => newConversation());
  els.errorDismiss.addEventListener('click', clearError);

  els.authForm.addEventListener('submit', submitAuth);
  els.tabSignIn.addEventListener('click', () => setAuthMode('signin'));
  els.tabSignUp.addEventListener('click', () => setAuthMode('signup'));
  els.signOut.addEventListener('click', () => signOut());

  async function enterApp() {
    els.auth.hidden = true;
    els.app.hidden = false;
    els.input.disabled = false;
    updateSendButton();
    await loadConversations();
    const match = /^#\/c\/(.+)$/.exec(location.hash);
    if (match) await selectConversation(decodeURIComponent(match[1]));
    document.body.dataset.ready = 'true';
  }

  async function start() {
    setAuthMode('signin');
    try {
      await refreshSession(); // a reload within the tab: the stored refresh token signs in again
    } catch (_) {
      showAuth(null);
      document.body.dataset.auth = 'required';
      return;
    }
    await enterApp();
  }

  start();
})();
