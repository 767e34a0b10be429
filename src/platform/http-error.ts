import type { ErrorCode } from '../../types/protocol';

/**
 * A refused or failed request to our server (login, NIM token, upload): the server's error code, or
 * 'network' when no reply came. Free of Taro, so Node tests use it too.
 */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
