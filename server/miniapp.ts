/**
 * Mini-program sign-in over HTTP: a platform login code (the first time with the hospital's one-time
 * link, which binds the code's user to the link's account) for a session token of the usual kind;
 * unbinding; and fresh SMS links for an existing consultation (the hospital's API).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { sessionIdOf } from '../types/message';
import {
  MINIAPP_LOGIN_PATH,
  MINIAPP_PLATFORMS,
  MINIAPP_UNBIND_PATH,
  type MiniappLoginReply,
  type MiniappPlatform,
} from '../types/miniapp';
import { admitAdmin, type Caller, describe, fail, readJson, type Revoke, verifyLinkOf } from './api';
import { type Audit, API_CLIENT } from './audit';
import type { Auth } from './auth';
import { sessionFromBearer } from './bearer';
import type { ServerConfig } from './config';
import { ClientError } from './errors';
import { OpenidMacs } from './platforms/identity';
import { openPlatforms, type Platforms } from './platforms/index';
import { smsLinks } from './platforms/links';
import { sendJson } from './reply';
import type { Storage } from './storage/types';
import { idSchema } from './ids';

export const LINKS_PATH = '/api/links';

const NOT_CONFIGURED: Record<MiniappPlatform, string> = {
  weapp: '本服务器未配置微信小程序登录（WECHAT_APPID, WECHAT_APP_SECRET）',
  tt: '本服务器未配置抖音小程序登录（TT_APPID, TT_APP_SECRET）',
  alipay: '本服务器未配置支付宝小程序登录（ALIPAY_APPID, ALIPAY_PRIVATE_KEY, ALIPAY_PUBLIC_KEY）',
};

const platform = z.enum(MINIAPP_PLATFORMS);
const code = z.string().min(1).max(512);
export const loginSchema = z.object({ platform, code, link: z.string().min(1).max(4096).optional() }).strict();
export const unbindSchema = z.object({ platform, code }).strict();
export const linksSchema = z.object({ consultationId: idSchema }).strict();

interface Deps {
  auth: Auth;
  storage: Storage;
  audit: Audit;
  platforms: Platforms;
  macs: OpenidMacs;
}

/** What differs per request: who asks, and what the server knows only once listening. */
export interface MiniappContext {
  caller: Caller;
  revoke: Revoke;
  publicUrl: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, ctx: MiniappContext) => Promise<void>;

async function parsed<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const body = schema.safeParse(await readJson(req));
  if (!body.success) throw new ClientError('badFrame', describe(body.error));
  return body.data;
}

/** The platform's user behind a login code; a refused code counts as a failed sign-in of the address. */
async function identify(deps: Deps, name: MiniappPlatform, loginCode: string, { address, limits }: Caller) {
  const p = deps.platforms.signIn[name];
  if (!p) throw new ClientError('notFound', NOT_CONFIGURED[name]);
  const user = await p.identify(loginCode).catch((e: unknown) =>
    e instanceof ClientError && e.code === 'codeInvalid' ? limits.failedCodes.failed(address, e) : Promise.reject(e),
  );
  return { appid: p.appid, user, macs: deps.macs.of(name, p.appid, user.openid) };
}

async function login(req: IncomingMessage, res: ServerResponse, deps: Deps, { caller }: MiniappContext): Promise<void> {
  await caller.limits.failedCodes.ensure(caller.address);
  const body = await parsed(req, loginSchema);
  // The link is checked before the code is spent, so that a bad link costs the patient no code.
  const claims = body.link ? await verifyLinkOf(deps.auth, body.link, caller) : undefined;
  const { appid, user, macs } = await identify(deps, body.platform, body.code, caller);
  let account: string | undefined;
  if (claims) {
    if (!(await deps.storage.getAccount(claims.account))) throw new ClientError('authFailed', '账号不存在');
    if (!(await deps.storage.useLink(claims.jti, Date.now()))) {
      throw new ClientError('linkUsed', '该链接已使用过。已绑定的小程序直接打开即可；否则请联系医院重新发送链接');
    }
    const bound = { platform: body.platform, appid, openidMacs: macs, openid: user.openid, account: claims.account, boundAt: Date.now() };
    const { previous } = await deps.storage.bindMiniapp(user.unionid ? { ...bound, unionid: user.unionid } : bound);
    await deps.audit.record(claims.account, 'miniapp.bind', claims.account, { platform: body.platform, jti: claims.jti, ...(previous ? { replaced: previous } : {}) });
    account = claims.account;
  } else {
    account = await deps.storage.miniappAccount(body.platform, appid, macs);
    if (!account) throw new ClientError('notBound', '尚未绑定就诊账号：请用医院短信里的链接打开一次小程序完成绑定');
  }
  const me = await deps.storage.getAccount(account);
  if (!me) throw new ClientError('authFailed', '账号不存在');
  const { token, expiresAt } = await deps.auth.issueWithExpiry(me);
  await deps.audit.record(me.account, 'login.miniapp', me.account, { platform: body.platform });
  const reply: MiniappLoginReply = { token, expiresAt, me };
  sendJson(res, 200, reply);
}

