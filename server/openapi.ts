/**
 * The HTTP API as an OpenAPI 3.1 document, served at `/api/openapi.json`. Request bodies are the zod
 * schemas the handlers validate with (api.ts), turned into JSON Schema by zod's own toJSONSchema;
 * answers are described here in zod as well. tests/server/openapi.test.ts holds every documented
 * endpoint's real answers against this document, and every route of app.ts against its paths.
 */
import { z } from 'zod';
import { ERROR_CODES, NIM_TOKEN_PATH, RATINGS_PATH, RECORD_PATH } from '../types/protocol';
import { RATING_TAGS } from '../types/encounter';
import { MESSAGE_TYPES, ROLES } from '../types/message';
import { RX_KEY_PATH } from '../types/prescription';
import { newPharmacistSchema, PHARMACISTS_PATH } from './prescriptions/http';
import { identitySchema } from './encounter/schemas';
import { FILE_PATH, MEDIA_KINDS, UPLOAD_PATH } from '../types/media';
import { linkLoginSchema, newConsultationSchema, revokeSessionsSchema } from './api';
import { LINKS_PATH, linksSchema, loginSchema, unbindSchema } from './miniapp';
import { consentSchema, settingsSchema } from './notify/http';
import { MINIAPP_LOGIN_PATH, MINIAPP_UNBIND_PATH } from '../types/miniapp';
import { NOTIFY_CONSENT_PATH, NOTIFY_SETTINGS_PATH } from '../types/protocol';

const errorBody = z
  .object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }).strict() })
  .strict()
  .describe('Every refusal: a code from the protocol and a message (Chinese where a person reads it)');
const account = z.object({ account: z.string(), name: z.string(), role: z.enum(ROLES as ['patient', 'doctor', 'pharmacist']) }).strict();
const consentRecord = z
  .object({ version: z.string(), acceptedAt: z.number().int(), by: z.enum(['hospital', 'patient']) })
  .strict()
  .describe("the patient's informed consent: which version of the hospital's text, when, recorded by whom");
const consultation = z
  .object({
    id: z.string(),
    status: z.enum(['waiting', 'inProgress', 'closed', 'cancelled']),
    patient: z.string(),
    doctor: z.string(),
    maxPatientMessages: z.number().int().optional(),
    patientMessages: z.number().int(),
    endsAt: z.number().int().optional().describe('ms since the epoch'),
    createdAt: z.number().int().optional(),
    acceptedAt: z.number().int().optional(),
    closedAt: z.number().int().optional(),
    consent: consentRecord.optional(),
    identified: z.boolean().optional().describe('a confirmed identity is on record'),
    intake: z.object({ filled: z.boolean(), allergies: z.boolean() }).strict().optional(),
    followUp: z.object({ messages: z.number().int(), days: z.number().int() }).strict().optional().describe('追问 after closing'),
    followUps: z.number().int().optional(),
  })
  .strict();
const rating = z
  .object({
    consultationId: z.string(),
    doctor: z.string(),
    patient: z.string(),
    stars: z.number().int().min(1).max(5),
    tags: z.array(z.enum(RATING_TAGS)),
    comment: z.string().optional(),
    ratedAt: z.number().int(),
  })
  .strict();
const recordMessage = z
  .object({
    scene: z.enum(['p2p', 'team']),
    sessionId: z.string(),
    from: z.string(),
    fromNick: z.string().optional(),
    to: z.string(),
    type: z.enum(MESSAGE_TYPES),
    body: z.string(),
    attach: z.record(z.string(), z.unknown()).optional(),
    idClient: z.string(),
    idServer: z.string(),
    seq: z.number().int(),
    time: z.number().int(),
    status: z.string(),
    recalled: z.literal(true).optional(),
  })
  .strict();
const consultationRecord = z
  .object({
    consultation,
    identity: identitySchema.optional().describe('the full record, back to the hospital'),
    consent: consentRecord.optional(),
    messages: z.array(recordMessage).describe('every message decrypted, in order; recalled ones marked and kept'),
    cards: z.array(z.object({ seq: z.number().int(), card: z.string(), attach: z.record(z.string(), z.unknown()), state: z.string().optional() }).strict()),
    rating: rating.optional(),
  })
  .strict();
const people = <T extends z.ZodType>(t: T) => z.object({ patient: t, doctor: t }).strict();
const fileAttach = z
  .object({
    fileId: z.string(),
    url: z.string().describe('signed, expiring path of the file on this server'),
    name: z.string(),
    size: z.number().int(),
    ext: z.string(),
    mime: z.string(),
    w: z.number().int().optional(),
    h: z.number().int().optional(),
    thumbUrl: z.string().optional(),
    dur: z.number().optional().describe('ms'),
  })
  .strict();
