/**
 * index.html's first script on H5 (emitted by config/script-file.ts; a plain script, not bundled, so
 * ES5 only): an SMS link's one-time token is exchanged for a session while the app's own scripts still
 * download, and the reply is left for the entry page (src/platform/early-link.ts), which would
 * otherwise ask only once the app has started – a whole round trip later on a slow phone network.
 * Only on the entry page, only once per page load (the token can be used once), given up after 60 s
 * as the app's own requests are.
 *
 * The session token is also saved here, as src/chat/token.ts saves it (this tab's sessionStorage as
 * JSON; Taro's localStorage record `{data}`): the token is spent now, and if the app never runs (the
 * tab reloaded or closed while it downloads) the next opening of the link finds it used and continues
 * with the saved session, as for any link opened twice.
 */
/* global window */
(function () {
  var KEY = 'medchat.token';
  var page = /^#\/pages\/entry\/index\?(.*)$/.exec(window.location.hash);
  var found = page && /(?:^|&)link=([^&]+)/.exec(page[1]);
  // Link tokens are JWTs, which need no decoding; anything else is left to the app.
  if (!found || found[1].indexOf('%') >= 0 || typeof fetch !== 'function') return;
  var link = found[1];
  var abort = typeof AbortController === 'function' ? new AbortController() : undefined;
  var timer = abort && setTimeout(function () { abort.abort(); }, 60000);
  var reply = fetch('/api/login/link', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ link: link }),
    signal: abort && abort.signal
  }).then(function (res) {
    clearTimeout(timer);
    return res.json().then(
      function (data) {
        return { status: res.status, data: data };
      },
      function () {
        return { status: res.status, data: {} };
      }
    );
  });
  reply.then(
    function (r) {
      var token = r.status === 200 && r.data && typeof r.data.token === 'string' ? r.data.token : undefined;
      if (!token) return;
      try {
        window.sessionStorage.setItem(KEY, JSON.stringify(token));
        window.localStorage.setItem(KEY, JSON.stringify({ data: token }));
      } catch (_ignored) { // eslint-disable-line @typescript-eslint/no-unused-vars -- ES5 has no catch without a binding
        // Storage refused (private mode): the app saves it when it takes the reply.
      }
    },
    // Read by the entry page, or by no one: an unanswered exchange is not an error of the page's.
    function () {}
  );
  window.__medchatLinkExchange = { link: link, reply: reply };
})();
