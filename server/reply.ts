/** JSON answers of the HTTP API: `{...}` on success, `{error: {code, message}}` otherwise. */
import type { ServerResponse } from 'node:http';
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
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, STATUS[code] ?? 500, { error: { code, message } });
}