const readiness = z
  .object({
    ready: z.boolean(),
    checks: z
      .object({
        database: z.enum(['ok', 'unreachable']),
        redis: z.enum(['ok', 'unreachable', 'off']),
        migrations: z.literal('done'),
        auditAnchor: z.enum(['ok', 'failing']),
        draining: z.boolean(),
      })
      .strict(),
  })
  .strict();
const empty = z.object({}).strict();
const notifySettings = z
  .object({
    enabled: z.boolean(),
    templates: z.object({ weapp: z.array(z.string()), alipay: z.array(z.string()), tt: z.array(z.string()) }).partial().strict(),
    sms: z.boolean(),
    consents: z.array(z.object({ platform: z.string(), template: z.string(), remaining: z.number().int() }).strict()),
  })
  .strict();

type Json = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema, inline. */
function schema(t: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema, ...rest } = z.toJSONSchema(t, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  void $schema;
  return rest;
}

const json = (t: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema: schema(t, 'output') } } });
const refusal = (description: string) => json(errorBody, description);
const bearer = (scheme: 'session' | 'admin' | 'metrics') => [{ [scheme]: [] }];
const body = (t: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(t, 'input') } } });

const paths: Record<string, Json> = {
  '/healthz': { get: { summary: 'The process is up', responses: { 200: json(z.object({ ok: z.literal(true) }).strict(), 'up') } } },
  '/api/health': { get: { summary: 'Same as /healthz (kept for older probes)', responses: { 200: json(z.object({ ok: z.literal(true) }).strict(), 'up') } } },
  '/readyz': {
    get: {
      summary: 'Can serve: database and Redis reachable, migrations done, the audit anchor file writable, not draining (SIGTERM)',
      responses: { 200: json(readiness, 'ready'), 503: json(readiness, 'not ready; `checks` says why') },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus text format; off (404) without METRICS_TOKEN',
      security: bearer('metrics'),
      responses: {
        200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
        401: refusal('missing or wrong token'),
        404: refusal('metrics are off'),
      },
    },
  },
  '/api/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
  '/api/login/link': {
    post: {
      summary: 'Exchange a one-time SMS link token for a session token',
      requestBody: body(linkLoginSchema),
      responses: {
        200: json(z.object({ token: z.string(), expiresAt: z.number().int(), me: account }).strict(), 'signed in'),
        400: refusal('not JSON, or not the schema'),
        401: refusal('forged link, or the account is gone'),
        409: refusal('linkUsed: the link was opened before'),
        410: refusal('linkExpired'),
        429: refusal('too many failed sign-ins from this address'),
      },
    },
  },
  '/api/logout': {
    post: {
      summary: 'End this sign-in (here and on every server process)',
      security: bearer('session'),
      responses: { 200: json(empty, 'signed out'), 401: refusal('no valid session token') },
    },
  },
  '/api/consultations': {
    post: {
      summary: "The hospital system opens a consultation; the answer holds each person's SMS link",
      security: bearer('admin'),
      requestBody: body(newConsultationSchema),
      responses: {
        201: json(
          z.object({ consultation, links: people(z.string()), appLinks: people(z.record(z.string(), z.unknown())).optional() }).strict(),
          'created',
        ),
        400: refusal('not the schema (a child under 6 without a guardian too), or patient and doctor the same'),
        401: refusal('wrong or missing API key'),
        404: refusal('the hospital API is off (no ADMIN_API_KEY)'),
        409: refusal('a consultation with this id exists'),
        429: refusal('too many requests, or too many wrong API keys from this address; Retry-After gives the seconds to wait'),
      },
    },
  },
  [PHARMACISTS_PATH]: {
    post: {
      summary: 'The hospital system creates (or renames) a pharmacist account; the answer holds its SMS sign-in link',
      security: bearer('admin'),
      requestBody: body(newPharmacistSchema),
      responses: {
        201: json(z.object({ account, link: z.string() }).strict(), 'created'),
        400: refusal('not the schema, or the account is a patient or doctor'),
        401: refusal('wrong or missing API key'),
        404: refusal('the hospital API is off (no ADMIN_API_KEY)'),
        429: refusal('too many requests, or too many wrong API keys from this address; Retry-After gives the seconds to wait'),
      },
    },
  },
  [RX_KEY_PATH]: {
    get: {
      summary: "The hospital's public key that verifies prescription signatures (canonicalPrescription of the card's rx)",
      responses: {
        200: json(z.object({ alg: z.enum(['ed25519', 'rsa']), keyId: z.string(), publicKeyPem: z.string() }).strict(), 'the key'),
        400: refusal('not GET'),
      },
    },
  },
  [RECORD_PATH]: {
    get: {
      summary: "A consultation's record for the hospital's medical-record system: messages, cards (with their state), identity, consent, rating",
      description: `Its files' URLs are signed for the API client that asked and open only with its key (see ${FILE_PATH}{id}).`,
      security: bearer('admin'),
      parameters: [{ name: 'id', in: 'query', required: true, schema: { type: 'string' } }],
      responses: {
        200: json(consultationRecord, 'the record'),
        400: refusal('no id, or not GET'),
        401: refusal('wrong or missing API key'),
        404: refusal('no such consultation, or the hospital API is off'),
        429: refusal('too many requests, or too many wrong API keys from this address; Retry-After gives the seconds to wait'),
      },
    },
  },
  [RATINGS_PATH]: {
    get: {
      summary: 'Ratings, oldest first, of one doctor or all; `next` continues',
      security: bearer('admin'),
      parameters: [
        { name: 'doctor', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'after', in: 'query', required: false, schema: { type: 'string' }, description: 'the `next` of the page before' },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200 } },
      ],
      responses: {
        200: json(z.object({ ratings: z.array(rating), next: z.string().optional() }).strict(), 'a page'),
        400: refusal('bad query'),
        401: refusal('wrong or missing API key'),
        404: refusal('the hospital API is off'),
        429: refusal('too many requests, or too many wrong API keys from this address; Retry-After gives the seconds to wait'),
      },
    },
  },
  '/api/sessions/revoke': {
    post: {
      summary: 'The hospital ends every sign-in of an account',
      security: bearer('admin'),
      requestBody: body(revokeSessionsSchema),
      responses: {
        200: json(empty, 'revoked'),
        400: refusal('not the schema'),
        401: refusal('wrong or missing API key'),
        404: refusal('the hospital API is off'),
        429: refusal('too many requests, or too many wrong API keys from this address; Retry-After gives the seconds to wait'),
      },
    },
  },
  [NIM_TOKEN_PATH]: {
    post: {
      summary: 'NetEase Yunxin credentials for the signed-in person (NIM builds)',
      security: bearer('session'),
      responses: {
        200: json(z.object({ appKey: z.string(), account: z.string(), token: z.string(), me: account }).strict(), 'credentials'),
        401: refusal('no valid session token'),
        404: refusal('NIM is not configured'),
      },
    },
  },
  [UPLOAD_PATH]: {
    post: {
      summary: 'Upload a file (multipart, field `file`); a message then names it by fileId',
      security: bearer('session'),
      parameters: [
        { name: 'kind', in: 'query', required: true, schema: { type: 'string', enum: [...MEDIA_KINDS] } },
        { name: 'name', in: 'query', required: false, schema: { type: 'string' }, description: 'display name' },
        { name: 'dur', in: 'query', required: false, schema: { type: 'number', minimum: 0 }, description: 'ms (audio, video)' },
      ],
      requestBody: {
        required: true,
        content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } }, required: ['file'] } } },
      },
      responses: {
        200: json(fileAttach, 'stored; what the server measured'),
        400: refusal('not POST'),
        401: refusal('no valid session token'),
        413: refusal('fileTooLarge'),
        415: refusal('invalidUpload: content not of an accepted format for its kind'),
        429: refusal('upload quota'),
      },
    },
  },
  [MINIAPP_LOGIN_PATH]: {
    post: {
      summary: "Mini-program sign-in with the platform's login code; with a link, binds this platform user to the link's account first",
      requestBody: body(loginSchema),
      responses: {
        200: json(z.object({ token: z.string(), expiresAt: z.number().int(), me: account }).strict(), 'signed in'),
        400: refusal('not JSON, or not the schema'),
        401: refusal('codeInvalid (get a fresh code), or a forged link'),
        404: refusal('notBound (bind through the hospital link first), or the platform is not configured'),
        409: refusal('linkUsed'),
        410: refusal('linkExpired'),
        429: refusal("the platform's limit, or too many failed sign-ins from this address"),
        502: refusal('platformError: the platform did not answer in time or refused this server'),
      },
    },
  },
  [MINIAPP_UNBIND_PATH]: {
    post: {
      summary: 'Unbind the platform user behind a fresh login code from this account; ends this sign-in',
      security: bearer('session'),
      requestBody: body(unbindSchema),
      responses: {
        200: json(empty, 'unbound'),
        400: refusal('not the schema'),
        401: refusal('no valid session token, or codeInvalid'),
        404: refusal('notBound, or the platform is not configured'),
        502: refusal('platformError'),
      },
    },
  },
  [LINKS_PATH]: {
    post: {
      summary: "The hospital system asks for fresh one-time links of an existing consultation",
      security: bearer('admin'),
      requestBody: body(linksSchema),
      responses: {
        200: json(z.object({ links: people(z.string()), appLinks: people(z.record(z.string(), z.unknown())).optional() }).strict(), 'links'),
        400: refusal('not the schema'),
        401: refusal('wrong or missing API key'),
        404: refusal('no such consultation, or the hospital API is off'),
        429: refusal('too many requests, or too many wrong API keys from this address; Retry-After gives the seconds to wait'),
      },
    },
  },
  [NOTIFY_SETTINGS_PATH]: {
    get: {
      summary: 'Reminders: whether they are on, the templates to ask consent for, SMS, consents left',
      security: bearer('session'),
      responses: { 200: json(notifySettings, 'settings'), 401: refusal('no valid session token') },
    },
    post: {
      summary: 'Reminders on or off',
      security: bearer('session'),
      requestBody: body(settingsSchema),
      responses: { 200: json(notifySettings, 'settings'), 400: refusal('not the schema'), 401: refusal('no valid session token') },
    },
  },
  [NOTIFY_CONSENT_PATH]: {
    post: {
      summary: "What the platform's requestSubscribeMessage answered, per template (each accept allows one notice)",
      security: bearer('session'),
      requestBody: body(consentSchema),
      responses: {
        200: json(z.object({ remaining: z.record(z.string(), z.number().int()) }).strict(), 'consents left per template'),
        400: refusal('not the schema'),
        401: refusal('no valid session token'),
      },
    },
  },
  [`${FILE_PATH}{id}`]: {
    get: {
      summary: 'A stored file by signed, expiring URL (as messages carry it); byte ranges',
      description:
        "The record export's URLs (`k`) are signed for the API client that fetched the record: they open only with its key (Authorization: Bearer <ADMIN_API_KEY>), whatever became of the message, and are limited per client by FILE_EXPORT_READS_PER_MIN rather than per person.",
      // A person's URL needs no header (mini programs cannot send one); the record export's needs the API key.
      security: [{}, ...bearer('admin')],
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'v', in: 'query', required: true, schema: { type: 'string', enum: ['orig', 'thumb'] } },
        { name: 'exp', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'sig', in: 'query', required: true, schema: { type: 'string' } },
        // A message's URL names the message and its viewer (signed with the rest): opened only while both still hold.
        { name: 'c', in: 'query', required: false, schema: { type: 'string' } },
        { name: 's', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'a', in: 'query', required: false, schema: { type: 'string' } },
        // The record export's URL names the API client it was signed for (signed with the rest), never a message.
        { name: 'k', in: 'query', required: false, schema: { type: 'string' } },
        // The upload reply's URL names its uploader, before any message carries the file.
        { name: 'u', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'range', in: 'header', required: false, schema: { type: 'string' } },
      ],
      responses: {
        200: { description: 'the file', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
        206: { description: 'a byte range', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
        401: refusal('a record export’s URL without the API key of the client it was signed for'),
        403: refusal('invalid or expired signature, or the message it was signed for was recalled or is no longer its viewer’s to read'),
        404: refusal('no such file'),
        416: { description: 'range not satisfiable' },
        429: refusal(
          'rateLimited: too many file reads by this viewer (FILE_READS_PER_MIN), or by this API client through the record export (FILE_EXPORT_READS_PER_MIN), or too many wrong API keys from this address; Retry-After gives the seconds to wait',
        ),
      },
    },
  },
};

export const OPENAPI_PATH = '/api/openapi.json';

let built: Json | undefined;

export function openApiDocument(): Json {
  built ??= {
    openapi: '3.1.0',
    info: {
      title: 'medchat HTTP API',
      version: '1',
      description:
        'HTTP side of the medchat server. Chat itself runs over the WebSocket at /ws (protocol v1, see README). Errors always answer {error: {code, message}}.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', description: 'session token from /api/login/link' },
        admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY (the hospital system)' },
        metrics: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN' },
      },
    },
    paths,
  };
  return built;
}
