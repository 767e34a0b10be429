/**
 * The NIM SDK itself, imported only from here and only when the NIM provider is configured (see
 * ../index.ts), so default builds carry none of its ~1 MB. The browser build on H5 (the mini-program
 * build bundles for H5 but fails at start there); Taro inlines TARO_ENV, so each bundle keeps one.
 */
import type * as NimSdkModule from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK';
import type { V2NIM } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK';
import type { NIMInterface } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/NIMInterface';
import type { CreateNim, NimEmitter, NimSdk } from './sdk';

type NimModule = typeof NimSdkModule;

/* eslint-disable @typescript-eslint/no-require-imports */
const NIM: NimModule['default'] =
  process.env.TARO_ENV === 'h5'
    ? (require('nim-web-sdk-ng/dist/v2/NIM_BROWSER_SDK') as NimModule).default
    : (require('nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK') as NimModule).default;
/* eslint-enable @typescript-eslint/no-require-imports */

export const createNim: CreateNim = (options, other) => {
  // The instance is all three at runtime; its declarations split them. Assigning to NimSdk checks
  // every service the provider uses against the SDK's own types.
  const sdk: NimSdk = NIM.getInstance(options, other) as V2NIM & Pick<NIMInterface, 'connect' | 'destroy'> & NimEmitter;
  return sdk;
};
