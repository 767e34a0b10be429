/**
 * What the client tells the server about notifications: consent per platform template (after
 * Taro.requestSubscribeMessage, on a tap), and reminders on/off. Bearer session token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  NOTIFY_CONSENT_PATH,
  NOTIFY_SETTINGS_PATH,
  type NotifyConsentReply,
  type NotifySettings,
} from '../../types/protocol';
import { describe, fail, readJson } from '../api';
import type { Auth } from '../auth';
import { accountFromBearer, type SignInSource } from '../bearer';
import { ClientError } from '../errors';
import { sendJson } from '../reply';
import type { Storage } from '../storage/types';
import type { NotifyConfig } from './config';

export const consentSchema = z
  .object({
    platform: z.enum(['weapp', 'alipay', 'tt']),
    results: z.record(z.string().max(128), z.unknown()).refine((r) => Object.keys(r).length <= 20, 'at most 20 templates'),
  })
  .strict();
export const settingsSchema = z.object({ enabled: z.boolean() }).strict();

interface Deps {
  auth: Auth;
  storage: Storage;
  config?: NotifyConfig;
  now: () => number;
}

function templatesOf(config: NotifyConfig | undefined): NotifySettings['templates'] {
  const out: NotifySettings['templates'] = {};
  for (const p of ['weapp', 'alipay', 'tt'] as const) {
    const t = config?.[p];
    if (t) out[p] = [t.templateId];
  }
  return out;
}

async function consent(req: IncomingMessage, res: ServerResponse, d: Deps, caller: SignInSource): Promise<void> {
  const me = await accountFromBearer(req, d.auth, d.storage, caller);
  const body = consentSchema.safeParse(await readJson(req));
  if (!body.success) throw new ClientError('badFrame', describe(body.error));
  const configured = templatesOf(d.config)[body.data.platform] ?? [];
  const remaining: NotifyConsentReply['remaining'] = {};
  // Only this server's templates count; 'errMsg' and unknown ids are ignored.
  for (const template of configured) {
    const answer = body.data.results[template];
    if (answer === 'accept') remaining[template] = await d.storage.changeNotifyConsent(me.account, body.data.platform, template, 'grant', d.now());
    else if (answer === 'reject' || answer === 'ban' || answer === 'filter') {
      remaining[template] = await d.storage.changeNotifyConsent(me.account, body.data.platform, template, 'revoke', d.now());
    }
  }
  sendJson(res, 200, { remaining } satisfies NotifyConsentReply);
}

async function settings(req: IncomingMessage, res: ServerResponse, d: Deps, caller: SignInSource): Promise<void> {
  const me = await accountFromBearer(req, d.auth, d.storage, caller);
  if (req.method === 'POST') {
    const body = settingsSchema.safeParse(await readJson(req));
    if (!body.success) throw new ClientError('badFrame', describe(body.error));
    await d.storage.setNotifyEnabled(me.account, body.data.enabled, d.now());
  } else if (req.method !== 'GET') throw new ClientError('badFrame', 'use GET, or POST { enabled }');
  const reply: NotifySettings = {
    enabled: await d.storage.notifyEnabled(me.account),
    templates: templatesOf(d.config),
    sms: d.config?.webhook !== undefined,
    consents: await d.storage.notifyConsents(me.account),
  };
  sendJson(res, 200, reply);
}

type Handler = (req: IncomingMessage, res: ServerResponse, caller: SignInSource) => void;

export function notifyRoutes(d: Deps): { route(path: string): Handler | undefined } {
  const guarded =
    (h: (req: IncomingMessage, res: ServerResponse, d: Deps, caller: SignInSource) => Promise<void>): Handler =>
    (req, res, caller) =>
      void h(req, res, d, caller).catch((e: unknown) => fail(res, req, e));
  const routes: Record<string, Handler> = { [NOTIFY_CONSENT_PATH]: guarded(consent), [NOTIFY_SETTINGS_PATH]: guarded(settings) };
  return { route: (path) => routes[path] };
}
