// VoiceHelper knowledge page: collections, uploads with progress, documents and their versions (docs/knowledge-api.md).
// Plain JavaScript, no build step. Every piece of text from the server or the user goes in through textContent.
// The tab's sign-in is shared with the chat page through session.js (the access token in memory, the refresh token in
// sessionStorage). Signing in happens on the chat page.
'use strict';

(() => {
  const Session = window.VoiceHelperSession;
  const { AUTH, ProblemError, problemFromText, networkError } = Session;
  const API = '/api/v1/collections';
  const SEARCH_API = '/api/v1/retrieval/search';
  const SEARCH_TOP_K = 5;
  const SNIPPET_CHARS = 280;
  const MAX_UPLOAD_BYTES = 100 * 1024 * 1024; // the server refuses more with a 413 anyway
  const POLL_MS = 1500;
  const UPLOADS_AT_ONCE = 2;
  const MAX_FINISHED_UPLOADS = 6;
  // The document list is a read model that can lag a second behind; what this page saw live wins for this long.
  const LIVE_WINS_MS = 3000;
  const LIST_RELOAD_AFTER_MS = LIVE_WINS_MS + 500;

  const STATE_LABELS = {
    UPLOADING: 'Uploading',
    PROCESSING: 'Processing',
    READY: 'Ready',
    FAILED: 'Failed',
    SUPERSEDED: 'Superseded',
  };
  const BUSY = new Set(['UPLOADING', 'PROCESSING']);

  const $ = (id) => document.getElementById(id);
  const els = {
    loading: $('kb-loading'),
    signedOut: $('kb-signed-out'),
    signedOutReason: $('kb-signed-out-reason'),
    app: $('kb-app'),
    account: $('kb-account'),
    accountName: $('kb-account-name'),
    signOut: $('kb-sign-out'),
    createForm: $('collection-create'),
    createName: $('collection-name'),
    createSubmit: $('collection-create-submit'),
    collectionList: $('collection-list'),
    collectionListEmpty: $('collection-list-empty'),
    error: $('error'),
    errorText: $('error-text'),
    errorDismiss: $('error-dismiss'),
    status: $('status'),
    noCollection: $('no-collection'),
    collectionView: $('collection-view'),
    collectionTitle: $('collection-title'),
    reindex: $('collection-reindex'),
    rename: $('collection-rename'),
    deleteCollection: $('collection-delete'),
    renameForm: $('rename-form'),
    renameInput: $('rename-input'),
    renameCancel: $('rename-cancel'),
    dropzone: $('dropzone'),
    fileInput: $('file-input'),
    versionInput: $('version-input'),
    uploads: $('uploads'),
    docsRefresh: $('docs-refresh'),
    documents: $('documents'),
    documentRows: $('document-rows'),
    documentsEmpty: $('documents-empty'),
    searchForm: $('search-form'),
    searchInput: $('search-input'),
    searchSummary: $('search-summary'),
    searchResults: $('search-results'),
  };

  // The tab's sign-in, shared with the chat page (session.js).
  const auth = Session.create({ onStored: () => showAccount(), onEnded: (reason) => showSignedOut(reason) });
  const session = auth.state;
  session.signedOut = false;
  const { request, authFetch } = auth;
  const refreshSession = auth.refresh;

  const state = {
    collections: new Map(), // id -> {id, name, createdAt}
    currentId: null,
    view: 0, // bumped on every switch, so late answers for another collection are dropped
    canWrite: true,
    listed: new Map(), // docId -> item of the document list (read model)
    listFetchedAt: 0,
    live: new Map(), // docId -> summary of GET …/documents/{docId}, with seenAt
    details: new Map(), // docId -> the full GET …/documents/{docId} answer
    deleted: new Set(), // docIds deleted here, hidden even while the lagging list still has them
    rows: new Map(), // docId -> {row, detailsRow, panel, button, cells, detailsKey}
    expanded: new Set(),
    pollTimer: null,
    listReloadTimer: null,
    uploadQueue: [],
    activeUploads: 0,
    versionTarget: null,
    nextElementId: 1,
  };

  // ---------------------------------------------------------------------------------------------------------------
  // HTTP (same conventions as app.js)

  async function requestJson(path, method, body) {
    const options = { method, headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await request(path, options);
    return response.status === 204 ? null : response.json();
  }

  const enc = encodeURIComponent;
  const collectionPath = (collectionId) => `${API}/${enc(collectionId)}`;
  const documentPath = (collectionId, docId) => `${collectionPath(collectionId)}/documents/${enc(docId)}`;

  // ---------------------------------------------------------------------------------------------------------------
  // Authentication: the chat page's refresh flow; signing in itself happens there.

  function showAccount() {
    els.accountName.textContent = auth.accountLabel();
    els.account.hidden = els.accountName.textContent === '';
  }

  function showSignedOut(reason) {
    session.signedOut = true;
    stopPolling();
    for (const task of state.uploadQueue) finishUpload(task, 'failed', 'Not sent: signed out.');
    state.uploadQueue = [];
    els.loading.hidden = true;
    els.app.hidden = true;
    els.account.hidden = true;
    els.signedOut.hidden = false;
    els.signedOutReason.textContent = reason || 'You are not signed in in this tab.';
    delete document.body.dataset.ready;
    document.body.dataset.auth = 'required';
  }

  async function signOut() {
    await auth.logout();
    location.assign('/');
  }

  async function loadPermissions() {
    try {
      const me = await requestJson(`${AUTH}/me`, 'GET');
      if (me && Array.isArray(me.permissions)) state.canWrite = me.permissions.includes('knowledge:write');
      if (me && me.tenant && !session.tenant) session.tenant = me.tenant;
      showAccount();
    } catch (_) { /* the server checks every change anyway */ }
    document.body.classList.toggle('kb-read-only', !state.canWrite);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Feedback

  function showError(error) {
    if (error && error.status === 401 && session.signedOut) return; // the signed-out panel says it
    const p = error && error.problem ? error.problem : { title: 'Error', detail: String(error && error.message) };
    els.errorText.textContent = p.detail ? `${p.title}: ${p.detail}` : p.title;
    els.error.hidden = false;
  }

  function clearError() {
    els.error.hidden = true;
    els.errorText.textContent = '';
  }

  function announce(text) {
    els.status.textContent = text;
  }

  function formatBytes(bytes) {
    if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '—';
    if (bytes < 1024) return `${bytes} B`;
    const units = ['KB', 'MB', 'GB'];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
  }

  function formatWhen(iso) {
    if (!iso) return '—';
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return '—';
    const sameDay = date.toDateString() === new Date().toDateString();
    return sameDay
      ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
      : date.toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  /** Builds an element; strings become text nodes, never HTML. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'className') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (key === 'hidden' || key === 'disabled') el[key] = Boolean(value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function badge(docState) {
    return h('span', { className: `kb-badge kb-state-${String(docState || 'unknown').toLowerCase()}`,
      dataset: { testid: 'state' }, text: STATE_LABELS[docState] || docState || 'Unknown' });
  }

  function progressBar(progress, label) {
    const bar = h('progress', { className: 'kb-progress', 'aria-label': label });
    if (progress && progress.total > 0) {
      bar.max = progress.total;
      bar.value = Math.min(progress.done || 0, progress.total);
    } // otherwise indeterminate: the file is still being parsed and cut
    return bar;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Search: what the assistant would find in this collection (docs/retrieval-api.md)

  function clearSearch() {
    els.searchResults.replaceChildren();
    els.searchSummary.textContent = '';
  }

  async function searchCollection(event) {
    event.preventDefault();
    const query = els.searchInput.value.trim();
    if (!query || !state.currentId) return;
    const view = state.view;
    clearError();
    els.searchSummary.textContent = 'Searching…';
    els.searchResults.replaceChildren();
    try {
      const body = await requestJson(SEARCH_API, 'POST',
        { query, collections: [state.currentId], topK: SEARCH_TOP_K });
      if (view !== state.view) return; // another collection was opened meanwhile
      renderSearch(body);
    } catch (error) {
      if (view !== state.view) return;
      els.searchSummary.textContent = '';
      showError(error);
    }
  }

  function renderSearch(body) {
    const results = (body && body.results) || [];
    const how = { hybrid: 'vector and keyword search', vector_only: 'vector search only',
      keyword_only: 'keyword search only' }[body.mode] || body.mode;
    const parts = [results.length === 0 ? 'Nothing in this collection matches.'
      : `${results.length} passage${results.length === 1 ? '' : 's'} by ${how}`];
    if (body.degraded && body.degraded.length) parts.push(`(${body.degraded.join('; ')})`);
    if (body.timings && results.length) parts.push(`in ${Math.round(body.timings.totalMs)} ms${body.cached ? ', cached' : ''}`);
    els.searchSummary.textContent = parts.join(' ');
    els.searchResults.replaceChildren(...results.map((r) => {
      const text = r.text.length > SNIPPET_CHARS ? `${r.text.slice(0, SNIPPET_CHARS)}…` : r.text;
      const where = [r.documentName || r.documentId, `v${r.version}`, ...(r.headingPath || [])].join(' › ');
      return h('li', { className: 'kb-search-result', dataset: { testid: 'search-result', document: r.documentName || '' } },
        h('div', { className: 'kb-search-where', text: where }),
        h('p', { className: 'kb-search-text', text }),
        h('div', { className: 'kb-muted kb-search-score',
          text: `score ${r.score.toFixed(3)}`
            + (r.scores.vectorRank ? ` · vector #${r.scores.vectorRank}` : '')
            + (r.scores.keywordRank ? ` · keyword #${r.scores.keywordRank}` : '') }));
    }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Collections

  async function loadCollections() {
    try {
      const body = await requestJson(API, 'GET');
      state.collections.clear();
      for (const c of (body && body.collections) || []) state.collections.set(c.id, c);
    } catch (error) {
      showError(error);
    }
    renderCollections();
  }

  function renderCollections() {
    const items = [...state.collections.values()].sort((a, b) => a.name.localeCompare(b.name));
    els.collectionList.replaceChildren(...items.map((c) => h('li', null,
      h('button', {
        type: 'button',
        className: 'kb-collection-item',
        'aria-current': c.id === state.currentId ? 'true' : 'false',
        dataset: { testid: 'collection-item', collectionId: c.id },
        text: c.name,
        onclick: () => selectCollection(c.id),
      }))));
    els.collectionListEmpty.hidden = items.length > 0;
  }

  function selectCollection(id) {
    const collection = id ? state.collections.get(id) : null;
    state.view++;
    state.currentId = collection ? collection.id : null;
    stopPolling();
    clearTimeout(state.listReloadTimer);
    state.listed.clear();
    state.live.clear();
    state.details.clear();
    state.deleted.clear();
    state.rows.clear();
    state.expanded.clear();
    state.listFetchedAt = 0;
    els.documentRows.replaceChildren();
    els.renameForm.hidden = true;
    clearSearch();
    clearError();
    history.replaceState(null, '', collection ? `#/c/${enc(collection.id)}` : location.pathname);
    renderCollections();
    els.noCollection.hidden = Boolean(collection);
    els.collectionView.hidden = !collection;
    if (!collection) return Promise.resolve();
    els.collectionTitle.textContent = collection.name;
    els.documentsEmpty.hidden = true;
    return loadDocuments();
  }

  function nameProblem(name) {
    if (!name) return 'Enter a name.';
    if (name.length > 100) return 'A name has at most 100 characters.';
    if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot contain control characters.';
    return null;
  }

  async function createCollection(event) {
    event.preventDefault();
    const name = els.createName.value.trim();
    const invalid = nameProblem(name);
    if (invalid) {
      showError(new ProblemError({ title: 'Invalid name', detail: invalid }, 400));
      return;
    }
    clearError();
    els.createSubmit.disabled = true;
    try {
      const created = await requestJson(API, 'POST', { name });
      state.collections.set(created.id, created);
      els.createName.value = '';
      await selectCollection(created.id);
      announce(`Collection “${created.name}” created.`);
    } catch (error) {
      showError(error);
    } finally {
      els.createSubmit.disabled = false;
    }
  }

  function startRename() {
    const collection = state.collections.get(state.currentId);
    if (!collection) return;
    els.renameForm.hidden = false;
    els.renameInput.value = collection.name;
    els.renameInput.focus();
    els.renameInput.select();
  }

  async function saveRename(event) {
    event.preventDefault();
    const id = state.currentId;
    const name = els.renameInput.value.trim();
    const invalid = nameProblem(name);
    if (invalid) {
      showError(new ProblemError({ title: 'Invalid name', detail: invalid }, 400));
      return;
    }
    clearError();
    try {
      const renamed = await requestJson(collectionPath(id), 'PATCH', { name });
      state.collections.set(renamed.id, renamed);
      els.renameForm.hidden = true;
      if (state.currentId === renamed.id) els.collectionTitle.textContent = renamed.name;
      renderCollections();
      els.rename.focus();
      announce(`Collection renamed to “${renamed.name}”.`);
    } catch (error) {
      showError(error);
    }
  }

  async function deleteCollection() {
    const collection = state.collections.get(state.currentId);
    if (!collection) return;
    if (!window.confirm(`Delete the collection “${collection.name}” and all its documents? This cannot be undone.`)) return;
    clearError();
    try {
      await requestJson(collectionPath(collection.id), 'DELETE');
      state.collections.delete(collection.id);
      await selectCollection(null);
      announce(`Collection “${collection.name}” deleted; its documents are being removed.`);
      els.createName.focus();
    } catch (error) {
      showError(error);
    }
  }

  async function reindexCollection() {
    const collection = state.collections.get(state.currentId);
    if (!collection) return;
    if (!window.confirm(`Index every document of “${collection.name}” again?`)) return;
    clearError();
    try {
      const answer = await requestJson(`${collectionPath(collection.id)}/reindex`, 'POST');
      const n = answer && typeof answer.documents === 'number' ? answer.documents : 0;
      announce(`Re-indexing ${n} document${n === 1 ? '' : 's'} of “${collection.name}”.`);
      if (state.currentId === collection.id) await loadDocuments();
    } catch (error) {
      showError(error);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Documents: the list (read model) merged with what this page saw live

  async function loadDocuments() {
    const view = state.view;
    const collectionId = state.currentId;
    if (!collectionId) return;
    try {
      const body = await requestJson(`${collectionPath(collectionId)}/documents`, 'GET');
      if (view !== state.view) return;
      state.listed.clear();
      for (const item of (body && body.documents) || []) state.listed.set(item.id, item);
      state.listFetchedAt = Date.now();
    } catch (error) {
      if (view !== state.view) return;
      if (error.status === 404) {
        // Deleted meanwhile (by someone else): forget it.
        state.collections.delete(collectionId);
        await selectCollection(null);
      }
      showError(error);
      return;
    }
    renderDocuments();
    // Documents the list says are busy are followed live; re-read expanded ones so their versions are current.
    for (const id of state.expanded) refreshDetails(id, view);
    schedulePoll();
  }

  function scheduleListReload() {
    clearTimeout(state.listReloadTimer);
    const view = state.view;
    state.listReloadTimer = setTimeout(() => {
      if (view === state.view && !session.signedOut && !document.hidden) loadDocuments();
    },
      LIST_RELOAD_AFTER_MS);
  }

  /** The list item's fields as a live GET of the document tells them. */
  function summaryOf(detail) {
    const versions = Array.isArray(detail.versions) ? detail.versions : [];
    const latest = versions.reduce((a, v) => (!a || v.version > a.version ? v : a), null);
    const published = versions.find((v) => v.version === detail.publishedVersion) || null;
    const shown = published || latest;
    let updatedAt = null;
    for (const v of versions) {
      for (const t of [v.createdAt, v.supersededAt]) if (t && (!updatedAt || t > updatedAt)) updatedAt = t;
    }
    return {
      id: detail.id,
      name: detail.name,
      state: detail.state,
      latestVersion: latest ? latest.version : null,
      publishedVersion: detail.publishedVersion ?? null,
      chunks: shown ? shown.chunks : null,
      sizeBytes: shown ? shown.sizeBytes : null,
      updatedAt,
      progress: detail.progress || null,
    };
  }

  function documentOf(id) {
    if (state.deleted.has(id)) return null;
    const listed = state.listed.get(id);
    const live = state.live.get(id);
    const liveWins = live && (!listed || live.seenAt + LIVE_WINS_MS >= state.listFetchedAt);
    if (!liveWins) return listed ? { ...listed, progress: null } : null;
    const merged = { ...(listed || {}) };
    for (const [key, value] of Object.entries(live)) {
      if (value !== null && value !== undefined) merged[key] = value;
    }
    merged.progress = live.progress || null;
    return merged;
  }

  function currentDocuments() {
    const ids = new Set([...state.listed.keys(), ...state.live.keys()]);
    return [...ids].map(documentOf).filter(Boolean)
      .sort((a, b) => String(b.updatedAt || '').localeCompare(String(a.updatedAt || '')));
  }

  function renderDocuments() {
    const docs = currentDocuments();
    const wanted = new Set(docs.map((d) => d.id));
    for (const [id, entry] of state.rows) {
      if (!wanted.has(id)) {
        entry.row.remove();
        entry.detailsRow.remove();
        state.rows.delete(id);
        state.expanded.delete(id);
      }
    }
    const order = [];
    for (const doc of docs) {
      let entry = state.rows.get(doc.id);
      if (!entry) {
        entry = documentRow(doc.id);
        state.rows.set(doc.id, entry);
      }
      updateRow(entry, doc);
      order.push(entry.row, entry.detailsRow);
    }
    // Move rows only when the order changed: moving a focused button would drop the keyboard focus.
    const current = [...els.documentRows.children];
    if (current.length !== order.length || current.some((row, i) => row !== order[i])) {
      els.documentRows.replaceChildren(...order);
    }
    els.documentsEmpty.hidden = docs.length > 0;
    els.documents.hidden = docs.length === 0;
  }

  function documentRow(id) {
    const panelId = `kb-details-${state.nextElementId++}`;
    const button = h('button', {
      type: 'button', className: 'kb-expand', 'aria-expanded': 'false', 'aria-controls': panelId,
      dataset: { testid: 'document-toggle' },
      onclick: () => toggleDetails(id),
    });
    const cells = {
      name: h('td', { className: 'kb-cell-name', 'data-label': 'Name' }, button),
      state: h('td', { className: 'kb-cell-state', 'data-label': 'State' }),
      published: h('td', { 'data-label': 'Published', dataset: { testid: 'published' } }),
      chunks: h('td', { 'data-label': 'Chunks', dataset: { testid: 'chunks' } }),
      size: h('td', { 'data-label': 'Size' }),
      updated: h('td', { 'data-label': 'Updated' }),
    };
    const row = h('tr', { className: 'kb-doc-row', dataset: { testid: 'document-row', docId: id } },
      cells.name, cells.state, cells.published, cells.chunks, cells.size, cells.updated);
    const panel = h('div', { className: 'kb-details', id: panelId, dataset: { testid: 'document-details' } });
    const detailsRow = h('tr', { className: 'kb-details-row', hidden: true }, h('td', { colspan: '6' }, panel));
    return { row, detailsRow, panel, button, cells, rendered: '' };
  }

  function updateRow(entry, doc) {
    const { row, button, cells } = entry;
    row.dataset.state = doc.state || '';
    row.dataset.name = doc.name || '';
    button.replaceChildren(h('span', { className: 'kb-chevron', 'aria-hidden': 'true' }),
      h('span', { className: 'kb-doc-name', text: doc.name || doc.id }));
    const stateKey = JSON.stringify([doc.state, doc.progress]);
    if (cells.state.dataset.key !== stateKey) {
      cells.state.dataset.key = stateKey;
      const parts = [badge(doc.state)];
      if (BUSY.has(doc.state)) {
        const p = doc.progress;
        const known = p && p.total > 0;
        parts.push(h('span', { className: 'kb-progress-wrap', dataset: { testid: 'progress' } },
          progressBar(p, `Indexing progress of ${doc.name}`),
          h('span', { className: 'kb-progress-text', text: known ? `${p.done}/${p.total}` : 'Preparing…' })));
      }
      cells.state.replaceChildren(...parts);
    }
    cells.published.textContent = doc.publishedVersion ? `v${doc.publishedVersion}` : '—';
    if (doc.latestVersion && doc.latestVersion !== doc.publishedVersion) {
      cells.published.append(h('span', { className: 'kb-muted kb-latest', text: ` (latest v${doc.latestVersion})` }));
    }
    cells.chunks.textContent = typeof doc.chunks === 'number' ? String(doc.chunks) : '—';
    cells.size.textContent = formatBytes(doc.sizeBytes);
    cells.updated.textContent = formatWhen(doc.updatedAt);
    if (doc.updatedAt) cells.updated.title = new Date(doc.updatedAt).toLocaleString();
  }

  /** Reads one document live; answers whether it is still busy. */
  async function refreshDetails(id, view) {
    const collectionId = state.currentId;
    let detail;
    try {
      detail = await requestJson(documentPath(collectionId, id), 'GET');
    } catch (error) {
      if (view !== state.view) return false;
      if (error.status === 404) {
        forgetDocument(id);
        renderDocuments();
      } else if (error.status !== 0) {
        showError(error);
      }
      return false; // a network error: the next poll tries again
    }
    if (view !== state.view || state.deleted.has(id)) return false;
    const before = documentOf(id);
    state.details.set(id, detail);
    state.live.set(id, { ...summaryOf(detail), seenAt: Date.now() });
    const after = documentOf(id);
    if (before && BUSY.has(before.state) && !BUSY.has(after.state)) {
      announce(after.state === 'READY'
        ? `“${after.name}” is ready: version ${after.publishedVersion}, ${after.chunks ?? 0} chunks.`
        : `“${after.name}” is ${String(STATE_LABELS[after.state] || after.state).toLowerCase()}.`);
      scheduleListReload();
    }
    renderDocuments();
    if (state.expanded.has(id)) renderDetails(id);
    return BUSY.has(after.state);
  }

  function forgetDocument(id) {
    state.deleted.add(id);
    state.listed.delete(id);
    state.live.delete(id);
    state.details.delete(id);
    state.expanded.delete(id);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Polling the documents being processed

  function busyIds() {
    return currentDocuments().filter((d) => BUSY.has(d.state)).map((d) => d.id);
  }

  function schedulePoll() {
    if (state.pollTimer || document.hidden || session.signedOut || busyIds().length === 0) return;
    const timer = setTimeout(async () => {
      const view = state.view;
      await Promise.all(busyIds().map((id) => refreshDetails(id, view)));
      if (state.pollTimer !== timer) return; // stopped (hidden, another collection) or replaced meanwhile
      state.pollTimer = null;
      schedulePoll();
    }, POLL_MS);
    state.pollTimer = timer;
  }

  function stopPolling() {
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Document details: versions, download, restore, delete, new version

  async function toggleDetails(id) {
    const entry = state.rows.get(id);
    if (!entry) return;
    const open = !state.expanded.has(id);
    entry.button.setAttribute('aria-expanded', String(open));
    entry.detailsRow.hidden = !open;
    entry.row.classList.toggle('kb-open', open);
    if (!open) {
      state.expanded.delete(id);
      return;
    }
    state.expanded.add(id);
    if (state.details.has(id)) renderDetails(id);
    else entry.panel.replaceChildren(h('p', { className: 'kb-muted', text: 'Loading versions…' }));
    await refreshDetails(id, state.view);
  }

  function fact(label, value) {
    return [h('dt', { text: label }), h('dd', { text: value })];
  }

  function uploaderName(uploadedBy) {
    if (session.user && (uploadedBy === session.user.id || uploadedBy === session.user.email)) return 'you';
    return String(uploadedBy);
  }

  function renderDetails(id) {
    const entry = state.rows.get(id);
    const detail = state.details.get(id);
    if (!entry || !detail) return;
    const key = JSON.stringify([detail, state.canWrite]);
    if (entry.rendered === key) return; // unchanged: keep the buttons (and the focus on them) as they are
    entry.rendered = key;
    const focused = entry.panel.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;

    const actions = state.canWrite ? h('div', { className: 'kb-details-actions' },
      h('button', { type: 'button', className: 'kb-button', dataset: { testid: 'upload-version', focusKey: 'upload' },
        onclick: () => chooseNewVersion(id, detail.name), text: 'Upload new version' }),
      h('button', { type: 'button', className: 'kb-button kb-button-danger',
        dataset: { testid: 'delete-document', focusKey: 'delete' },
        onclick: () => deleteDocument(id, detail.name), text: 'Delete document' })) : null;

    const versions = [...(detail.versions || [])].sort((a, b) => b.version - a.version);
    const list = h('ol', { className: 'kb-versions', 'aria-label': `Versions of ${detail.name}` },
      versions.map((v) => {
        const published = v.version === detail.publishedVersion;
        const buttons = [h('button', {
          type: 'button', className: 'kb-button', dataset: { testid: 'download', focusKey: `download-${v.version}` },
          'aria-label': `Download version ${v.version} (${v.fileName})`, text: 'Download',
          onclick: (event) => download(id, v, event.currentTarget),
        })];
        if (v.state === 'SUPERSEDED' && state.canWrite) {
          buttons.push(h('button', {
            type: 'button', className: 'kb-button', dataset: { testid: 'restore', focusKey: `restore-${v.version}` },
            'aria-label': `Restore version ${v.version}`, text: 'Restore',
            onclick: (event) => restoreVersion(id, v.version, event.currentTarget),
          }));
        }
        const p = detail.progress;
        const progress = BUSY.has(v.state) && p
          ? h('span', { className: 'kb-progress-wrap' }, progressBar(p, `Indexing progress of version ${v.version}`),
            h('span', { className: 'kb-progress-text', text: p.total > 0 ? `${p.done}/${p.total}` : 'Preparing…' }))
          : null;
        return h('li', { className: 'kb-version', dataset: { testid: 'version', version: String(v.version), state: v.state } },
          h('div', { className: 'kb-version-head' },
            h('strong', { text: `Version ${v.version}` }),
            badge(v.state),
            published ? h('span', { className: 'kb-tag', text: 'Published' }) : null,
            progress),
          h('dl', { className: 'kb-facts' },
            fact('File', v.fileName || '—'),
            fact('Size', formatBytes(v.sizeBytes)),
            fact('Type', v.contentType || '—'),
            fact('Chunks', typeof v.chunks === 'number' ? String(v.chunks) : '—'),
            fact('Uploaded', formatWhen(v.createdAt)),
            v.supersededAt ? fact('Superseded', formatWhen(v.supersededAt)) : null,
            v.uploadedBy ? fact('By', uploaderName(v.uploadedBy)) : null,
            v.sha256 ? fact('SHA-256', `${String(v.sha256).slice(0, 12)}…`) : null),
          v.failureReason ? h('p', { className: 'kb-failure', dataset: { testid: 'failure-reason' },
            text: `Failed: ${v.failureReason}` }) : null,
          h('div', { className: 'kb-version-actions' }, buttons));
      }));
    entry.panel.replaceChildren(...[actions, versions.length ? list
      : h('p', { className: 'kb-muted', text: 'No versions yet.' })].filter(Boolean));
    if (focused) {
      const again = entry.panel.querySelector(`[data-focus-key="${focused}"]`);
      if (again) again.focus();
    }
  }

  async function download(id, version, button) {
    const collectionId = state.currentId;
    clearError();
    button.disabled = true;
    try {
      // A plain link cannot carry the bearer token: fetch the file and hand it to the browser as a blob.
      const response = await request(`${documentPath(collectionId, id)}/versions/${enc(version.version)}/content`);
      const blob = await response.blob();
      const name = version.fileName || fileNameOf(response.headers.get('Content-Disposition')) || `version-${version.version}`;
      const href = URL.createObjectURL(blob);
      const link = h('a', { href, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
      announce(`Downloading “${name}” (version ${version.version}).`);
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  }

  function fileNameOf(disposition) {
    if (!disposition) return null;
    const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
    if (star) {
      try { return decodeURIComponent(star[1].trim()); } catch (_) { /* fall through */ }
    }
    const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(disposition);
    return plain ? (plain[1] || plain[2]).trim() : null;
  }

  async function restoreVersion(id, version, button) {
    const view = state.view;
    clearError();
    button.disabled = true;
    try {
      await requestJson(`${documentPath(state.currentId, id)}/versions/${enc(version)}/restore`, 'POST');
      announce(`Version ${version} is being restored.`);
      await refreshDetails(id, view);
      scheduleListReload();
      schedulePoll();
    } catch (error) {
      showError(error);
      button.disabled = false;
    }
  }

  async function deleteDocument(id, name) {
    if (!window.confirm(`Delete “${name}” with all its versions? This cannot be undone.`)) return;
    const view = state.view;
    clearError();
    try {
      await requestJson(documentPath(state.currentId, id), 'DELETE');
      if (view !== state.view) return;
      forgetDocument(id);
      renderDocuments();
      announce(`“${name}” deleted.`);
    } catch (error) {
      showError(error);
    }
  }

  function chooseNewVersion(docId, name) {
    state.versionTarget = { collectionId: state.currentId, docId, name };
    els.versionInput.value = '';
    els.versionInput.click();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Uploads: XMLHttpRequest, because fetch reports no upload progress

  function enqueueFiles(files, target) {
    const collection = state.collections.get(target.collectionId);
    for (const file of files) {
      const task = {
        file,
        collectionId: target.collectionId,
        url: target.docId
          ? `${documentPath(target.collectionId, target.docId)}/versions`
          : `${collectionPath(target.collectionId)}/documents`,
        xhr: null,
        cancelled: false,
      };
      task.item = uploadItem(task, collection ? collection.name : '', target.docId ? target.name : null);
      els.uploads.prepend(task.item.li);
      const invalid = file.size > MAX_UPLOAD_BYTES
        ? `${formatBytes(file.size)} is too large: files can be at most ${formatBytes(MAX_UPLOAD_BYTES)}.`
        : file.size === 0 ? 'The file is empty.' : null;
      if (invalid) {
        finishUpload(task, 'failed', invalid);
        continue;
      }
      state.uploadQueue.push(task);
    }
    pumpUploads();
  }

  function uploadItem(task, collectionName, versionOf) {
    const progress = h('progress', { className: 'kb-progress', max: '1', 'aria-label': `Upload of ${task.file.name}` });
    progress.value = 0;
    const status = h('span', { className: 'kb-upload-status', dataset: { testid: 'upload-status' }, text: 'Waiting…' });
    const cancel = h('button', { type: 'button', className: 'kb-button kb-button-quiet kb-upload-cancel',
      'aria-label': `Cancel the upload of ${task.file.name}`, text: 'Cancel' });
    cancel.addEventListener('click', () => {
      if (cancel.dataset.done === 'true') {
        task.item.li.remove();
        return;
      }
      task.cancelled = true;
      if (task.xhr) task.xhr.abort();
      state.uploadQueue = state.uploadQueue.filter((t) => t !== task);
      finishUpload(task, 'failed', 'Cancelled.');
    });
    const where = versionOf ? `new version of “${versionOf}”` : collectionName ? `to ${collectionName}` : '';
    const li = h('li', { className: 'kb-upload', dataset: { testid: 'upload', state: 'queued', name: task.file.name } },
      h('div', { className: 'kb-upload-head' },
        h('span', { className: 'kb-upload-name', text: task.file.name }),
        h('span', { className: 'kb-muted', text: `${formatBytes(task.file.size)}${where ? ` · ${where}` : ''}` }),
        cancel),
      progress,
      status);
    return { li, progress, status, cancel };
  }

  function finishUpload(task, outcome, text) {
    const { li, status, cancel, progress } = task.item;
    li.dataset.state = outcome;
    status.textContent = text;
    if (outcome === 'failed') progress.hidden = true;
    cancel.dataset.done = 'true';
    cancel.textContent = 'Dismiss';
    cancel.setAttribute('aria-label', `Dismiss the upload of ${task.file.name}`);
    announce(`${task.file.name}: ${text}`);
    // Keep the last few finished uploads in view; older ones go.
    const finished = [...els.uploads.querySelectorAll('li[data-state="accepted"], li[data-state="failed"]')];
    for (const old of finished.slice(MAX_FINISHED_UPLOADS)) old.remove();
  }

  function pumpUploads() {
    while (state.activeUploads < UPLOADS_AT_ONCE && state.uploadQueue.length > 0 && !session.signedOut) {
      const task = state.uploadQueue.shift();
      state.activeUploads++;
      runUpload(task).finally(() => {
        state.activeUploads--;
        pumpUploads();
      });
    }
  }

  function sendOnce(task) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      task.xhr = xhr;
      xhr.open('POST', task.url);
      xhr.setRequestHeader('Accept', 'application/json');
      if (session.accessToken) xhr.setRequestHeader('Authorization', `Bearer ${session.accessToken}`);
      xhr.upload.addEventListener('progress', (event) => {
        const total = event.lengthComputable ? event.total : task.file.size;
        task.item.progress.max = Math.max(1, total);
        task.item.progress.value = Math.min(event.loaded, total);
        task.item.status.textContent = `Sending… ${formatBytes(event.loaded)} of ${formatBytes(total)}`;
      });
      xhr.addEventListener('load', () => resolve(xhr));
      xhr.addEventListener('error', () => reject(networkError(
        'The upload broke off. The server may have refused it (for example a file over 100 MB); try again.')));
      xhr.addEventListener('abort', () => reject(new ProblemError({ title: 'Cancelled' }, -1)));
      const form = new FormData();
      form.append('file', task.file, task.file.name);
      xhr.send(form);
    });
  }

  async function runUpload(task) {
    const { item } = task;
    item.li.dataset.state = 'sending';
    item.status.textContent = 'Sending…';
    try {
      let xhr = await sendOnce(task);
      if (xhr.status === 401 && !task.cancelled) {
        await refreshSession(); // rejects (and shows the signed-out panel) when the session has ended
        item.progress.value = 0;
        xhr = await sendOnce(task);
      }
      if (xhr.status < 200 || xhr.status >= 300) throw problemFromText(xhr.responseText, xhr.status, xhr.statusText);
      const accepted = JSON.parse(xhr.responseText || '{}');
      item.progress.value = item.progress.max;
      finishUpload(task, 'accepted', `Accepted: version ${accepted.version} of “${accepted.name}” is being processed.`);
      uploaded(task, accepted);
    } catch (error) {
      if (task.cancelled) return;
      const p = error.problem || {};
      let text = p.detail || p.title || 'The upload failed.';
      if (error.status === 413) text = `Too large: ${p.detail || 'files can be at most 100 MB.'}`;
      else if (error.status === 401) text = 'Not sent: signed out.';
      finishUpload(task, 'failed', text);
    } finally {
      task.xhr = null;
    }
  }

  /** Shows an accepted upload in the list at once: the read model catches up a moment later. */
  function uploaded(task, accepted) {
    if (task.collectionId !== state.currentId) return;
    state.deleted.delete(accepted.id);
    const known = documentOf(accepted.id) || {};
    state.live.set(accepted.id, {
      ...known,
      id: accepted.id,
      name: accepted.name || known.name || task.file.name,
      state: accepted.state || 'PROCESSING',
      latestVersion: accepted.version,
      sizeBytes: task.file.size,
      updatedAt: new Date().toISOString(),
      progress: null,
      seenAt: Date.now(),
    });
    renderDocuments();
    if (state.expanded.has(accepted.id)) refreshDetails(accepted.id, state.view);
    scheduleListReload();
    schedulePoll();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring

  els.createForm.addEventListener('submit', createCollection);
  els.searchForm.addEventListener('submit', searchCollection);
  els.rename.addEventListener('click', startRename);
  els.renameForm.addEventListener('submit', saveRename);
  els.renameCancel.addEventListener('click', () => {
    els.renameForm.hidden = true;
    els.rename.focus();
  });
  els.renameInput.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') els.renameCancel.click();
  });
  els.deleteCollection.addEventListener('click', deleteCollection);
  els.reindex.addEventListener('click', reindexCollection);
  els.errorDismiss.addEventListener('click', clearError);
  els.signOut.addEventListener('click', signOut);
  els.docsRefresh.addEventListener('click', () => { clearError(); loadDocuments(); });

  els.fileInput.addEventListener('change', () => {
    const files = [...els.fileInput.files];
    els.fileInput.value = ''; // choosing the same file again fires change again
    if (files.length && state.currentId) enqueueFiles(files, { collectionId: state.currentId });
  });
  els.versionInput.addEventListener('change', () => {
    const files = [...els.versionInput.files].slice(0, 1);
    els.versionInput.value = '';
    if (files.length && state.versionTarget) enqueueFiles(files, state.versionTarget);
    state.versionTarget = null;
  });

  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes('Files');
  for (const name of ['dragenter', 'dragover']) {
    els.dropzone.addEventListener(name, (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      els.dropzone.classList.add('kb-dragging');
    });
  }
  els.dropzone.addEventListener('dragleave', (event) => {
    if (!els.dropzone.contains(event.relatedTarget)) els.dropzone.classList.remove('kb-dragging');
  });
  els.dropzone.addEventListener('drop', (event) => {
    event.preventDefault();
    els.dropzone.classList.remove('kb-dragging');
    const files = [...(event.dataTransfer ? event.dataTransfer.files : [])];
    if (files.length && state.currentId) enqueueFiles(files, { collectionId: state.currentId });
  });
  // A file dropped next to the zone must not make the browser leave the page to show it.
  window.addEventListener('dragover', (event) => { if (hasFiles(event)) event.preventDefault(); });
  window.addEventListener('drop', (event) => { if (hasFiles(event)) event.preventDefault(); });

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      stopPolling();
    } else if (!session.signedOut && state.currentId) {
      loadDocuments(); // catch up on what happened while hidden, then poll again if something is busy
    }
  });

  window.addEventListener('hashchange', () => {
    const match = /^#\/c\/(.+)$/.exec(location.hash);
    const id = match ? decodeURIComponent(match[1]) : null;
    if (id !== state.currentId && (!id || state.collections.has(id))) selectCollection(id);
  });

  async function enterApp() {
    els.loading.hidden = true;
    els.signedOut.hidden = true;
    els.app.hidden = false;
    delete document.body.dataset.auth;
    await Promise.all([loadPermissions(), loadCollections()]);
    const match = /^#\/c\/(.+)$/.exec(location.hash);
    const wanted = match ? decodeURIComponent(match[1]) : null;
    await selectCollection(wanted && state.collections.has(wanted) ? wanted : null);
    document.body.dataset.ready = 'true';
  }

  async function start() {
    try {
      await refreshSession(); // the tab's refresh token, stored by the chat page, signs in here too
    } catch (error) {
      if (error.status === 401) {
        if (!session.signedOut) showSignedOut(null);
      } else {
        showSignedOut('The server could not be reached. Reload to try again.');
      }
      return;
    }
    await enterApp();
  }

  start();
})();
