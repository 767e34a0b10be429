/** JSON answers of the HTTP API: `{...}` on success, `{error: {code, message}}` otherwise. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../types/protocol';

const STATUS: Partial<Record<ErrorCode, number>> = {
  unauthenticated: 401,
  authFailed: 401,
  tokenExpired: 401,
  forbidden: 403,
  notFound: 404,
  fileTooLarge: 413,
  invalidUpload: 415,
  badFrame: 400,
  frameTooLarge: 413,
  linkExpired: 410,
  linkUsed: 409,
  invalidTransition: 409,
  rateLimited: 429,
  notBound: 404,
  codeInvalid: 401,
  platformError: 502,
  consentRequired: 403,
  identityRequired: 409,
  alreadyRated: 409,
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, STATUS[code] ?? 500, { error: { code, message } });
}

/** Bodies up to this size are read to the end before an error answer (see sendErrorAfterBody). */
const DRAIN_LIMIT = 1024 * 1024;

/**
 * An error answer to a request whose body may be unread. Answering and closing with unread bytes in the
 * socket makes the kernel reset the connection, and the client gets ECONNRESET instead of the reason;
 * so the rest of a small body is read and dropped first. A large one is answered at once, closing.
 */
export function sendErrorAfterBody(req: IncomingMessage, res: ServerResponse, code: ErrorCode, message: string): void {
  const send = () => {
    if (!res.headersSent) sendError(res, code, message);
  };
  if (req.complete || req.destroyed) return send();
  req.resume();
  if (Number(req.headers['content-length']) > DRAIN_LIMIT) {
    res.setHeader('connection', 'close');
    return send();
  }
  req.once('end', send);
  req.once('close', send);
  req.once('error', () => res.destroy());
}
