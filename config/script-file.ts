import { createHash } from 'node:crypto';
import HtmlWebpackPlugin from 'html-webpack-plugin';
import type { Compiler } from 'webpack';

const NAME = 'ScriptFile';

/**
 * Taro hands the H5 template a script to write inline into index.html (`htmlWebpackPlugin.options.
 * script`: the root font size that pxtransform's rem units rest on). The server's Content-Security-
 * Policy runs scripts from our origin only (`script-src 'self'`, server/headers.ts), so the template
 * leaves it out and this emits it as a file of its own, run first as the inline one was.
 */
export class ScriptFile {
  apply(compiler: Compiler): void {
    compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
      HtmlWebpackPlugin.getHooks(compilation).alterAssetTagGroups.tap(NAME, (data) => {
        const script = (data.plugin.options as { script?: string } | undefined)?.script;
        if (!script) return data;
        const file = `js/root-font-size.${createHash('sha256').update(script).digest('hex').slice(0, 8)}.js`;
        compilation.emitAsset(file, new compiler.webpack.sources.RawSource(script));
        // Deferred like the app's scripts and ahead of them, so it still runs before the first render
        // (the page is empty until the app's script draws it) without blocking the parser on a round trip.
        data.headTags.unshift(HtmlWebpackPlugin.createHtmlTagObject('script', { src: `${data.publicPath}${file}`, defer: true }));
        return data;
      });
    });
  }
}
