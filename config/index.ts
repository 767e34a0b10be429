import { defineConfig, type UserConfigExport } from '@tarojs/cli';
import { resolve } from 'node:path';
import { ScriptFile } from './script-file';

// types/ is shared with the server and lives outside src/, so Taro must be told to compile it.
const compile = { include: [resolve(__dirname, '..', 'types')] };

/**
 * IM_PROVIDER picks the IM backend at build time: `local` (our server, the default) or `nim` (NetEase
 * Yunxin). The app reads it as process.env.TARO_APP_IM_PROVIDER, inlined so the other provider – and
 * with `local` the whole NIM SDK – is left out of the bundle. A NIM build goes to dist/<target>-nim.
 */
/** The module Taro turns into the H5 app's bootstrap, which imports every page through its route table. */
const APP_ENTRY = /[\\/]src[\\/]app\.config\.ts$/;

const imProvider = process.env.IM_PROVIDER || process.env.TARO_APP_IM_PROVIDER || 'local';
if (imProvider !== 'local' && imProvider !== 'nim') throw new Error(`IM_PROVIDER must be local or nim, not ${imProvider}`);

export default defineConfig<'webpack5'>(async (merge) => {
  const base: UserConfigExport<'webpack5'> = {
    projectName: 'medchat',
    date: '2026-11-21',
    designWidth: 750,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: 'src',
    outputRoot: `dist/${process.env.TARO_ENV}${imProvider === 'nim' ? '-nim' : ''}`,
    plugins: [],
    defineConstants: { 'process.env.TARO_APP_IM_PROVIDER': JSON.stringify(imProvider) },
    copy: { patterns: [], options: {} },
    framework: 'react',
    compiler: { type: 'webpack5', prebundle: { enable: false } },
    cache: { enable: false },
    mini: {
      compile,
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
      webpackChain(chain) {
        // Taro's router would fetch each page's code (a JS and a CSS chunk) on its first visit, so a
        // page opened without a network stayed half-way: a new address over the old page. Compiled
        // into the app's own bundle instead, as a subpackage downloads with its pages on mini
        // programs, every page opens offline once the app has loaded (and the SMS link's chat needs no
        // second round trip). Other lazy code (the NIM SDK) keeps its own chunk.
        chain.module.rule('pages-in-app-bundle').test(APP_ENTRY).parser({ dynamicImportMode: 'eager' });
        // No inline script in index.html, for the server's `script-src 'self'`.
        chain.plugin('script-file').use(ScriptFile);
      },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: 'module', generateScopedName: '[name]__[local]___[hash:base64:5]' } },
      },
    },
  };
  return merge({}, base, process.env.NODE_ENV === 'development' ? { mini: {}, h5: {} } : {});
});
