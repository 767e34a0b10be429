/**
 * index.html's first script on H5 (emitted by config/script-file.ts; plain script, no bundler): an SMS
 * link's one-time token is exchanged for a session while the app's own scripts still download, and
 * the reply is left for the entry page (src/platform/early-link.ts), which would otherwise ask only
 * once the app has started – a whole round trip later on a slow phone network. Only on the entry page
 * and only once per page load: the token can be used once.
 */
/* global window */
(function () {
  var page = /^#\/pages\/entry\/index\?(.*)$/.exec(window.location.hash);
  var found = page && /(?:^|&)link=([^&]+)/.exec(page[1]);
  if (!found || typeof fetch !== 'function') return;
  var link;
  try {
    link = decodeURIComponent(found[1]);
  } catch {
    return;
  }
  var reply = fetch('/api/login/link', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ link: link }),
  }).then(function (res) {
    return res.json().then(
      function (data) {
        return { status: res.status, data: data };
      },
      function () {
        return { status: res.status, data: {} };
      },
    );
  });
  // Read by the entry page, or by no one: an unread rejection is not an error of the page's.
  reply.catch(function () {});
  window.__medchatLinkExchange = { link: link, reply: reply };
})();
