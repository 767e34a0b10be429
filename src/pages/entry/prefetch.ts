/**
 * The chat's code, fetched while the entry page signs in so the navigation after sign-in does not
 * wait for it. On H5 the `consult` subpackage is one lazy chunk (config/subpackage-chunks.js) and this
 * import names the same chunk; mini programs download the subpackage by app.config.ts's preloadRule.
 * Taro inlines TARO_ENV, so a mini-program bundle keeps no import of the chat here.
 */
export function prefetchChat(): void {
  if (process.env.TARO_ENV === 'h5') {
    // A failed fetch is not this page's problem: the router fetches the chunk again when it navigates.
    import(/* webpackChunkName: "consult" */ '../../consult/chat/index').catch(() => undefined);
  }
}
