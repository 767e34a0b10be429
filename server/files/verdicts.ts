/**
 * Whether a signed URL's grant still opens its file (ChatService.mayOpenFile) costs 3 to 5 queries,
 * and a video plays as dozens of range requests of one URL, a page reloads its images: a 'yes' is
 * kept for a short while per (grant, file), so that each of those is one check.
 */
import { LRUCache } from 'lru-cache';
import type { Storage, StoredMessage } from '../storage/types';
import type { FileGrant } from './sign';

/**
 * How long a 'yes' is believed. A recall or a transfer forgets every verdict at once: made here,
 * through the storage (grantEndingWrites); made by another server process, through its notice on the
 * bus (endsGrants). Pub/sub is fire-and-forget, so a notice this process missed (Redis away for a
 * moment) is seen only when the verdict expires: this bounds how long a recalled photo, or a chat a
 * transfer closed, still opens here. 15 s, while the burst of range requests that starts a video and
 * the seeks of someone watching it fall within it.
 */
export const VERDICT_TTL_MS = 15_000;

export type OpenCheck = (grant: FileGrant, fileId: string) => Promise<boolean>;

export class FileVerdicts {
  /**
   * Verdicts by grant and file, as promises: range requests that arrive together while the first is
   * still being checked wait for that one check. Only a 'yes' stays once settled.
   */
  private readonly verdicts: LRUCache<string, Promise<boolean>>;

  constructor(now: () => number) {
    // The server's clock (tests move it); read on every look-up, not cached per millisecond.
    this.verdicts = new LRUCache({ max: 10_000, ttl: VERDICT_TTL_MS, ttlResolution: 0, perf: { now } });
  }

  /** `check`'s verdict on `grant` opening `fileId`, or a 'yes' it gave less than VERDICT_TTL_MS ago. */
  mayOpen(grant: FileGrant, fileId: string, check: OpenCheck): Promise<boolean> {
    const key = `${grant.convId}\n${grant.seq}\n${grant.viewer}\n${fileId}`;
    const known = this.verdicts.get(key);
    if (known) return known;
    const verdict = check(grant, fileId);
    this.verdicts.set(key, verdict);
    // A refusal (or a failed check) is asked again next time: it must not outlast what caused it.
    // Unless forgetAll came in between and another check took the place.
    const drop = () => {
      if (this.verdicts.peek(key) === verdict) this.verdicts.delete(key);
    };
    verdict.then((ok) => ok || drop(), drop);
    return verdict;
  }

  /**
   * After a write that may end grants. Everything, not the grants it touched: a transfer ends the
   * private chat of two people under another conversation id, and such writes are rare next to reads
   * (each costs one check per file being watched). A check in flight is dropped too, so nobody asking
   * after the write gets its answer from before.
   */
  forgetAll(): void {
    this.verdicts.clear();
  }
}

/**
 * The storage writes after which a signed URL may no longer open its file: a recall (the message), a
 * transfer (the private chat of the patient and the doctor it left, and whatever that doctor may read).
 * Closing a consultation keeps its chats readable; the retention purge removes the files as well.
 */
const ENDS_GRANTS = ['recall', 'transferConsultation'] as const satisfies ReadonlyArray<keyof Storage>;

/** `storage` forgetting `verdicts` after each write that may end a grant, once the write succeeded. */
export function grantEndingWrites(storage: Storage, verdicts: FileVerdicts): Storage {
  const ends = new Set<string | symbol>(ENDS_GRANTS);
  return new Proxy(storage, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (!ends.has(prop) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        verdicts.forgetAll();
        return result;
      };
    },
  });
}

/** Whether `m` is the notice of a write that may end grants (a recall, a transfer), as another process publishes it. */
export const endsGrants = (m: StoredMessage): boolean =>
  m.type === 'notification' && (m.attach?.recall !== undefined || m.attach?.transfer !== undefined);
