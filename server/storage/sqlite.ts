/**
 * SQLite storage (the default: one file, one server process). better-sqlite3 is synchronous, so each
 * transaction runs without interleaving inside this process: that is what makes seq gap-free and send
 * idempotent without extra locking. The queries are SqlStorage's; this adapter runs them and keeps
 * its own transaction control (group commit).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Cipher } from '../crypto';
import { base, MIGRATIONS, SQLITE } from './schema';
import { type Op, runSync, type Statement } from './sql';
import { SqlStorage } from './sql-storage';
import type { Appended, AuditFor, NewMessage, StoredMessage } from './types';

export class SqliteStorage extends SqlStorage {
  private readonly db: Database.Database;
  private readonly prepared = new Map<string, Database.Statement>();
  private readonly writeTx: <T>(op: Op<T>) => T;
  private batch: Array<{ work: () => unknown; resolve: (r: never) => void; reject: (e: unknown) => void }> = [];

  /** `readonly`: to inspect a database as it is (audit:verify), neither migrated nor written. */
  constructor(path: string, cipher: Cipher, opts: { readonly?: boolean; now?: () => number } = {}) {
    super(cipher, opts.now);
    if (opts.readonly) {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
    } else {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    }
    this.writeTx = this.db.transaction((op) => this.sync(op)) as <T>(op: Op<T>) => T;
  }

  /** Prepared once per statement text. */
  private statement(sql: string): Database.Statement {
    let s = this.prepared.get(sql);
    if (!s) this.prepared.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private readonly exec = (s: Statement): unknown => {
    if (s.kind === 'lock') return undefined;
    const st = this.statement(s.sql);
    if (s.kind === 'all') return st.all(...s.params);
    if (s.kind === 'one') return st.get(...s.params);
    return { changes: st.run(...s.params).changes };
  };

  private sync<T>(op: Op<T>): T {
    return runSync(op, this.exec);
  }

  protected async read<T>(op: Op<T>): Promise<T> {
    return this.sync(op);
  }

  protected write<T>(op: Op<T>): Promise<T> {
    return this.grouped(() => this.writeTx(op), queueMicrotask);
  }

  /** The base tables, then each migration not yet applied, each in its own transaction. */
  private migrate(): void {
    this.db.exec(base(SQLITE));
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      const step = MIGRATIONS[v];
      const rebuild = typeof step === 'object' && 'rebuild' in step;
      // Only outside a transaction does this pragma take effect.
      if (rebuild) this.db.pragma('foreign_keys = OFF');
      this.db.transaction(() => {
        if (typeof step === 'function') this.db.exec(step(SQLITE));
        else if ('rebuild' in step) {
          this.db.exec(step.rebuild(SQLITE));
          if ((this.db.pragma('foreign_key_check') as unknown[]).length) throw new Error(`migration ${v + 1} broke a foreign key`);
        } else this.sync(step.data(this.cipher));
        this.db.pragma(`user_version = ${v + 1}`);
      })();
      if (rebuild) this.db.pragma('foreign_keys = ON');
    }
  }

  /**
   * Group commit: writes are committed together, each in its own savepoint so that one failure fails
   * only itself, in arrival order (so a connection's writes keep their order). Appended messages (each
   * with its audit record) wait for the end of the event loop's turn, gathering every connection's sends
   * that arrived in it; other writes (a recall among them) wait only for the microtasks queued before
   * them, so a lone write costs no turn of the loop.
   */
  private grouped<T>(work: () => T, schedule: (flush: () => void) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      this.batch.push({ work, resolve: resolve as (r: never) => void, reject });
      if (this.batch.length === 1) schedule(() => this.flush());
    });
  }

  appendMessage(m: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended> {
    return this.grouped(() => this.writeTx(this.auditedAppendOp(this.appendOp(m), audit)), setImmediate);
  }

  private flush(): void {
    const batch = this.batch;
    // Already written by close().
    if (!batch.length) return;
    this.batch = [];
    let results: Array<{ ok: unknown } | { error: unknown }>;
    try {
      results = this.db.transaction(() =>
        batch.map(({ work }) => {
          try {
            return { ok: work() };
          } catch (error) {
            return { error };
          }
        }),
      )();
    } catch (error) {
      for (const b of batch) b.reject(error);
      return;
    }
    batch.forEach((b, i) => {
      const r = results[i];
      if ('ok' in r) b.resolve(r.ok as never);
      else b.reject(r.error);
    });
  }

  recall(target: StoredMessage, notice: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended> {
    return this.grouped(() => this.writeTx(this.auditedAppendOp(this.recallOp(target, notice), audit)), queueMicrotask);
  }

  async close(): Promise<void> {
    if (this.batch.length) this.flush();
    this.db.close();
  }
}
