/**
 * Retention: chat messages and files are kept for RETENTION_CHAT_DAYS (at least 3 years), medical
 * records (cards: prescriptions, lab requests, follow-ups, summaries) for RETENTION_MEDICAL_DAYS (at
 * least 15). The purge removes only what is older than that, and records itself in the audit trail.
 * Uploads that no message refers to are not records of anything: they go after a few hours.
 */
import { type Audit, SYSTEM_ACTOR } from './audit';
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
  for (const id of fileIds) await deps.files.remove(id);
  await deps.audit.record(SYSTEM_ACTOR, 'retention.purge', 'storage', { messages, files: fileIds.length, ...cutoffs });
  return { messages, files: fileIds.length };
}

/**
 * Removes uploads created more than `orphanUploadHours` ago that no message refers to (uploaded and
 * never sent), and temp files left by a crash. A send racing the sweep either marks the file referred
 * to first, or fails as if the file were never uploaded: storage decides in one transaction.
 */
export async function sweepOrphanUploads(
  deps: { storage: Storage; files: FileService; audit: Audit },
  orphanUploadHours: number,
  now: number,
): Promise<number> {
  const before = now - orphanUploadHours * 3_600_000;
  const ids = await deps.storage.removeOrphanFiles(before);
  // The quota looks back a day at most.
  await deps.storage.forgetUploadsBefore(now - 24 * 3_600_000);
  for (const id of ids) await deps.files.remove(id);
  const temp = deps.files.sweepTemp();
  // Counts only: which uploads were never sent is nobody's business.
  if (ids.length || temp) await deps.audit.record(SYSTEM_ACTOR, 'retention.purge', 'uploads', { orphanUploads: ids.length, tempFiles: temp, before });
  return ids.length;
}
