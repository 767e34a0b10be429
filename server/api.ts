/**
 * The HTTP API besides files: SMS-link login (a one-time link token for a session token) and the
 * hospital system's endpoint that opens a consultation and returns the links to text to both people.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { FollowUpRule } from '../types/encounter';
import { IDENTITY_LIMITS, needsGuardian } from '../types/encounter';
import type { Account } from '../types/message';
import { consentGivenSchema, doctorIdentitySchema, identitySchema, intakeSchema } from './encounter/schemas';
import { sessionIdOf } from '../types/message';
import type { NimCredentials } from '../types/protocol';
import { type Audit, API_CLIENT } from './audit';
import type { Auth, LinkClaims } from './auth';
import { accountMayRequest, bearerIs, failedSignIn, sessionFromBearer } from './bearer';
import { infoOf } from './chat';
import { ClientError } from './errors';
import { displayText } from './text';
import { type Limit, type Limits, retryAfter } from './limits';
import { type AppLinkMaker, entryQuery, h5Entry, smsLinks } from './platforms/links';
import type { NimServerApi } from './nim';
import { sendErrorAfterBody, sendJson } from './reply';
import type { Storage } from './storage/types';
import { idSchema, newAccountSchema } from './ids';

const MAX_JSON_BYTES = 16 * 1024;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (req.method !== 'POST') throw new ClientError('badFrame', 'use POST with a JSON body');
  if (Number(req.headers['content-length']) > MAX_JSON_BYTES) throw new ClientError('frameTooLarge', `body is over ${MAX_JSON_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even past the limit (the bytes are dropped): leaving the loop early would destroy
  // the request, and with it the connection the answer has to go out on.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_JSON_BYTES) chunks.push(chunk);
  }
  if (size > MAX_JSON_BYTES) throw new ClientError('frameTooLarge', `body is over ${MAX_JSON_BYTES} bytes`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ClientError('badFrame', 'body is not valid JSON');
  }
}

export function fail(res: ServerResponse, req: IncomingMessage, e: unknown): void {
  retryAfter(res, e);
  if (e instanceof ClientError) sendErrorAfterBody(req, res, e.code, e.message);
  else sendErrorAfterBody(req, res, 'internal', 'request failed');
}

export const describe = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/** Who is asking, for throttling: the client's address and the limits that apply to it. */
export interface Caller {
  address: string;
  limits: Pick<Limits, 'failedSignIns' | 'failedCodes' | 'failedAdminKeys' | 'admin'>;
}

/** Request bodies, exported for the OpenAPI document (server/openapi.ts). */
export const linkLoginSchema = z.object({ link: z.string().min(1).max(4096) });
export const revokeSessionsSchema = z.object({ account: idSchema }).strict();

/** A link's claims. A forged link is a failed sign-in (failedSignIn); an expired or used one is a person's ordinary mistake. */
export function verifyLinkOf(auth: Auth, link: string, caller: Caller): Promise<LinkClaims> {
  return auth.verifyLink(link).catch(failedSignIn(caller));
}

/** The SMS link lands the person here (via the entry page) once; reopening it is refused. */
export async function handleLinkLogin(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { auth: Auth; storage: Storage; audit: Audit; caller: Caller },
): Promise<void> {
  try {
    const body = linkLoginSchema.safeParse(await readJson(req));
    if (!body.success) throw new ClientError('badFrame', describe(body.error));
    const claims = await verifyLinkOf(deps.auth, body.data.link, deps.caller);
    const me = await deps.storage.getAccount(claims.account);
    if (!me) throw new ClientError('authFailed', '账号不存在');
    if (!(await deps.storage.useLink(claims.jti, Date.now()))) {
      throw new ClientError('linkUsed', '该链接已使用过。请在首次打开的页面继续问诊，或联系医院重新发送链接');
    }
    const { token, expiresAt } = await deps.auth.issueWithExpiry(me);
    await deps.audit.record(me.account, 'login.link', me.account, { jti: claims.jti });
    sendJson(res, 200, { token, expiresAt, me });
  } catch (e) {
    fail(res, req, e);
  }
}

/** A name other people will see: visible characters only (no bidi overrides, zero-width or control characters). */
const displayName = (max: number) => z.string().transform(displayText).pipe(z.string().min(1).max(max));

const accountSchema = z
  .object({ account: newAccountSchema, name: displayName(32) })
  .strict();

