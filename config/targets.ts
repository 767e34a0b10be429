/**
 * Build-time settings of the mini-program targets, read from the environment (`.env.<mode>` files or
 * the shell): where our server is, whether the location feature is on, and the checks a production
 * build must pass. Pure, so tests can call it without running Taro.
 */
import { isIP } from 'node:net';

export type Target = 'weapp' | 'alipay' | 'tt' | 'h5';

/**
 * Production mini programs may only talk to HTTPS/WSS domains whitelisted in the platform's admin
 * console; WeChat, Alipay and Douyin refuse IP addresses and localhost there. A build that would only
 * fail on a patient's phone fails here instead, saying why.
 */
export function checkServerUrl(raw: string | undefined, opts: { target: Target; production: boolean }): string | undefined {
  if (opts.target === 'h5') return undefined; // H5 talks to its own origin
  const name = 'TARO_APP_SERVER_URL';
  if (!raw) {
    if (!opts.production) return undefined;
    throw new Error(`${name} is not set: a production ${opts.target} build needs the IM server's https:// domain (e.g. in .env.production)`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name}=${raw} is not a URL`);
  }
  if (!opts.production) return raw.replace(/\/$/, '');
  if (url.protocol !== 'https:') {
    throw new Error(`${name}=${raw}: a production ${opts.target} build needs https:// (mini programs only reach whitelisted HTTPS/WSS domains)`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) || host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    throw new Error(`${name}=${raw}: a production ${opts.target} build needs a domain name, not an IP address or localhost (the platforms whitelist domains only)`);
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new Error(`${name}=${raw}: give the origin only (https://host[:port]); the app adds /api and /ws itself`);
  }
  return url.origin;
}
