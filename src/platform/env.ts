/** The platform this bundle was built for; Taro inlines TARO_ENV, so each bundle keeps one branch. */
export type MiniProgram = 'weapp' | 'alipay' | 'tt';
export type Platform = MiniProgram | 'h5';

export const PLATFORM = (process.env.TARO_ENV || 'h5') as Platform;

/** A capability this platform does not offer (the UI hides it; a call explains it). */
export class UnsupportedError extends Error {
  constructor(what: string) {
    super(`${what}在当前平台不可用`);
    this.name = 'UnsupportedError';
  }
}

/** The person said no (to the picker or to a permission), which is not an error to report. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}