export const newConsultationSchema = z
  .object({
    id: idSchema,
    patient: accountSchema,
    doctor: accountSchema,
    title: displayName(32).default('图文问诊'),
    /** A paid text consultation's quota of patient messages. */
    maxPatientMessages: z.number().int().min(1).max(1000).optional(),
    /** Minutes from now after which no more messages are taken. */
    durationMinutes: z.number().int().min(1).max(60 * 24 * 30).optional(),
    /** The patient's identity the hospital confirmed (real name checked at its counter or in its app). */
    identity: identitySchema.optional(),
    /** Or the hospital's records of this account (self, family members) for the patient to confirm one of. */
    identities: z.array(identitySchema).min(1).max(IDENTITY_LIMITS.candidates).optional(),
    /** Consent the patient gave at the hospital (its version and time); otherwise they are asked in the app. */
    consent: consentGivenSchema.optional(),
    /** The intake form, when the hospital's own system took it (no attachments: uploads are the patient's). */
    intake: intakeSchema.extend({ attachments: z.array(z.string()).max(0, 'the hospital cannot attach uploads').default([]) }).optional(),
    /** The doctor's verified identity shown to the patient (kept per doctor; the latest given wins). */
    doctorIdentity: doctorIdentitySchema.optional(),
  })
  .strict()
  .refine((c) => !(c.identity && c.identities), { message: 'give identity or identities, not both', path: ['identities'] })
  .refine((c) => ![c.identity, ...(c.identities ?? [])].some((r) => r && needsGuardian(r, Date.now())), {
    message: 'a child under 6 is seen online only with a guardian: add guardian',
    path: ['identity'],
  });

/**
 * The gate of the hospital-system API: on at all, not hammered (`calls`, per address, when given), the
 * right key (wrong ones are counted per address, apart from other failed sign-ins). Returns the API
 * client the key belongs to.
 */
export async function apiClientOf(req: IncomingMessage, adminApiKey: string | undefined, { address, limits }: Caller, calls?: Limit): Promise<string> {
  if (!adminApiKey) throw new ClientError('notFound', 'the hospital API is off (set ADMIN_API_KEY)');
  await limits.failedAdminKeys.ensure(address);
  await calls?.spend(address);
  if (!bearerIs(req, adminApiKey)) await limits.failedAdminKeys.failed(address, new ClientError('unauthenticated', 'wrong or missing API key'));
  return API_CLIENT;
}

/** The hospital-system API's calls, throttled per address (ADMIN_CALLS). */
export const admitAdmin = (req: IncomingMessage, adminApiKey: string | undefined, caller: Caller): Promise<string> =>
  apiClientOf(req, adminApiKey, caller, caller.limits.admin);

/** `POST /api/consultations` with `Authorization: Bearer <ADMIN_API_KEY>`: for the hospital's own system. */
export async function handleCreateConsultation(
  req: IncomingMessage,
  res: ServerResponse,
  deps: {
    auth: Auth;
    storage: Storage;
    audit: Audit;
    adminApiKey?: string;
    publicUrl: string;
    caller: Caller;
    apps?: AppLinkMaker;
    followUp?: FollowUpRule;
    /** Tells the devices of the accounts named, wherever they are connected, that the session changed. */
    announce: (sessionId: string, accounts: readonly string[]) => void;
  },
): Promise<void> {
  try {
    await admitAdmin(req, deps.adminApiKey, deps.caller);
    const body = newConsultationSchema.safeParse(await readJson(req));
    if (!body.success) throw new ClientError('badFrame', describe(body.error));
    const c = body.data;
    if (c.patient.account === c.doctor.account) throw new ClientError('badFrame', 'patient and doctor must differ');
    if (await deps.storage.consultation(c.id)) throw new ClientError('invalidTransition', `consultation ${c.id} exists`);
    const patient: Account = { ...c.patient, role: 'patient' };
    const doctor: Account = { ...c.doctor, role: 'doctor' };
    for (const a of [patient, doctor]) {
      const existing = await deps.storage.getAccount(a.account);
      if (existing && existing.role !== a.role) throw new ClientError('badFrame', `${a.account} is a ${existing.role}`);
      await deps.storage.upsertAccount(a);
    }
    if (c.doctorIdentity) await deps.storage.putDoctorProfile(doctor.account, c.doctorIdentity, Date.now());
    const created = await deps.audit.stored(
      deps.storage.createConsultation(
        {
          id: c.id,
          patient: patient.account,
          doctor: doctor.account,
          teamName: c.title,
          status: 'waiting',
          ...(c.maxPatientMessages ? { maxPatientMessages: c.maxPatientMessages } : {}),
          ...(c.durationMinutes ? { endsAt: Date.now() + c.durationMinutes * 60_000 } : {}),
          ...(c.identity ? { identity: c.identity } : {}),
          ...(c.identities ? { candidates: c.identities } : {}),
          ...(c.consent ? { consent: { ...c.consent, by: 'hospital' as const } } : {}),
          ...(c.intake ? { intake: { card: 'intake' as const, ...c.intake, attachments: [], source: 'hospital' as const, filledAt: Date.now() } } : {}),
          ...(deps.followUp ? { followUp: deps.followUp } : {}),
        },
        // Ids and versions only: never the identity or the intake's words.
        () =>
          deps.audit.entry(API_CLIENT, 'consultation.create', c.id, {
            patient: patient.account,
            doctor: doctor.account,
            ...(c.consent ? { consentVersion: c.consent.version } : {}),
            identity: c.identity ? 'confirmed' : c.identities ? 'candidates' : 'none',
            intake: c.intake !== undefined,
          }),
      ),
    );
    const session = sessionIdOf('team', c.id);
    // No message opens a consultation: a doctor's workbench left open learns of it from this.
    deps.announce(session, [patient.account, doctor.account]);
    sendJson(res, 201, { consultation: infoOf(created), ...(await smsLinks(deps, session, { patient, doctor })) });
  } catch (e) {
    fail(res, req, e);
  }
}

