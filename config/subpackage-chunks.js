/**
 * The H5 counterpart of mini-program subpackages: Taro's H5 bootstrap (the module made from
 * src/app.config.ts) imports every page with `import("./<page>")`. config/index.ts compiles those
 * imports into the app bundle (main-package pages open at once and offline); this loader, run after
 * Taro's and Babel's, marks the imports of each subpackage's pages as one lazy chunk named after its
 * root (`chunk/consult.<hash>.js`), which the entry page fetches while it signs in
 * (src/pages/entry/prefetch.ts). The pages of one subpackage share the chunk, so moving between them
 * fetches nothing, as on mini programs.
 *
 * Plain CommonJS: webpack loads loaders with Node's own require, which Taro's TypeScript hook for
 * the config no longer covers by then.
 *
 * @this {import('webpack').LoaderContext<{ roots: string[] }>}
 * @param {string} source
 * @returns {string}
 */
module.exports = function subpackageChunks(source) {
  const { roots } = this.getOptions();
  let out = source;
  for (const root of roots) {
    const pageImport = new RegExp(`\\bimport\\((["'])(\\./${root}/[^"']+)\\1\\)`, 'g');
    const marked = out.replace(pageImport, `import(/* webpackMode: "lazy", webpackChunkName: ${JSON.stringify(root)} */ $1$2$1)`);
    // A renamed root or a changed bootstrap would otherwise put the subpackage back into the app bundle unnoticed.
    if (marked === out) throw new Error(`subpackage-chunks: no page of subpackage "${root}" imported by the H5 bootstrap`);
    out = marked;
  }
  return out;
};
