/**
 * Validation of client frames. The schemas are typed against types/protocol.ts, so a change of the
 * wire types that the schemas do not follow fails to compile.
 */
import { z } from 'zod';
import type { OutgoingMessage } from '../types/message';
import { TEXT_MAX_CHARS, textOverLimit } from '../types/message';
import { cardDraftSchema, geoSchema, mediaRefSchema } from './cards';
import { prescriptionDraftSchema, reviewReasonSchema, rxIdSchema } from './prescriptions/schema';
import { PRESCRIPTION_STATES, REVIEW_DECISIONS } from '../types/prescription';
import { IDENTITY_LIMITS } from '../types/encounter';
import { DOCTORS_LIMITS } from '../types/transfer';
import { intakeSchema, quickReplyOps, ratingSchema } from './encounter/schemas';
import type { ErrorFrame, RequestFrame } from '../types/protocol';
import { HISTORY_PAGE_MAX, MAX_FRAME_BYTES, PROTOCOL_VERSION, SEARCH_PAGE_MAX, SEARCH_TEXT_MAX, SEARCH_TEXT_MIN, SESSIONS_BY_ID_MAX } from '../types/protocol';
import { idSchema as accountSchema } from './ids';

const idSchema = z.string().min(1).max(64);
const sessionIdSchema = z.string().regex(/^(p2p|team)-[A-Za-z0-9_-]{1,64}$/, 'must be p2p-<account> or team-<id>');
const seqSchema = z.number().int().min(0);
/** A client instance's own name for itself: printable, so it can never break a log line or a query. */
const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits, _ . : or -');
const clientIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, _ or -');

/** Types a client may send; tip and notification come from the server only. */
const CLIENT_TYPES = ['text', 'image', 'audio', 'video', 'file', 'geo', 'custom'] as const;

/** The attach each non-text type must carry. */
const ATTACH_SCHEMAS: Record<Exclude<(typeof CLIENT_TYPES)[number], 'text'>, z.ZodType> = {
  image: mediaRefSchema,
  audio: mediaRefSchema,
  video: mediaRefSchema,
  file: mediaRefSchema,
  geo: geoSchema,
  custom: cardDraftSchema,
};
/** Non-text messages may carry a short fallback text (NIM's body), nothing more. */
const MAX_FALLBACK_CHARS = 200;
/** Marks the issues that make a refusal `messageTooLarge` rather than `invalidMessage`. */
const TOO_LARGE = { tooLarge: true };

const outgoingSchema = z
  .object({
    scene: z.enum(['p2p', 'team']),
    to: accountSchema,
    type: z.enum(CLIENT_TYPES, { error: 'this message type cannot be sent by clients (yet)' }),
    body: z.string(),
    attach: z.record(z.string(), z.unknown()).optional(),
    idClient: clientIdSchema,
    // Any stored id, the server's own too: quoting a system line gets its own answer (invalidReply).
    replyTo: z.object({ idClient: idSchema, seq: z.number().int().min(1) }).strict().optional(),
  })
  .strict()
  // A transform, not a refinement: the attach stored is the one the schema produced (trimmed, and
  // without the invisible characters card and geo text lose), never the one the client sent.
  .transform((m, ctx) => {
    if (m.type === 'text') {
      // An attach on text would be stored and shown with it: nothing the server did not check goes in.
      if (m.attach !== undefined) ctx.addIssue({ code: 'custom', path: ['attach'], message: 'text messages carry no attach' });
      if (m.body.trim() === '') ctx.addIssue({ code: 'custom', path: ['body'], message: 'text must not be empty' });
      const over = textOverLimit(m.body);
      // The composer's own rule: a client that skipped it is told the same count.
      if (over > 0) ctx.addIssue({ code: 'custom', path: ['body'], message: `text is over ${TEXT_MAX_CHARS} characters by ${over}`, params: TOO_LARGE });
      return m;
    }
    if (m.body.length > MAX_FALLBACK_CHARS) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `fallback text is over ${MAX_FALLBACK_CHARS} characters` });
    }
    const attach = ATTACH_SCHEMAS[m.type].safeParse(m.attach);
    if (!attach.success) {
      for (const issue of attach.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: ['attach', ...issue.path] });
      return m;
    }
    return { ...m, attach: attach.data as Record<string, unknown> };
  }) satisfies z.ZodType<OutgoingMessage>;

