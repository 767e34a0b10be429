/**
 * The ids the hospital API and the WebSocket protocol take: accounts, consultations, replies. They end
 * up in session ids, audit targets and file URLs, so they are plain: 1–64 letters, digits, _ or -.
 */
import { z } from 'zod';
import { NON_ACCOUNT_ACTORS } from './audit';

export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');

/** A new account: not named as one of the audit log's actors that are no account, or its records would pass for theirs. */
export const newAccountSchema = idSchema.refine((a) => !(NON_ACCOUNT_ACTORS as readonly string[]).includes(a), {
  message: `is reserved: ${NON_ACCOUNT_ACTORS.join(' and ')} act in the audit log`,
});
