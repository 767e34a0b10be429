/**
 * The audit trail: append-only records of who did what (send, recall, read, file upload and access,
 * login, consultation changes, purges). Details hold ids and kinds, never message text or personal data.
 *
 * Each record carries an HMAC-SHA256, under a key kept outside the database, of its content and the
 * hash of the record before it. Whoever can write the table but not the key can neither edit a record
 * nor re-chain the log after an edit. The table also refuses UPDATE and DELETE, but a chain alone cannot
 * show that its newest records were removed: so after every commit of records a signed checkpoint (seq,
 * hash, time) of the newest goes to an append-only file outside the database, and `npm run audit:verify`
 * checks the table against every checkpoint. A change that stores a message (a send, a consultation
 * change, a prescription...) and its record are committed in one transaction (`entry`, then
 * `committed`): neither is stored without the other.
 *
 * Databases written before the key hold plain SHA-256 links. They stay valid as a prefix of the chain:
 * the first keyed record covers the last plain one's hash, and its checkpoint anchors them all.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServerConfig } from './config';
import type { Audited, AuditEntry, AuditRecord, Storage } from './storage/types';

/** The hospital API's one client (its key is ADMIN_API_KEY): the actor of its records, and whom its record export's file URLs are signed for. */
export const API_CLIENT = 'api';
/** The server's own jobs (the retention purge). */
export const SYSTEM_ACTOR = 'system';
/** Actors that are no account: no account may take their names. */
export const NON_ACCOUNT_ACTORS = [API_CLIENT, SYSTEM_ACTOR] as const;

export type AuditAction =
  | 'login'
  | 'login.link'
  | 'login.miniapp'
  | 'miniapp.bind'
  | 'miniapp.unbind'
  | 'links.issue'
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
  | 'retention.purge'
  | 'session.revoke'
  | 'notify.sent'
  | 'notify.refused'
  | 'notify.dropped'
  | 'pharmacist.create'
  | 'prescription.issue'
  | 'prescription.review'
  | 'prescription.renewRequest'
  | 'consultation.transfer'
  | 'encounter.identity'
  | 'encounter.consent'
  | 'encounter.intake'
  | 'encounter.rate'
  | 'encounter.record'
  | 'ratings.list'
  | 'quickReplies.put'
  | 'quickReplies.delete'
  | 'quickReplies.order';

export const GENESIS = '0'.repeat(64);

export type AuditKeyConfig = Pick<ServerConfig, 'auditKey' | 'auditAnchorFile'>;

interface Subkeys {
  chain: Buffer;
  checkpoint: Buffer;
}

/** Separate subkeys, so that a checkpoint's MAC can never pass for a record's hash or the other way round. */
function subkeys(auditKey: Uint8Array): Subkeys {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', auditKey, 'medchat-audit', purpose, 32));
  return { chain: derive('record chain v1'), checkpoint: derive('checkpoint v1') };
}

const contentOf = (r: Omit<AuditRecord, 'hash'>) => JSON.stringify([r.seq, r.at, r.actor, r.action, r.target, r.detail, r.prevHash]);

const keyedHashOf = (key: Buffer, r: Omit<AuditRecord, 'hash'>) => createHmac('sha256', key).update(contentOf(r)).digest('hex');

/** How records were chained before the key; accepted only at the start of the chain. */
const plainHashOf = (r: Omit<AuditRecord, 'hash'>) => createHash('sha256').update(contentOf(r)).digest('hex');

interface Checkpoint {
  seq: number;
  hash: string;
  at: number;
}

const checkpointMac = (key: Buffer, c: Checkpoint) => createHmac('sha256', key).update(JSON.stringify([c.seq, c.hash, c.at])).digest('hex');

/**
 * How long checkpoint lines may wait in the kernel before one fdatasync makes them durable: the same
 * bargain as the database (SQLite's WAL with synchronous=NORMAL does not fsync each commit either), and
 * a disk flush per audit record would cost more than the record.
 */
const SYNC_EVERY_MS = 200;