const base = { v: z.literal(PROTOCOL_VERSION), id: idSchema };

/** Characters as a person counts them (code points), of the text without surrounding blanks. */
const searchChars = (t: string) => Array.from(t.trim()).length;

const searchSchema = z
  .object({
    ...base,
    type: z.literal('search'),
    sessionId: sessionIdSchema.optional(),
    text: z
      .string()
      .refine((t) => searchChars(t) >= SEARCH_TEXT_MIN, `must be at least ${SEARCH_TEXT_MIN} character(s) besides blanks`)
      .refine((t) => searchChars(t) <= SEARCH_TEXT_MAX, `must be at most ${SEARCH_TEXT_MAX} characters`)
      .optional(),
    types: z.array(z.enum(CLIENT_TYPES)).min(1).max(CLIENT_TYPES.length).optional(),
    before: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(SEARCH_PAGE_MAX),
  })
  .strict()
  .refine((f) => f.text !== undefined || f.types !== undefined, { message: 'search by text, by types, or both', path: ['text'] });
const [list, put, del, order] = quickReplyOps;
const quickReplies = { ...base, type: z.literal('quickReplies') };

const frameSchema = z.discriminatedUnion('type', [
  z
    .object({ ...base, type: z.literal('auth'), token: z.string().min(1).max(4096), deviceId: deviceIdSchema.optional() })
    .strict(),
  z.object({ ...base, type: z.literal('renew') }).strict(),
  z.object({ ...base, type: z.literal('send'), msg: outgoingSchema }).strict(),
  z
    .object({
      ...base,
      type: z.literal('history'),
      sessionId: sessionIdSchema,
      beforeSeq: seqSchema.optional(),
      limit: z.number().int().min(1).max(HISTORY_PAGE_MAX),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('sync'),
      cursors: z.record(sessionIdSchema, seqSchema).refine((c) => Object.keys(c).length <= 1000, 'too many cursors'),
    })
    .strict(),
  z.object({ ...base, type: z.literal('sessions'), ids: z.array(sessionIdSchema).min(1).max(SESSIONS_BY_ID_MAX) }).strict(),
  z.object({ ...base, type: z.literal('markRead'), sessionId: sessionIdSchema, seq: seqSchema }).strict(),
  z.object({ ...base, type: z.literal('delivered'), sessionId: sessionIdSchema, seq: seqSchema }).strict(),
  searchSchema,
  z.object({ ...base, type: z.literal('presence'), visible: z.boolean().optional() }).strict(),
  z.object({ ...base, type: z.literal('ping') }).strict(),
  z.object({ ...base, type: z.literal('recall'), sessionId: sessionIdSchema, idClient: clientIdSchema }).strict(),
  z.object({ ...base, type: z.literal('typing'), sessionId: sessionIdSchema }).strict(),
  z
    .object({
      ...base,
      type: z.literal('forward'),
      sessionId: sessionIdSchema,
      from: accountSchema,
      idClient: clientIdSchema,
      toSessionId: sessionIdSchema,
      newIdClient: clientIdSchema,
    })
    .strict(),
  z
    .object({ ...base, type: z.literal('consultation'), sessionId: sessionIdSchema, action: z.enum(['accept', 'close', 'cancel']) })
    .strict(),
  z.object({ ...base, type: z.literal('prescribe'), sessionId: sessionIdSchema, idClient: clientIdSchema, rx: prescriptionDraftSchema }).strict(),
  z
    .object({
      ...base,
      type: z.literal('review'),
      prescriptionId: rxIdSchema,
      decision: z.enum(REVIEW_DECISIONS),
      reason: reviewReasonSchema.optional(),
    })
    .strict()
    .refine((f) => f.decision === 'approve' || f.reason !== undefined, { path: ['reason'], message: 'a rejection needs a reason the doctor can act on' }),
  z
    .object({
      ...base,
      type: z.literal('prescriptions'),
      state: z.enum(PRESCRIPTION_STATES).optional(),
      afterIssuedAt: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(HISTORY_PAGE_MAX),
    })
    .strict(),
  z.object({ ...base, type: z.literal('renewRx'), prescriptionId: rxIdSchema }).strict(),
  z.object({ ...base, type: z.literal('transfer'), sessionId: sessionIdSchema, to: accountSchema }).strict(),
  z
    .object({ ...base, type: z.literal('doctors'), filter: z.string().max(DOCTORS_LIMITS.filter).optional(), limit: z.number().int().min(1).max(DOCTORS_LIMITS.list).optional() })
    .strict(),
  z.object({ ...base, type: z.literal('encounter'), sessionId: sessionIdSchema }).strict(),
  z.object({ ...base, type: z.literal('identity'), sessionId: sessionIdSchema, candidate: z.number().int().min(0).max(IDENTITY_LIMITS.candidates - 1) }).strict(),
  z.object({ ...base, type: z.literal('consent'), sessionId: sessionIdSchema, version: z.string().min(1).max(32) }).strict(),
  z.object({ ...base, type: z.literal('intake'), sessionId: sessionIdSchema, form: intakeSchema }).strict(),
  z.object({ ...base, type: z.literal('rate'), sessionId: sessionIdSchema, rating: ratingSchema }).strict(),
  // One frame type, its operation in `op` (a union inside the union: zod's discriminated unions take objects only).
  z.object({ ...base, type: z.literal('quickReplies') }).passthrough().pipe(z.discriminatedUnion('op', [
        z.object({ ...quickReplies, ...list.shape }).strict(),
        z.object({ ...quickReplies, ...put.shape }).strict(),
        z.object({ ...quickReplies, ...del.shape }).strict(),
        z.object({ ...quickReplies, ...order.shape }).strict(),
      ])),
]) satisfies z.ZodType<RequestFrame>;

