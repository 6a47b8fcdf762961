// VoiceHelper pages' shared sign-in session and HTTP conventions (the chat page and the knowledge page).
// The access token lives in memory, the refresh token in sessionStorage, so the pages of one tab share the sign-in.
// Plain JavaScript, no build step; loaded before each page's own script.
'use strict';

window.VoiceHelperSession = (() => {
  const AUTH = '/api/v1/auth';
  const REFRESH_KEY = 'voicehelper.refreshToken';

  /** A failed request: the RFC 9457 problem the server sent (or one made up for a network error) and the status. */
  class ProblemError extends Error {
    constructor(problem, status) {
      super((problem && (problem.detail || problem.title)) || 'Request failed');
      this.problem = problem || {};
      this.status = status;
    }
  }

  function problemFromText(text, status, statusText) {
    let problem = { title: statusText || 'Request failed', detail: `HTTP ${status}` };
    try {
      const body = JSON.parse(text);
      if (body && typeof body === 'object') problem = body;
    } catch (_) { /* not a problem document */ }
    return new ProblemError(problem, status);
  }

  async function problemOf(response) {
    let text = '';
    try { text = await response.text(); } catch (_) { /* no body */ }
    return problemFromText(text, response.status, response.statusText);
  }

  const networkError = (detail) => new ProblemError({ title: 'Network error', detail }, 0);

  function storedRefreshToken() {
    try { return sessionStorage.getItem(REFRESH_KEY); } catch (_) { return null; /* storage disabled */ }
  }

  /**
   * A page's session. hooks.onStored(tokens) runs after new tokens are kept (show the account);
   * hooks.onEnded(reason) runs when the refresh token is refused (ask to sign in again).
   */
  function create(hooks) {
    const state = {
      accessToken: null,
      user: null,
      tenant: null,
      refreshTimer: null,
      refreshing: null, // the refresh in flight, shared by every request that needs it
    };

    function store(tokens) {
      state.accessToken = tokens.accessToken;
      state.user = tokens.user || null;
      state.tenant = tokens.tenant || null;
      try { sessionStorage.setItem(REFRESH_KEY, tokens.refreshToken); } catch (_) { /* storage disabled */ }
      clearTimeout(state.refreshTimer);
      // Refresh a little before expiry (at 80 % of the lifetime, at least 5 s ahead).
      const lead = Math.max(5, Math.round(tokens.expiresIn * 0.2));
      state.refreshTimer = setTimeout(() => { refresh().catch(() => {}); },
        Math.max(1, tokens.expiresIn - lead) * 1000);
      if (hooks.onStored) hooks.onStored(tokens);
    }

    function clear() {
      clearTimeout(state.refreshTimer);
      state.accessToken = null;
      state.user = null;
      state.tenant = null;
      try { sessionStorage.removeItem(REFRESH_KEY); } catch (_) { /* storage disabled */ }
    }

    /** Exchanges the stored refresh token for new tokens; rejects (and ends the session) when it is refused. */
    function refresh() {
      if (state.refreshing) return state.refreshing;
      const refreshToken = storedRefreshToken();
      if (!refreshToken) return Promise.reject(new ProblemError({ title: 'Signed out' }, 401));
      state.refreshing = (async () => {
        const response = await fetch(`${AUTH}/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        });
        if (!response.ok) {
          const problem = await problemOf(response);
          if (response.status === 401) {
            clear();
            if (hooks.onEnded) hooks.onEnded('Your session has ended. Please sign in again.');
          }
          throw problem;
        }
        store(await response.json());
      })().finally(() => { state.refreshing = null; });
      return state.refreshing;
    }

    const bearer = () => (state.accessToken ? { Authorization: `Bearer ${state.accessToken}` } : {});

    /** fetch with the access token; on a 401 the token is refreshed once and the request sent again. */
    async function authFetch(path, options = {}) {
      const withToken = () => fetch(path, { ...options, headers: { ...(options.headers || {}), ...bearer() } });
      let response = await withToken();
      if (response.status === 401) {
        try {
          await refresh();
        } catch (_) {
          return response;
        }
        response = await withToken();
      }
      return response;
    }

    /** authFetch that throws a ProblemError for a network error or a status other than 2xx. */
    async function request(path, options = {}) {
      let response;
      try {
        response = await authFetch(path, options);
      } catch (_) {
        throw networkError('The server could not be reached.');
      }
      if (!response.ok) throw await problemOf(response);
      return response;
    }

    /** Logs out on the server (revoking the refresh token's family) and forgets the tokens here. */
    async function logout() {
      const refreshToken = storedRefreshToken();
      try {
        await authFetch(`${AUTH}/logout`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(refreshToken ? { refreshToken } : {}),
        });
      } catch (_) { /* signed out locally anyway */ }
      clear();
    }

    /** Who is signed in, for a page's header: "email · organisation" (empty when unknown). */
    function accountLabel() {
      return [state.user && state.user.email, state.tenant && state.tenant.name].filter(Boolean).join(' · ');
    }

    return { state, store, clear, refresh, authFetch, request, logout, accountLabel };
  }

  return { AUTH, ProblemError, problemOf, problemFromText, networkError, storedRefreshToken, create };
})();
