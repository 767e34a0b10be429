/**
 * A database made by the release before this storage layer (tests/fixtures/legacy: a SQLite dump and a
 * pg_dump of what that release wrote: a consultation with text, a file, a card, a recall, a p2p
 * message, read cursors, audit records) opens under the current schema with every message intact,
 * names sealed in place, and takes new messages after its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cipher, dataKeysFrom } from '../../server/crypto';
import type { Storage } from '../../server/storage/types';
import { p2pConvId, teamConvId } from '../../server/storage/types';

/** The data key the fixtures were written with. */
export const LEGACY_CIPHER = new Cipher(dataKeysFrom({ DATA_KEYS: `legacy:${Buffer.alloc(32, 5).toString('base64')}` }, ':memory:'));

export const legacyDump = (db: 'sqlite' | 'postgres'): string => readFileSync(join(__dirname, '../fixtures/legacy', `main-${db}.sql`), 'utf8');

/** Everything the legacy database held, read through the current storage, and one new append. */
export async function expectUpgraded(storage: Storage, rawNames: () => Promise<string[]>): Promise<void> {
  const team = await storage.after(teamConvId('legacy1'), 0, 100);
  expect(team.map((m) => [m.seq, m.idClient, m.type])).toEqual([
    [1, 'legacy-msg-1', 'text'],
    [2, 'legacy-msg-2', 'text'],
    [3, 'legacy-msg-3', 'file'],
    [4, 'legacy-msg-4', 'custom'],
    [5, 'legacy-msg-5', 'text'],
    [6, 'recall:legacy-msg-5', 'notification'],
  ]);
  expect(team[0]).toMatchObject({ body: '医生您好，最近心慌', fromNick: '郑女士' });
  expect(team[2].attach).toMatchObject({ fileId: '0b6f6d1c-5a1e-4c38-9a59-1c5a2f0f9e11', name: '病理报告.pdf' });
  expect(team[3].attach).toMatchObject({ card: 'summary', diagnosis: '窦性心动过速' });
  expect(team[4].recalledAt).toEqual(expect.any(Number));
  expect((await storage.after(p2pConvId('pat-legacy', 'doc-legacy'), 0, 10)).map((m) => m.body)).toEqual(['私信一条']);
  expect(await storage.getAccount('pat-legacy')).toEqual({ account: 'pat-legacy', name: '郑女士', role: 'patient' });
  expect(await storage.consultation('legacy1')).toMatchObject({ teamName: '甲状腺复诊', patientMessages: 3, maxPatientMessages: 20 });
  expect(await storage.getFile('0b6f6d1c-5a1e-4c38-9a59-1c5a2f0f9e11')).toMatchObject({ name: '病理报告.pdf', size: 1234 });
  expect((await storage.conversationsOf('doc-legacy')).find((c) => c.teamId === 'legacy1')).toMatchObject({ readSeq: 3, lastSeq: 6 });
  expect((await storage.auditRecords(0, 10)).map((r) => r.action)).toEqual(['login', 'message.send']);
  expect(await storage.useLink('legacy-jti', 1)).toBe(false);
  // Files of the old release count as referenced: the orphan sweep never takes them.
  expect(await storage.removeOrphanFiles(Date.now())).toEqual([]);
  // Names are sealed in the database now.
  for (const name of await rawNames()) expect(name).toMatch(/^enc1:/);
  const conv = { id: teamConvId('legacy1'), scene: 'team' as const, teamId: 'legacy1' };
  const first = { conv, idClient: 'after-upgrade-1', from: 'pat-legacy', scene: 'team' as const, to: 'legacy1', type: 'text' as const, body: '升级后第一条', members: [] };
  // No consent was recorded before: the patient is asked for it before their next message.
  await expect(storage.appendMessage(first)).rejects.toMatchObject({ code: 'consentRequired' });
  const notice = { ...first, idClient: 'consent:legacy1', type: 'notification' as const, body: '患者已同意知情同意书' };
  expect(await storage.giveConsent('legacy1', { version: 'v1', acceptedAt: 5, by: 'patient' }, notice)).toBeDefined();
  const next = await storage.appendMessage(first);
  expect(next.stored.seq).toBe(8);
}
