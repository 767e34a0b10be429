import type { ErrorCode } from '../types/protocol';

/** An error whose code and message are meant for the client. */
export class ClientError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
