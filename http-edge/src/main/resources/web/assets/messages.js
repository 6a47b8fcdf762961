// VoiceHelper pages' shared message bubbles (the chat page and the voice page): a user's or the assistant's message,
// its status badge, its details line and its sources. Text goes in through textContent, never as HTML.
// Plain JavaScript, no build step; loaded before the page's own script.
'use strict';

window.VoiceHelperMessages = (() => {
  const STATUS_LABELS = {
    sending: 'Sending…',
    failed: 'Not sent',
    queued: 'Waiting for the assistant…',
    generating: 'Writing…',
    interrupted: 'Interrupted',
    hearing: 'Listening…', // the voice page: a caller's words while they are still being recognised
    speaking: 'Speaking…', // the voice page: the reply being read aloud
  };

  function messageElement(role) {
    const article = document.createElement('article');
    article.className = `message ${role}`;
    article.dataset.testid = `message-${role}`;
    const avatar = document.createElement('div');
    avatar.className = 'avatar';
    avatar.setAttribute('aria-hidden', 'true');
    avatar.textContent = role === 'user' ? 'You' : 'AI';
    const body = document.createElement('div');
    body.className = 'body';
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    const content = document.createElement('div');
    content.className = 'content';
    bubble.append(content);
    const meta = document.createElement('div');
    meta.className = 'meta';
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.hidden = true;
    const reason = document.createElement('span');
    reason.className = 'reason';
    reason.dataset.testid = 'reason';
    reason.hidden = true;
    const details = document.createElement('span');
    details.className = 'details';
    details.dataset.testid = 'details';
    meta.append(badge, reason, details);
    body.append(bubble, meta);
    article.append(avatar, body);
    return article;
  }

  function setStatus(article, status, reasonText) {
    article.dataset.status = status;
    const badge = article.querySelector('.badge');
    const label = STATUS_LABELS[status];
    badge.hidden = !label;
    badge.textContent = label || '';
    badge.className = `badge badge-${status}`;
    const reason = article.querySelector('.reason');
    reason.hidden = !reasonText;
    reason.textContent = reasonText || '';
  }

  function formatLatency(ms) {
    return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
  }

  // How the sources support a rag reply (older replies say 'generated' or 'extractive').
  const SUPPORT_LABELS = {
    supported: 'supported by the documents',
    partial: 'partly supported by the documents',
    unsupported: 'not verified in the documents',
    none: 'not in the documents',
    extractive: 'quoted from the documents',
    generated: 'from the documents',
  };

  function showDetails(article, { status, model, usage, latencyMs, mode, support, citations }) {
    const parts = [];
    if (model) parts.push(model);
    if (mode === 'rag') {
      parts.push(SUPPORT_LABELS[support] || 'from the documents');
      if (support) article.dataset.support = support;
    } else if (mode) {
      parts.push(mode);
    }
    if (typeof latencyMs === 'number') parts.push(formatLatency(latencyMs));
    if (usage && status === 'completed') parts.push(`${usage.inputTokens} → ${usage.outputTokens} tokens`);
    const details = article.querySelector('.details');
    details.textContent = parts.join(' · ');
    article.dataset.model = model || '';
    if (mode) article.dataset.mode = mode;
    if (typeof latencyMs === 'number') article.dataset.latencyMs = String(latencyMs);
    showSources(article, citations || []);
  }

  /**
   * The reply's citations under it: "[n] document › headings (vN)", the passage's start as the tooltip. The chat API
   * numbers them {@code number}, the voice protocol {@code index}.
   */
  function showSources(article, citations) {
    article.querySelector('.sources')?.remove();
    if (citations.length === 0) return;
    const list = document.createElement('ol');
    list.className = 'sources';
    list.dataset.testid = 'sources';
    for (const c of citations) {
      const item = document.createElement('li');
      const where = [c.documentName, ...(c.headingPath || [])].join(' › ');
      item.textContent = `[${c.number ?? c.index}] ${where} (v${c.version})`;
      item.title = c.snippet || '';
      list.append(item);
    }
    article.querySelector('.body').append(list);
  }

  function setContent(article, text) {
    article.querySelector('.content').textContent = text;
  }

  function appendContent(article, text) {
    article.querySelector('.content').append(document.createTextNode(text));
  }

  /** Runs {@code change} on the message list; a list scrolled to (near) its bottom stays at the bottom. */
  function followingBottom(list, change) {
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    change();
    if (stick) list.scrollTop = list.scrollHeight;
  }

  return {
    followingBottom, messageElement, setStatus, formatLatency, showDetails, showSources, setContent, appendContent,
  };
})();
