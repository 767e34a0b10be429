/**
 * Notifications to people who have left the chat (issue 16): when they fall due, how often, and the
 * channels, each off unless configured. See docs-draft/notify.md.
 */

/** What a template field is filled with; none of them is message content. */
export const NOTICE_FIELDS = ['title', 'doctor', 'department', 'time', 'hint'] as const;
export type NoticeField = (typeof NOTICE_FIELDS)[number];

/** One platform template: its id and which of our values goes into which of its keys. */
export interface TemplateConfig {
  templateId: string;
  /** [template key (e.g. thing1), value]. */
  fields: Array<[string, NoticeField]>;
}

export interface NotifyConfig {
  /** A row falls due this long after its first event, so that a burst of replies is one notice. */
  collapseSec: number;
  /** At most one notice per person and consultation in this interval (NOTIFY_MIN_INTERVAL_SEC). */
  minIntervalSec: number;
  /** How often the worker looks for due rows (ms). */
  pollMs: number;
  /** A claim is this process's for so long; a crashed claimer's rows are taken again after it. */
  leaseSec: number;
  /** Transient failures are retried this often, at most, with exponential backoff from retrySec. */
  maxAttempts: number;
  retrySec: number;
  /** Presence heartbeat between processes (Redis); an entry lives three beats. */
  presenceSec: number;
  /** How long the fresh one-time link in an SMS works. */
  linkTtlSec: number;
  /** The hospital's SMS gateway: an HMAC-signed webhook. */
  webhook?: { url: string; secret: string };
  /** Subscription messages; the platform's credentials are its sign-in ones (WECHAT_APPID, …). */
  weapp?: TemplateConfig & { state: 'formal' | 'trial' | 'developer' };
  alipay?: TemplateConfig;
  tt?: TemplateConfig;
}

type Env = Record<string, string | undefined>;

const DEFAULT_FIELDS = 'thing1:title,name2:doctor,thing3:department,time4:time';

function fieldsFrom(value: string, name: string): Array<[string, NoticeField]> {
  return value.split(',').map((pair) => {
    const [key, field] = pair.split(':').map((s) => s.trim());
    // WeChat and Alipay key their data thing1, keyword1 …; Douyin by the template's keyword titles (就诊人).
    if (!key || !/^[\p{L}\p{N}_]{1,32}$/u.test(key) || !(NOTICE_FIELDS as readonly string[]).includes(field)) {
      throw new Error(`${name} must be key:value pairs like "${DEFAULT_FIELDS}" (values: ${NOTICE_FIELDS.join(', ')}), got "${pair}"`);
    }
    return [key, field as NoticeField];
  });
}

function template(env: Env, prefix: string, credentials: string): TemplateConfig | undefined {
  const id = env[`NOTIFY_${prefix}_TEMPLATE_ID`];
  if (!id) return undefined;
  if (!env[credentials]) throw new Error(`NOTIFY_${prefix}_TEMPLATE_ID needs the platform's sign-in credentials (${credentials} …)`);
  return { templateId: id, fields: fieldsFrom(env[`NOTIFY_${prefix}_FIELDS`] || DEFAULT_FIELDS, `NOTIFY_${prefix}_FIELDS`) };
}

function int(env: Env, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** The notification settings, or none when no channel is configured (then no outbox rows are written). */
export function notifyFromEnv(env: Env): { notify?: NotifyConfig } {
  const problems: string[] = [];
  const ok = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  };
  let webhook: NotifyConfig['webhook'];
  if (env.NOTIFY_WEBHOOK_URL || env.NOTIFY_WEBHOOK_SECRET) {
    if (!env.NOTIFY_WEBHOOK_URL || !/^https?:\/\//.test(env.NOTIFY_WEBHOOK_URL)) problems.push('NOTIFY_WEBHOOK_URL must be the https:// address of the hospital SMS gateway');
    if (!env.NOTIFY_WEBHOOK_SECRET || env.NOTIFY_WEBHOOK_SECRET.length < 32) problems.push('NOTIFY_WEBHOOK_SECRET must be at least 32 characters (the HMAC key shared with the SMS gateway)');
    else if (env.NOTIFY_WEBHOOK_URL) webhook = { url: env.NOTIFY_WEBHOOK_URL, secret: env.NOTIFY_WEBHOOK_SECRET };
  }
  const state = env.NOTIFY_WECHAT_STATE || 'formal';
  if (!['formal', 'trial', 'developer'].includes(state)) problems.push(`NOTIFY_WECHAT_STATE must be formal, trial or developer, got "${state}"`);
  const weapp = ok(() => template(env, 'WECHAT', 'WECHAT_APPID'));
  const alipay = ok(() => template(env, 'ALIPAY', 'ALIPAY_APPID'));
  const tt = ok(() => template(env, 'TT', 'TT_APPID'));
  const numbers = ok(() => ({
    collapseSec: int(env, 'NOTIFY_COLLAPSE_SEC', 60),
    minIntervalSec: int(env, 'NOTIFY_MIN_INTERVAL_SEC', 600),
    pollMs: Math.max(50, int(env, 'NOTIFY_POLL_MS', 1000)),
    leaseSec: Math.max(1, int(env, 'NOTIFY_LEASE_SEC', 60)),
    maxAttempts: Math.max(1, int(env, 'NOTIFY_MAX_ATTEMPTS', 8)),
    retrySec: Math.max(1, int(env, 'NOTIFY_RETRY_SEC', 30)),
    presenceSec: Math.max(1, int(env, 'NOTIFY_PRESENCE_SEC', 10)),
    linkTtlSec: Math.max(60, int(env, 'NOTIFY_LINK_TTL_SEC', 24 * 3600)),
  }));
  if (problems.length) throw new Error(problems.join('; '));
  if (!webhook && !weapp && !alipay && !tt) return {};
  return {
    notify: {
      ...(numbers as NonNullable<typeof numbers>),
      ...(webhook ? { webhook } : {}),
      ...(weapp ? { weapp: { ...weapp, state: state as 'formal' } } : {}),
      ...(alipay ? { alipay } : {}),
      ...(tt ? { tt } : {}),
    },
  };
}