/**
 * `POST /api/nim/token` with our session token: the NIM app key, account and token for the NIM
 * provider (hospitals on NetEase's cloud). Off unless NIM_APP_KEY and NIM_APP_SECRET are set.
 */
export async function handleNimToken(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { auth: Auth; storage: Storage; audit: Audit; nim?: { api: NimServerApi; appKey: string }; limits: Pick<Limits, 'nimTokens'>; caller: Caller },
): Promise<void> {
  try {
    if (!deps.nim) throw new ClientError('notFound', 'NetEase IM is not configured on this server (NIM_APP_KEY, NIM_APP_SECRET)');
    if (req.method !== 'POST') throw new ClientError('badFrame', 'use POST');
    const me = await accountMayRequest('nimToken', req, deps.auth, deps.storage, deps.caller);
    await deps.limits.nimTokens.spend(me.account);
    const token = await deps.nim.api.tokenFor(me.account, me.name);
    await deps.audit.record(me.account, 'nim.token', me.account);
    const reply: NimCredentials = { appKey: deps.nim.appKey, account: me.account, token, me };
    sendJson(res, 200, reply);
  } catch (e) {
    fail(res, req, e);
  }
}

/** `POST /api/logout` with the session token: that sign-in ends here and on every server process. */
export async function handleLogout(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { auth: Auth; storage: Storage; audit: Audit; revoke: Revoke; caller: Caller },
): Promise<void> {
  try {
    if (req.method !== 'POST') throw new ClientError('badFrame', 'use POST');
    const { account, claims } = await sessionFromBearer(req, deps.auth, deps.storage, deps.caller);
    // A token from before sessions had ids ends with every session of its account started no later.
    const [sid, at] = claims.sid ? [claims.sid, Date.now()] : ['*', claims.startedAt + 1];
    await deps.revoke(account.account, sid, at);
    await deps.audit.record(account.account, 'session.revoke', account.account, { scope: claims.sid ? 'one' : 'all' });
    sendJson(res, 200, {});
  } catch (e) {
    fail(res, req, e);
  }
}

/**
 * `POST /api/sessions/revoke { account }` with the admin key: the hospital ends every sign-in of an
 * account (a lost phone, a doctor who left); the person signs in again with a new link.
 */
export async function handleRevokeSessions(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { storage: Storage; audit: Audit; adminApiKey?: string; caller: Caller; revoke: Revoke },
): Promise<void> {
  try {
    await admitAdmin(req, deps.adminApiKey, deps.caller);
    const body = revokeSessionsSchema.safeParse(await readJson(req));
    if (!body.success) throw new ClientError('badFrame', describe(body.error));
    // Unbound first: a lost phone would otherwise sign itself in again with a fresh mini-program code.
    const unbound = await deps.storage.unbindMiniappAll(body.data.account);
    await deps.revoke(body.data.account, '*', Date.now());
    await deps.audit.record(API_CLIENT, 'session.revoke', body.data.account, { scope: 'all' });
    if (unbound) await deps.audit.record(API_CLIENT, 'miniapp.unbind', body.data.account, { scope: 'all', count: unbound });
    sendJson(res, 200, {});
  } catch (e) {
    fail(res, req, e);
  }
}

/** Records a revocation and closes the connections it ends (see Gateway.revoke). */
export type Revoke = (account: string, sid: string, at: number) => Promise<void>;

/** The SMS link: the H5 entry page with a one-time link token, straight into a session. */
export async function entryLink(baseUrl: string, auth: Auth, account: Pick<Account, 'account' | 'role'>, sessionId?: string): Promise<string> {
  return h5Entry(baseUrl, entryQuery(await auth.issueLink(account), sessionId));
}