export class Audit {
  private readonly keys: Subkeys;
  private readonly anchorFile: string;
  /** The anchor file, opened for appending on the first checkpoint and kept open. */
  private fd: number | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  /** The newest stored record whose checkpoint is not written yet (`committed`); kept through failed writes. */
  private unanchored: AuditRecord | undefined;
  /** The record of the last checkpoint written: written again if its fsync fails. */
  private lastWritten: AuditRecord | undefined;
  /** A write of `unanchored` is due: in a microtask, or after a failure on `retryTimer`. */
  private writeDue = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set by a failed write or fsync; cleared by an fsync that began after the last failure with nothing left unanchored. */
  private failing = false;
  private failures = 0;
  private closed = false;
  /** The file ends in a line cut short (a full disk): the next checkpoint starts on a line of its own. */
  private torn = false;

  /** `onFailure`: told when the anchor file starts failing (a write or an fsync), not again until it recovers. */
  constructor(
    private readonly storage: Storage,
    private readonly now: () => number,
    config: AuditKeyConfig,
    private readonly onFailure: (e: unknown) => void = () => {},
  ) {
    this.keys = subkeys(config.auditKey);
    this.anchorFile = config.auditAnchorFile;
  }

  async record(actor: string, action: AuditAction, target: string, detail: Record<string, unknown> = {}): Promise<AuditRecord> {
    const rec = await this.storage.appendAudit(this.entry(actor, action, target, detail));
    this.committed(rec);
    return rec;
  }

  /**
   * The result of a write given an `entry` to store with it (Storage's `audit` parameters), once
   * stored: its record checkpointed (`committed`), the result handed on without it.
   */
  async stored<R extends object>(write: Promise<Audited<R>>): Promise<R>;
  async stored<R extends object>(write: Promise<Audited<R> | undefined>): Promise<R | undefined>;
  async stored<R extends object>(write: Promise<Audited<R> | undefined>): Promise<R | undefined> {
    const result = await write;
    if (!result) return undefined;
    const { audit, ...rest } = result;
    this.committed(audit);
    return rest as R;
  }

  /** A record to be written by the storage in the transaction of the change it records (`stored` after). */
  entry(actor: string, action: AuditAction, target: string, detail: Record<string, unknown> = {}): AuditEntry {
    return (prev) => {
      const base = {
        seq: (prev?.seq ?? 0) + 1,
        at: this.now(),
        actor,
        action,
        target,
        detail: JSON.stringify(detail),
        prevHash: prev?.hash ?? GENESIS,
      };
      return { ...base, hash: keyedHashOf(this.keys.chain, base) };
    };
  }

  /**
   * Called once a record is stored, before its caller goes on: its checkpoint.
   *
   * The checkpoint goes out in a microtask, so that records committed together (SQLite's group commit
   * resolves them in one go, and each caller gets here in the same pass over the queue) share one
   * checkpoint, for the newest: it anchors every record before it. It still reaches the kernel before
   * any of their callers can answer anyone, since their next steps are microtasks queued after it –
   * unless the anchor file fails. Then the records stay stored and their callers are answered as usual
   * (failing them would not unstore anything); the newest is tried again every SYNC_EVERY_MS, and the
   * process reports itself unready (`anchorHealthy`) until its checkpoint, which anchors them all, is
   * written and synced.
   */
  committed(rec: AuditRecord | undefined): void {
    if (!rec) return;
    if (!this.unanchored || rec.seq > this.unanchored.seq) this.unanchored = rec;
    if (this.writeDue) return;
    this.writeDue = true;
    queueMicrotask(() => this.writeAnchor());
  }

  /** False while the anchor file fails to take or keep checkpoints: /readyz turns unready. */
  anchorHealthy(): boolean {
    return !this.failing;
  }

  private fail(e: unknown): void {
    this.failures++;
    if (!this.failing) this.onFailure(e);
    this.failing = true;
  }

  private writeAnchor(): void {
    this.writeDue = false;
    const rec = this.unanchored;
    if (!rec || this.closed) return;
    try {
      this.checkpoint(rec);
    } catch (e) {
      this.fail(e);
      this.retry();
      return;
    }
    this.unanchored = undefined;
    this.lastWritten = rec;
    this.scheduleSync();
  }

  private retry(): void {
    // A descriptor that failed (EIO, a remounted volume) is opened afresh by the next try.
    try {
      if (this.fd !== undefined) closeSync(this.fd);
    } catch {
      // Dropped either way.
    }
    this.fd = undefined;
    this.writeDue = true;
    this.retryTimer = setTimeout(() => this.writeAnchor(), SYNC_EVERY_MS);
  }

