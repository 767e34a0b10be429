/**
 * The audit trail: append-only records of who did what (send, recall, read, file upload and access,
 * login, consultation changes, purges), each carrying the SHA-256 of the one before, so that editing
 * or removing any record breaks the chain (`npm run audit:verify`). The table also refuses UPDATE and
 * DELETE. Details hold ids and kinds, never message text or personal data.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord, Storage } from './storage/types';

export type AuditAction =
  | 'login'
  | 'login.link'
  | 'nim.token'
  | 'message.send'
  | 'message.recall'
  | 'message.forward'
  | 'message.read'
  | 'file.upload'
  | 'file.read'
  | 'consultation.create'
  | 'consultation.accept'
  | 'consultation.close'
  | 'consultation.cancel'
  | 'retention.purge';

export const GENESIS = '0'.repeat(64);

export function hashOf(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256')
    .update(JSON.stringify([r.seq, r.at, r.actor, r.action, r.target, r.detail, r.prevHash]))
    .digest('hex');
}

export class Audit {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  async record(actor: string, action: AuditAction, target: string, detail: Record<string, unknown> = {}): Promise<AuditRecord> {
    return this.storage.appendAudit((prev) => {
      const base = {
        seq: (prev?.seq ?? 0) + 1,
        at: this.now(),
        actor,
        action,
        target,
        detail: JSON.stringify(detail),
        prevHash: prev?.hash ?? GENESIS,
      };
      return { ...base, hash: hashOf(base) };
    });
  }
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  /** The first record that does not fit the chain, and why. */
  brokenAt?: { seq: number; reason: string };
}

/** Walks the whole chain: every hash recomputed, every link and every seq in place. */
export async function verifyAudit(storage: Storage, pageSize = 1000): Promise<VerifyResult> {
  let prevHash = GENESIS;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const page = await storage.auditRecords(expectedSeq - 1, pageSize);
    for (const r of page) {
      if (r.seq !== expectedSeq) return { ok: false, records: count, brokenAt: { seq: expectedSeq, reason: `record ${expectedSeq} is missing` } };
      if (r.prevHash !== prevHash) return { ok: false, records: count, brokenAt: { seq: r.seq, reason: 'does not link to the record before it' } };
      if (hashOf(r) !== r.hash) return { ok: false, records: count, brokenAt: { seq: r.seq, reason: 'content does not match its hash (edited)' } };
      prevHash = r.hash;
      expectedSeq++;
      count++;
    }
    if (page.length < pageSize) return { ok: true, records: count };
  }
}
