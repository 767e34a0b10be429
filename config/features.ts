/**
 * Features a hospital switches per target by configuration. Free of Node imports: app.config.ts reads
 * it, and on H5 that file is compiled into the app itself.
 */

/** "off" (or "0", "false", "no") switches a feature off. */
const on = (value: string | undefined): boolean => !/^(off|0|false|no)$/i.test(value?.trim() ?? '');

/**
 * Sending a location needs the platform's approval (WeChat: chooseLocation in requiredPrivateInfos,
 * granted per mini program). TARO_APP_LOCATION_<TARGET> (e.g. TARO_APP_LOCATION_WEAPP=off) wins over
 * TARO_APP_LOCATION; on by default.
 */
export function locationEnabled(target: string | undefined, env: Record<string, string | undefined> = process.env): boolean {
  const own = env[`TARO_APP_LOCATION_${(target ?? '').toUpperCase()}`];
  return on(own ?? env.TARO_APP_LOCATION);
}
