/**
 * Encryption at rest: AES-256-GCM with a key id in every record, so keys can rotate (new records use
 * the active key; old ones stay readable while their key is configured). Message bodies and
 * attachments in the database, uploaded files and thumbnails on disk all go through here.
 */
import { LRUCache } from 'lru-cache';
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs are cut from a pool of this many: one call into the CSPRNG per pool, not per sealed value. */
const IV_POOL = 1024;
/** What every sealed column value starts with (`enc1:`), so that legacy plaintext can be told apart. */
export const PREFIX = 'enc1';
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

export interface DataKeys {
  /** Key id → 32-byte key. */
  keys: Map<string, Buffer>;
  /** The id new records are written with. */
  active: string;
}

/**
 * `DATA_KEYS` = "id:base64key,id2:base64key2", `DATA_KEY_ID` = the active id (default: the last).
 * Without them a random key is kept beside the database (0600), like the JWT secret: encrypted in
 * development too, and never the same key in two installs.
 */
/**
 * A random 32-byte secret kept in `file` (0600), written in `encoding` on first use: the same secret
 * across restarts of one data directory, never the same in two installs.
 */
export function localSecret(file: string, encoding: 'hex' | 'base64'): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString(encoding), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

export function dataKeysFrom(env: { DATA_KEYS?: string; DATA_KEY_ID?: string }, dbPath: string): DataKeys {
  const keys = new Map<string, Buffer>();
  if (env.DATA_KEYS) {
    for (const entry of env.DATA_KEYS.split(',').map((e) => e.trim()).filter(Boolean)) {
      const [id, b64] = entry.split(':');
      const key = Buffer.from(b64 ?? '', 'base64');
      if (!KEY_ID.test(id ?? '') || key.length !== 32) {
        throw new Error('DATA_KEYS must be "id:base64-of-32-bytes[,id:…]" (id: 1–16 letters, digits, _ or -)');
      }
      keys.set(id, key);
    }
    const active = env.DATA_KEY_ID ?? [...keys.keys()].pop() ?? '';
    if (!keys.has(active)) throw new Error(`DATA_KEY_ID "${active}" is not among DATA_KEYS`);
    return { keys, active };
  }
  if (dbPath === ':memory:') return { keys: new Map([['mem', randomBytes(32)]]), active: 'mem' };
  const key = Buffer.from(localSecret(`${dbPath}.data-key`, 'base64'), 'base64');
  return { keys: new Map([['local', key]]), active: 'local' };
}

export class Cipher {
  constructor(private readonly dataKeys: DataKeys) {}

  /** Key objects made once: a raw key given to createCipheriv is imported again on every call. */
  private readonly keyObjects = new Map<string, KeyObject>();
  private ivPool = Buffer.alloc(0);
  private ivAt = 0;

  private key(id: string): KeyObject {
    let k = this.keyObjects.get(id);
    if (k) return k;
    const key = this.dataKeys.keys.get(id);
    if (!key) throw new Error(`data key "${id}" is not configured (DATA_KEYS)`);
    this.keyObjects.set(id, (k = createSecretKey(key)));
    return k;
  }

  /** A fresh random IV: a pool is used up and replaced, never refilled, so no IV is handed out twice. */
  private iv(): Buffer {
    if (this.ivAt === this.ivPool.length) {
      this.ivPool = randomBytes(IV_BYTES * IV_POOL);
      this.ivAt = 0;
    }
    return this.ivPool.subarray(this.ivAt, (this.ivAt += IV_BYTES));
  }

  /** `enc1:<key id>:<iv|tag|ciphertext, base64>`. */
  seal(plain: string): string {
    const iv = this.iv();
    const c = createCipheriv('aes-256-gcm', this.key(this.dataKeys.active), iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `${PREFIX}:${this.dataKeys.active}:${Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64')}`;
  }

  /**
   * Names are read on every send and every sessions list: each sealed value is opened once per
   * process. A person's name is also sealed once per process (its ciphertext repeating says no more
   * than the account id beside it); titles and file names are sealed afresh every time, or equal
   * ones ("…检测报告.pdf") would group patients. Message bodies are never kept.
   */
  private readonly names = { opened: new LRUCache<string, string>({ max: 10_000 }), sealed: new LRUCache<string, string>({ max: 10_000 }) };

  /** A person's name (accounts, a message's sender nick). */
  sealName(plain: string): string {
    let sealed = this.names.sealed.get(plain);
    if (sealed === undefined) this.names.sealed.set(plain, (sealed = this.seal(plain)));
    return sealed;
  }

  /** A name sealed by this version, or plaintext a version before it stored (read as it is). */
  openName(value: string): string {
    if (!Cipher.isSealed(value)) return value;
    let plain = this.names.opened.get(value);
    if (plain === undefined) this.names.opened.set(value, (plain = this.open(value)));
    return plain;
  }

  /**
   * Sealed by this version, or plaintext that a process of the version before stored (during a rolling
   * restart the old process still writes plaintext after the new one sealed what was there).
   */
  openStored(value: string): string {
    return Cipher.isSealed(value) ? this.open(value) : value;
  }

  static isSealed(value: string): boolean {
    return value.startsWith(`${PREFIX}:`);
  }

  open(sealed: string): string {
    const [prefix, id, b64] = sealed.split(':');
    if (prefix !== PREFIX || !id || b64 === undefined) throw new Error('not an encrypted record');
    const raw = Buffer.from(b64, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key(id), raw.subarray(0, IV_BYTES));
    d.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([d.update(raw.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8');
  }

  /**
   * File layout: `<key id length><key id><iv>` then the ciphertext, then the tag. A stream, so large
   * videos never sit in memory whole.
   */
  encryptStream(): Transform {
    const id = this.dataKeys.active;
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key(id), iv);
    let headerSent = false;
    return new Transform({
      transform(chunk: Buffer, _enc, done: TransformCallback) {
        if (!headerSent) {
          this.push(Buffer.concat([Buffer.from([id.length]), Buffer.from(id), iv]));
          headerSent = true;
        }
        done(null, c.update(chunk));
      },
      flush(done: TransformCallback) {
        if (!headerSent) this.push(Buffer.concat([Buffer.from([id.length]), Buffer.from(id), iv]));
        this.push(c.final());
        done(null, c.getAuthTag());
      },
    });
  }

  /** Header size of an encrypted file whose first byte is `idLength`. */
  static headerBytes(idLength: number): number {
    return 1 + idLength + IV_BYTES;
  }

  static readonly TAG_BYTES = TAG_BYTES;

  /** A decipher for a file whose header and tag were read first. */
  decipherFor(header: Buffer, tag: Buffer) {
    const idLength = header[0];
    const id = header.subarray(1, 1 + idLength).toString();
    const d = createDecipheriv('aes-256-gcm', this.key(id), header.subarray(1 + idLength, 1 + idLength + IV_BYTES));
    d.setAuthTag(tag);
    return d;
  }
}