/** The code names which platform user to unbind; the session asking ends with the binding. */
async function unbind(req: IncomingMessage, res: ServerResponse, deps: Deps, { caller, revoke }: MiniappContext): Promise<void> {
  const { account, claims } = await sessionFromBearer(req, deps.auth, deps.storage, caller);
  const body = await parsed(req, unbindSchema);
  await caller.limits.failedCodes.ensure(caller.address);
  const { appid, macs } = await identify(deps, body.platform, body.code, caller);
  if (!(await deps.storage.unbindMiniapp(body.platform, appid, macs, account.account))) {
    throw new ClientError('notBound', '当前小程序账号没有绑定到这个就诊账号');
  }
  // A token from before sessions had ids ends with every session of its account started no later.
  await revoke(account.account, claims.sid ?? '*', claims.sid ? Date.now() : claims.startedAt + 1);
  await deps.audit.record(account.account, 'miniapp.unbind', account.account, { platform: body.platform });
  sendJson(res, 200, {});
}

/** `POST /api/links { consultationId }` with the admin key: new one-time links for both people. */
async function links(req: IncomingMessage, res: ServerResponse, deps: Deps, ctx: MiniappContext, adminApiKey?: string): Promise<void> {
  await admitAdmin(req, adminApiKey, ctx.caller);
  const { consultationId } = await parsed(req, linksSchema);
  const c = await deps.storage.consultation(consultationId);
  const [patient, doctor] = c ? await Promise.all([deps.storage.getAccount(c.patient), deps.storage.getAccount(c.doctor)]) : [];
  if (!c || !patient || !doctor) throw new ClientError('notFound', `no consultation ${consultationId}`);
  const out = await smsLinks({ auth: deps.auth, publicUrl: ctx.publicUrl, apps: deps.platforms.links }, sessionIdOf('team', c.id), { patient, doctor });
  await deps.audit.record(API_CLIENT, 'links.issue', c.id, { patient: patient.account, doctor: doctor.account });
  sendJson(res, 200, out);
}

/** The mini-program routes of one server, and the link maker POST /api/consultations shares. */
export function miniappRoutes(
  config: Pick<ServerConfig, 'platforms' | 'dataKeys' | 'adminApiKey'>,
  base: { auth: Auth; storage: Storage; audit: Audit; now: () => number },
): { links: Platforms['links']; route(path: string): Handler | undefined } {
  const deps: Deps = { ...base, platforms: openPlatforms(config.platforms, base.storage, base.now), macs: new OpenidMacs(config.dataKeys) };
  const guarded =
    (h: (req: IncomingMessage, res: ServerResponse, deps: Deps, ctx: MiniappContext) => Promise<void>): Handler =>
    (req, res, ctx) =>
      h(req, res, deps, ctx).catch((e: unknown) => fail(res, req, e));
  const routes: Record<string, Handler> = {
    [MINIAPP_LOGIN_PATH]: guarded(login),
    [MINIAPP_UNBIND_PATH]: guarded(unbind),
    [LINKS_PATH]: guarded((req, res, d, ctx) => links(req, res, d, ctx, config.adminApiKey)),
  };
  return { links: deps.platforms.links, route: (path) => routes[path] };
}