export type ParsedFrame = { ok: true; frame: RequestFrame } | { ok: false; error: ErrorFrame };

const error = (code: ErrorFrame['code'], message: string, id?: string): ParsedFrame => ({
  ok: false,
  error: { v: PROTOCOL_VERSION, type: 'error', code, message, ...(id ? { id } : {}) },
});

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'frame'}: ${i.message}`)
    .join('; ');
}

export function parseClientFrame(raw: string): ParsedFrame {
  if (Buffer.byteLength(raw) > MAX_FRAME_BYTES) return error('frameTooLarge', `frame is over ${MAX_FRAME_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return error('badFrame', 'frame is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return error('badFrame', 'frame must be a JSON object');
  const obj = json as Record<string, unknown>;
  const id = typeof obj.id === 'string' && obj.id.length <= 64 ? obj.id : undefined;
  if (obj.v !== PROTOCOL_VERSION) {
    return error('unsupportedVersion', `protocol version ${String(obj.v)} is not supported; use ${PROTOCOL_VERSION}`, id);
  }
  const parsed = frameSchema.safeParse(obj);
  if (!parsed.success) {
    const onMsg = parsed.error.issues.some((i) => i.path[0] === 'msg' || i.path[0] === 'rx');
    const tooLarge = parsed.error.issues.some((i) => i.code === 'custom' && i.params === TOO_LARGE);
    const code = tooLarge ? 'messageTooLarge' : onMsg ? 'invalidMessage' : 'badFrame';
    return error(code, describe(parsed.error.issues), id);
  }
  return { ok: true, frame: parsed.data as RequestFrame };
}
