/**
 * Retention: chat messages and files are kept for RETENTION_CHAT_DAYS (at least 3 years), medical
 * records (cards: prescriptions, lab requests, follow-ups, summaries) for RETENTION_MEDICAL_DAYS (at
 * least 15). The purge removes only what is older than that, and records itself in the audit trail.
 */
import { unlink } from 'node:fs/promises';
import type { Audit } from './audit';
import type { FileService } from './files/service';
import type { Storage } from './storage/types';

const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  retentionChatDays: number;
  retentionMedicalDays: number;
}

export async function purgeExpired(
  deps: { storage: Storage; files: FileService; audit: Audit },
  policy: RetentionPolicy,
  now: number,
): Promise<{ messages: number; files: number }> {
  const cutoffs = { chatBefore: now - policy.retentionChatDays * DAY_MS, medicalBefore: now - policy.retentionMedicalDays * DAY_MS };
  const { messages, fileIds } = await deps.storage.purge(cutoffs);
  for (const id of fileIds) {
    for (const variant of ['orig', 'thumb'] as const) await unlink(deps.files.pathOf(id, variant)).catch(() => undefined);
  }
  await deps.audit.record('system', 'retention.purge', 'storage', { messages, files: fileIds.length, ...cutoffs });
  return { messages, files: fileIds.length };
}
