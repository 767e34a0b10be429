/** Where our IM server is: the page's own origin on H5, a build-time setting on mini programs. */
export function serverBaseUrl(): string {
  if (process.env.TARO_ENV === 'h5') return window.location.origin;
  const url = process.env.TARO_APP_SERVER_URL;
  if (!url) throw new Error('TARO_APP_SERVER_URL is not set for this mini-program build');
  return url.replace(/\/$/, '');
}

export const socketUrlOf = (baseUrl: string): string => `${baseUrl.replace(/^http/, 'ws')}/ws`;

/**
 * File URLs from our server are paths (`/api/files/…`); mini programs need them absolute. Local
 * previews (blob:, wxfile://, http://tmp/…) pass through.
 */
export const resolveUrl = (url: string, baseUrl: string = serverBaseUrl()): string => (url.startsWith('/') ? baseUrl + url : url);