  /** Makes the checkpoints written durable within SYNC_EVERY_MS; a failed fsync writes the last one again. */
  private scheduleSync(): void {
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      const { fd, failures, lastWritten } = this;
      if (fd === undefined || this.closed) return;
      fdatasync(fd, (e) => {
        if (this.closed) return;
        if (!e) {
          if (this.failures === failures && !this.unanchored) this.failing = false;
          return;
        }
        this.fail(e);
        this.unanchored ??= lastWritten;
        if (!this.writeDue) this.retry();
      });
    }, SYNC_EVERY_MS);
  }

  /** One line by one write() (O_APPEND keeps lines whole when several processes share the file); throws if it fails. */
  private checkpoint(rec: AuditRecord): void {
    const c: Checkpoint = { seq: rec.seq, hash: rec.hash, at: this.now() };
    const fd = this.anchor();
    const newline = this.torn ? '\n' : '';
    const line = `${newline}${JSON.stringify({ ...c, mac: checkpointMac(this.keys.checkpoint, c) })}\n`;
    const bytes = Buffer.byteLength(line);
    const written = writeSync(fd, line);
    if (written < bytes) {
      // What got out is an unterminated line now, unless it was only the newline that ends the last one.
      if (written > 0) this.torn = written > newline.length;
      throw new Error(`audit checkpoint cut short: ${written} of ${bytes} bytes written`);
    }
    this.torn = false;
  }

  private anchor(): number {
    if (this.fd !== undefined) return this.fd;
    const created = !existsSync(this.anchorFile);
    mkdirSync(dirname(this.anchorFile), { recursive: true });
    // Readable too, to see how the file ends; writes still go to its end (O_APPEND).
    this.fd = openSync(this.anchorFile, 'a+', 0o600);
    // A new file's name must reach the disk too, or a power cut can lose the whole file.
    if (created) {
      const dir = openSync(dirname(this.anchorFile), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    // A line cut short before (a full disk, a crash in mid-write, another process's) must not swallow the next.
    const size = fstatSync(this.fd).size;
    const last = Buffer.alloc(1);
    this.torn ||= size > 0 && readSync(this.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    return this.fd;
  }

  /** Writes the checkpoint still due, makes the checkpoints durable and closes the anchor file. */
  close(): void {
    this.writeAnchor();
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    if (this.fd === undefined) return;
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface VerifyResult {
  ok: boolean;
  /** Records verified: the whole chain when ok, else those before the break. */
  records: number;
  /** Leading records chained with plain SHA-256 by a version before the audit key. */
  legacy: number;
  /** Valid checkpoints read from the anchor files, and the newest seq they anchor (0: none). */
  checkpoints: number;
  anchoredSeq: number;
  /** The first record that does not fit the chain or its checkpoints, and why. */
  brokenAt?: { seq: number; reason: string };
  /** The first anchor line that is not a checkpoint signed with this key, or why the anchors are unusable. */
  badAnchor?: { where: string; reason: string };
}

interface AnchoredCheckpoint extends Checkpoint {
  file: string;
  line: number;
}

const whereOf = (c: AnchoredCheckpoint) => `${c.file}:${c.line}`;

const HEX64 = /^[0-9a-f]{64}$/;

function parseCheckpoint(line: string, key: Buffer): Checkpoint | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not a checkpoint (unreadable line)';
  }
  const c = v as Partial<Checkpoint & { mac: string }>;
  if (!Number.isInteger(c.seq) || (c.seq as number) < 1 || typeof c.hash !== 'string' || !HEX64.test(c.hash) || typeof c.at !== 'number' || typeof c.mac !== 'string') {
    return 'not a checkpoint (fields missing or malformed)';
  }
  const cp = { seq: c.seq as number, hash: c.hash, at: c.at };
  if (checkpointMac(key, cp) !== c.mac) return 'signature does not match (forged or edited checkpoint)';
  return cp;
}

async function readCheckpoints(files: string[], key: Buffer): Promise<{ bySeq: Map<number, AnchoredCheckpoint[]>; count: number; bad?: VerifyResult['badAnchor'] }> {
  const bySeq = new Map<number, AnchoredCheckpoint[]>();
  let count = 0;
  let badCount = 0;
  let bad: VerifyResult['badAnchor'];
  for (const file of files) {
    if (!existsSync(file)) continue;
    let lineNo = 0;
    for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
      lineNo++;
      const parsed = parseCheckpoint(line, key);
      if (typeof parsed === 'string') {
        badCount++;
        bad ??= { where: `${file}:${lineNo}`, reason: parsed };
        continue;
      }
      count++;
      const at = bySeq.get(parsed.seq) ?? [];
      // Kept per record of the chain: the file name is shared, not copied into each.
      at.push({ ...parsed, file, line: lineNo });
      bySeq.set(parsed.seq, at);
    }
  }
  if (count === 0 && badCount > 0) {
    bad = { where: files.join(', '), reason: `none of ${badCount} anchor lines is signed with this key (wrong AUDIT_KEY?)` };
  }
  return { bySeq, count, bad };
}

const when = (at: number) => new Date(at).toISOString();

/**
 * Walks the whole chain (every hash recomputed, every link and seq in place, plain SHA-256 accepted only
 * before the first keyed record) and holds it against every checkpoint in `anchorFiles` (all of them
 * when several server processes keep their own): a checkpoint beyond the table's end means its tail was
 * removed, one that differs from the record at its seq means the log was rewritten from there.
 */
export async function verifyAudit(storage: Storage, auditKey: Uint8Array, anchorFiles: string[], pageSize = 1000): Promise<VerifyResult> {
  const keys = subkeys(auditKey);
  const anchors = await readCheckpoints(anchorFiles, keys.checkpoint);
  let anchoredSeq = 0;
  for (const seq of anchors.bySeq.keys()) anchoredSeq = Math.max(anchoredSeq, seq);

  let prevHash = GENESIS;
  let expectedSeq = 1;
  let count = 0;
  let legacy = 0;
  let keyed = 0;
  const result = (brokenAt?: VerifyResult['brokenAt']): VerifyResult => {
    const badAnchor =
      anchors.bad ??
      // Without a checkpoint nothing can tell a rewritten log (re-chained as plain SHA-256 throughout)
      // from one that was never keyed: a log with records and no anchor is not verified.
      (count > 0 && anchors.count === 0
        ? { where: anchorFiles.join(', ') || '(none given)', reason: 'records but no checkpoint: the log cannot be checked (anchor file missing or not given?)' }
        : undefined);
    return {
      ok: !brokenAt && !badAnchor,
      records: count,
      legacy,
      checkpoints: anchors.count,
      anchoredSeq,
      ...(brokenAt ? { brokenAt } : {}),
      ...(badAnchor ? { badAnchor } : {}),
    };
  };

  for (;;) {
    const page = await storage.auditRecords(expectedSeq - 1, pageSize);
    for (const r of page) {
      if (r.seq !== expectedSeq) return result({ seq: expectedSeq, reason: `record ${expectedSeq} is missing` });
      if (r.prevHash !== prevHash) return result({ seq: r.seq, reason: 'does not link to the record before it' });
      if (keyedHashOf(keys.chain, r) === r.hash) keyed++;
      else if (plainHashOf(r) !== r.hash) return result({ seq: r.seq, reason: 'content does not match its hash (edited)' });
      else if (keyed > 0) return result({ seq: r.seq, reason: 'plain SHA-256 hash after keyed records: the log was re-chained without the key' });
      else legacy++;
      const differing = anchors.bySeq.get(r.seq)?.find((c) => c.hash !== r.hash);
      if (differing) {
        return result({
          seq: r.seq,
          reason: `differs from the checkpoint of ${when(differing.at)} (${whereOf(differing)}): the log was rewritten from here (re-chained, or truncated and appended to again)`,
        });
      }
      prevHash = r.hash;
      expectedSeq++;
      count++;
    }
    if (page.length < pageSize) break;
  }
  if (anchoredSeq >= expectedSeq) {
    const newest = (anchors.bySeq.get(anchoredSeq) as AnchoredCheckpoint[])[0];
    return result({
      seq: expectedSeq,
      reason: `record ${expectedSeq} is missing: the table ends at record ${expectedSeq - 1} but ${whereOf(newest)} anchored record ${anchoredSeq} at ${when(newest.at)} (its tail was removed)`,
    });
  }
  return result();
}
