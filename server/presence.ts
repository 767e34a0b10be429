/**
 * The doctor's presence as their patients see it (医生在线 / 最近在线): whether the doctor has a live
 * connection on any server process, else when their last one closed. Shown only to the patient of a
 * consultation with that doctor, never when the doctor hides it, and nobody else's presence is shown.
 */
import type { PresenceInfo, SessionSummary } from '../types/message';
import { sessionIdOf } from '../types/message';
import { PROTOCOL_VERSION } from '../types/protocol';
import type { AccountPush } from './bus';
import type { Presence } from './notify/presence';
import type { Storage } from './storage/types';

/** Redis presence heartbeat when the notification settings name none (NOTIFY_PRESENCE_SEC). */
export const DEFAULT_PRESENCE_SEC = 10;

/** The doctor's presence for their patients; undefined when the doctor hides it. */
export async function doctorPresence(storage: Storage, live: Presence, doctor: string): Promise<PresenceInfo | undefined> {
  const stored = await storage.presenceOf(doctor);
  if (!stored.visible) return undefined;
  const online = await live.isOnline(doctor);
  return { account: doctor, online, ...(!online && stored.lastSeen !== undefined ? { lastSeen: stored.lastSeen } : {}) };
}

/** `sessions` of `viewer` with the doctor's presence on each consultation where the viewer is its patient. */
export async function withPresence(storage: Storage, live: Presence, viewer: string, sessions: SessionSummary[]): Promise<SessionSummary[]> {
  const doctors = new Map<string, Promise<PresenceInfo | undefined>>();
  return Promise.all(
    sessions.map(async (s) => {
      const c = s.consultation;
      if (!c || c.patient !== viewer) return s;
      let info = doctors.get(c.doctor);
      if (!info) doctors.set(c.doctor, (info = doctorPresence(storage, live, c.doctor)));
      const presence = await info;
      return presence ? { ...s, presence } : s;
    }),
  );
}

/** A presence frame for the patient of each of the doctor's consultations. */
export async function presencePushes(storage: Storage, doctor: string, presence: PresenceInfo): Promise<AccountPush[]> {
  const pushes: AccountPush[] = [];
  for (const conv of await storage.conversationsOf(doctor)) {
    const c = conv.consultation;
    if (!c || c.doctor !== doctor) continue;
    pushes.push({ account: c.patient, frame: { v: PROTOCOL_VERSION, type: 'presence', sessionId: sessionIdOf('team', c.id), presence } });
  }
  return pushes;
}
