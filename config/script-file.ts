import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import HtmlWebpackPlugin from 'html-webpack-plugin';
import type { Compilation, Compiler } from 'webpack';

type TagGroups = Parameters<Parameters<ReturnType<typeof HtmlWebpackPlugin.getHooks>['alterAssetTagGroups']['tap']>[1]>[0];

/**
 * Emits `script` as `js/<name>.<hash>.js` and puts it first among the head's tags, deferred like the
 * app's scripts: it runs before them without blocking the parser on a round trip.
 */
function firstScript(compiler: Compiler, compilation: Compilation, data: TagGroups, name: string, script: string): void {
  const file = `js/${name}.${createHash('sha256').update(script).digest('hex').slice(0, 8)}.js`;
  compilation.emitAsset(file, new compiler.webpack.sources.RawSource(script));
  data.headTags.unshift(HtmlWebpackPlugin.createHtmlTagObject('script', { src: `${data.publicPath}${file}`, defer: true }));
}

/**
 * Taro hands the H5 template a script to write inline into index.html (`htmlWebpackPlugin.options.
 * script`: the root font size that pxtransform's rem units rest on). The server's Content-Security-
 * Policy runs scripts from our origin only (`script-src 'self'`, server/headers.ts), so the template
 * leaves it out and this emits it as a file of its own, run first as the inline one was (the page is
 * empty until the app's script draws it).
 */
export class ScriptFile {
  apply(compiler: Compiler): void {
    compiler.hooks.thisCompilation.tap('ScriptFile', (compilation) => {
      HtmlWebpackPlugin.getHooks(compilation).alterAssetTagGroups.tap('ScriptFile', (data) => {
        const script = (data.plugin.options as { script?: string } | undefined)?.script;
        if (script) firstScript(compiler, compilation, data, 'root-font-size', script);
        return data;
      });
    });
  }
}

/** A plain script of ours (no bundler) that runs before the app's, from its own file: src/h5/early-link.js. */
export class EarlyScript {
  constructor(private readonly path: string) {}

  apply(compiler: Compiler): void {
    compiler.hooks.thisCompilation.tap('EarlyScript', (compilation) => {
      compilation.fileDependencies.add(this.path);
      HtmlWebpackPlugin.getHooks(compilation).alterAssetTagGroups.tap('EarlyScript', (data) => {
        firstScript(compiler, compilation, data, 'early-link', readFileSync(this.path, 'utf8'));
        return data;
      });
    });
  }
}
