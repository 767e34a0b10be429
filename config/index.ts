import { defineConfig, type UserConfigExport } from '@tarojs/cli';
import { resolve } from 'node:path';
import { locationEnabled } from './features';
import { CompressAssets } from './compress-assets';
import { ScriptFile } from './script-file';
import { checkServerUrl, type Target } from './targets';

// types/ is shared with the server and lives outside src/, so Taro must be told to compile it.
const compile = { include: [resolve(__dirname, '..', 'types')] };

/**
 * IM_PROVIDER picks the IM backend at build time: `local` (our server, the default) or `nim` (NetEase
 * Yunxin). The app reads it as process.env.TARO_APP_IM_PROVIDER, inlined so the other provider – and
 * with `local` the whole NIM SDK – is left out of the bundle. A NIM build goes to dist/<target>-nim.
 */
/** The module Taro turns into the H5 app's bootstrap, which imports every page through its route table. */
const APP_ENTRY = /[\\/]src[\\/]app\.config\.ts$/;
/** The `root` of each subpackage in src/app.config.ts: on H5, one lazy chunk each (subpackage-chunks.js). */
const SUBPACKAGE_ROOTS = ['consult'];

const imProvider = process.env.IM_PROVIDER || process.env.TARO_APP_IM_PROVIDER || 'local';
if (imProvider !== 'local' && imProvider !== 'nim') throw new Error(`IM_PROVIDER must be local or nim, not ${imProvider}`);

const target = (process.env.TARO_ENV || 'h5') as Target;
/** Our server for this build, checked before anything compiles (see config/targets.ts). */
const serverUrl = checkServerUrl(process.env.TARO_APP_SERVER_URL, { target, production: process.env.NODE_ENV === 'production' });
/**
 * Each platform has its own appid: TARO_APP_ID_WEAPP / _ALIPAY / _TT, else TARO_APP_ID. Taro writes
 * process.env.TARO_APP_ID into the emitted project file (project.config.json, mini.project.json).
 */
/** Location on or off for this target, for app.config.ts (read after this file) and the app (inlined). */
const location = locationEnabled(target) ? 'on' : 'off';
process.env.TARO_APP_LOCATION = location;

const ownAppId = process.env[`TARO_APP_ID_${target.toUpperCase()}`];
if (ownAppId) process.env.TARO_APP_ID = ownAppId;

/**
 * Packages that ship syntax the oldest base library we support cannot parse (immer and zustand use
 * `?.` and `??`): compiled by Babel like our own code, for the browserslist in package.json.
 */
const MODERN_PACKAGES = /[\\/]node_modules[\\/](immer|zustand|use-sync-external-store)[\\/]/;

export default defineConfig<'webpack5'>(async (merge) => {
  const base: UserConfigExport<'webpack5'> = {
    projectName: 'medchat',
    date: '2026-11-21',
    designWidth: 750,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: 'src',
    outputRoot: `dist/${process.env.TARO_ENV}${imProvider === 'nim' ? '-nim' : ''}`,
    plugins: [],
    defineConstants: {
      'process.env.TARO_APP_IM_PROVIDER': JSON.stringify(imProvider),
      // Inlined by us rather than from .env alone: the value used is the one checked above.
      ...(target !== 'h5' ? { 'process.env.TARO_APP_SERVER_URL': JSON.stringify(serverUrl ?? '') } : {}),
      'process.env.TARO_APP_LOCATION': JSON.stringify(location),
    },
    copy: {
      // WeChat reads sitemapLocation from the output root: keep every page out of WeChat search.
      patterns: target === 'weapp' ? [{ from: 'sitemap.json', to: `dist/${target}${imProvider === 'nim' ? '-nim' : ''}/sitemap.json` }] : [],
      options: {},
    },
    framework: 'react',
    compiler: { type: 'webpack5', prebundle: { enable: false } },
    cache: { enable: false },
    mini: {
      compile: { include: [...compile.include, (file: string) => MODERN_PACKAGES.test(file)] },
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: 'module', generateScopedName: '[name]__[local]___[hash:base64:5]' } },
      },
    },
    h5: {
      compile,
      publicPath: '/',
      staticDirectory: 'static',
      router: { mode: 'hash' },
      // Content hashes in every asset name: the server sends them as immutable (server/static.ts).
      output: { filename: 'js/[name].[contenthash:8].js', chunkFilename: 'chunk/[name].[contenthash:8].js' },
      miniCssExtractPluginOption: { filename: 'css/[name].[contenthash:8].css', chunkFilename: 'css/[id].[contenthash:8].css' },
      webpackChain(chain) {
        // Taro's router would fetch each page's code (a JS and a CSS chunk) on its first visit, so a
        // page opened without a network stayed half-way: a new address over the old page. The
        // main package's pages are compiled into the app's own bundle instead; each subpackage's
        // pages form one chunk, fetched by the entry page while it signs in (as the preloadRule does
        // on mini programs), so the first screen waits for neither and every page opens offline once
        // the chat has. Other lazy code (the NIM SDK, hls.js) keeps its own chunk.
        chain.module.rule('pages-in-app-bundle').test(APP_ENTRY).parser({ dynamicImportMode: 'eager' });
        chain.module
          .rule('subpackage-chunks')
          .test(APP_ENTRY)
          .enforce('post')
          .use('subpackage-chunks')
          .loader(resolve(__dirname, 'subpackage-chunks.js'))
          .options({ roots: SUBPACKAGE_ROOTS });
        // Named, so the Chromium tests can tell that hls.js (only for .m3u8 sources, which Taro's
        // Video imports lazily) stays off the chat's path.
        chain.optimization.splitChunks({
          ...chain.optimization.get('splitChunks'),
          cacheGroups: {
            ...chain.optimization.get('splitChunks')?.cacheGroups,
            hls: { test: /[\\/]node_modules[\\/]hls\.js[\\/]/, name: 'hls', chunks: 'async', enforce: true },
          },
        });
        // No inline script in index.html, for the server's `script-src 'self'`.
        chain.plugin('script-file').use(ScriptFile);
        // Brotli and gzip beside every text asset, made once here and sent by server/static.ts.
        if (process.env.NODE_ENV !== 'development') chain.plugin('compress-assets').use(CompressAssets);
      },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: 'module', generateScopedName: '[name]__[local]___[hash:base64:5]' } },
      },
    },
  };
  return merge({}, base, process.env.NODE_ENV === 'development' ? { mini: {}, h5: {} } : {});
});
