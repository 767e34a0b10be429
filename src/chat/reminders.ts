/**
 * Reminders for people who have left the chat (issue 16), client side: the server's settings, the
 * platform's consent asked on a tap and reported to the server, and reminders on/off. Asking never
 * holds anything up: a refusal or a failure only leaves reminders off.
 */
import type { NotifyConsentReply, NotifySettings } from '../../types/protocol';
import { NOTIFY_CONSENT_PATH, NOTIFY_SETTINGS_PATH } from '../../types/protocol';
import { PLATFORM } from '../platform/env';
import { getJson, postJson } from '../platform/http';
import { serverBaseUrl } from '../platform/server';
import { requestConsent } from '../platform/subscribe';
import { savedToken } from './token';

const OFFLINE = '网络连接失败，请检查网络后重试';

const opts = () => ({ bearer: savedToken(), offlineText: OFFLINE });

export const loadReminders = (): Promise<NotifySettings> => getJson<NotifySettings>(`${serverBaseUrl()}${NOTIFY_SETTINGS_PATH}`, opts());

export const setRemindersEnabled = (enabled: boolean): Promise<NotifySettings> =>
  postJson<NotifySettings>(`${serverBaseUrl()}${NOTIFY_SETTINGS_PATH}`, { enabled }, opts());

/** On: switched on, and some way to reach this person (a notice left to send, or SMS). */
export const remindersOn = (s: NotifySettings): boolean => s.enabled && (s.sms || s.consents.some((c) => c.remaining > 0));

/** This platform's templates (all of them, or only those with no notice left to send). */
export function templatesOf(s: NotifySettings, onlyUsedUp = false): string[] {
  if (PLATFORM === 'h5') return [];
  const left = (t: string) => s.consents.find((c) => c.platform === PLATFORM && c.template === t)?.remaining ?? 0;
  return (s.templates[PLATFORM] ?? []).filter((t) => !onlyUsedUp || left(t) === 0);
}

/**
 * Asks consent for `templateIds` and reports the answers. MUST be called in the tap handler before
 * any await (the prompt needs the tap); the promise settles after the server has the answers, with
 * undefined when there was nothing to ask or the prompt failed.
 */
export function askConsent(templateIds: string[]): Promise<NotifyConsentReply | undefined> {
  if (PLATFORM === 'h5' || !templateIds.length) return Promise.resolve(undefined);
  return requestConsent(templateIds)
    .then((results) => postJson<NotifyConsentReply>(`${serverBaseUrl()}${NOTIFY_CONSENT_PATH}`, { platform: PLATFORM, results }, opts()))
    .catch(() => undefined);
}
