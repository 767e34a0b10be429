import { HttpError } from '../../platform/http-error';
import { ImError } from '../types';

/**
 * An upload failure of the platform's shim as the provider's: the server's code (no reply at all:
 * offline), and its reason in Chinese kept as the text to show.
 */
export function uploadError(e: unknown): ImError {
  if (e instanceof ImError) return e;
  if (e instanceof HttpError) return new ImError(e.code === 'network' ? 'offline' : e.code, e.message, e.message);
  return new ImError('internal', e instanceof Error ? e.message : String(e));
}
