'use strict';
/* exported eirApi -- read by app.js and debug.js */

/**
 * The service's key in the browser, shared by the upload page and /debug: asked for once when
 * the service wants one, kept for this tab (sessionStorage), sent with every request.
 */
const eirApi = (() => {
  const STORAGE = 'eir-api-key';
  const storedKey = () => sessionStorage.getItem(STORAGE) || undefined;

  /**
   * fetch() with the key, if one was given. An answer in `askOn` (401 by default) to a request
   * sent with the key in hand asks for a key (once: requests already under way when it is given
   * retry with it), then tries again. `ask: false` never asks.
   */
  async function fetchWithKey(path, options = {}, { ask = true, askOn = [401], question } = {}) {
    const send = (key) =>
      fetch(path, { ...options, headers: { ...options.headers, ...(key && { 'X-Api-Key': key }) } });
    const sentWith = storedKey();
    const response = await send(sentWith);
    if (!askOn.includes(response.status) || !ask) return response;
    if (storedKey() !== sentWith) return send(storedKey());
    const key = window.prompt(question ?? 'This service needs an API key. Key:')?.trim();
    if (!key) return response;
    sessionStorage.setItem(STORAGE, key);
    return send(key);
  }

  /** `path` with the key in its query: EventSource sends no headers. */
  const streamUrl = (path) => {
    const key = storedKey();
    return key ? `${path}?key=${encodeURIComponent(key)}` : path;
  };

  return { fetch: fetchWithKey, streamUrl };
})();
