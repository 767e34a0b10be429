/**
 * PostgreSQL storage for several server processes sharing one database (DATABASE_URL). The queries
 * are SqlStorage's; what SQLite gets from running single-threaded, this gets from row locks: the
 * conversation row is locked by the seq bump, so concurrent sends from any process to one
 * conversation get consecutive seqs; a retry racing its original loses on the (from, idClient) key
 * and rolls back, seq bump included.
 */
import pg from 'pg';
import type { Cipher } from '../crypto';
import { base, MIGRATIONS, POSTGRES, POSTGRES_BEFORE_VERSIONING } from './schema';
import { numbered, type Op, runAsync, type Statement } from './sql';
import { SqlStorage } from './sql-storage';
import type { Appended, AuditFor, NewMessage, StoredMessage } from './types';

/** Serialises schema migrations across processes. */
const SCHEMA_LOCK = 7_101;

/** BIGINT columns are milliseconds and counters, far below 2^53: numbers, not strings. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

type Db = pg.Pool | pg.PoolClient;

export class PostgresStorage extends SqlStorage {
  private readonly texts = new Map<string, string>();
  /** Processes claiming notifications at once each take other rows. */
  protected override readonly skipLocked = ' FOR UPDATE SKIP LOCKED';

  private constructor(
    private readonly pool: pg.Pool,
    cipher: Cipher,
    now?: () => number,
  ) {
    super(cipher, now);
  }

  /**
   * `onConnectionError` hears of idle connections that die (a database restart): pg's pool emits them
   * as 'error', which would otherwise end the process. `readonly`: to inspect a database as it is
   * (audit:verify), neither migrated nor written (every transaction is read-only).
   */
  static async open(
    url: string,
    cipher: Cipher,
    opts: { onConnectionError?: (e: Error) => void; now?: () => number; readonly?: boolean } = {},
  ): Promise<PostgresStorage> {
    const pool = new pg.Pool({
      connectionString: url,
      types,
      max: 10,
      ...(opts.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
    });
    pool.on('error', opts.onConnectionError ?? (() => undefined));
    const storage = new PostgresStorage(pool, cipher, opts.now);
    if (!opts.readonly) await storage.tx((db) => storage.migrate(db));
    return storage;
  }

  /**
   * The base tables, then each migration not yet applied, under a lock so that processes starting
   * together migrate once. A database made before schema_version existed is at its known version.
   */
  private async migrate(db: pg.PoolClient): Promise<void> {
    await db.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    const found = await db.query<{ versioned: boolean; legacy: boolean }>(
      "SELECT to_regclass('schema_version') IS NOT NULL AS versioned, to_regclass('messages') IS NOT NULL AS legacy",
    );
    if (!found.rows[0].versioned) {
      await db.query('CREATE TABLE schema_version (version INTEGER NOT NULL)');
      await db.query('INSERT INTO schema_version (version) VALUES ($1)', [found.rows[0].legacy ? POSTGRES_BEFORE_VERSIONING : 0]);
    }
    await db.query(base(POSTGRES));
    const version = (await db.query<{ version: number }>('SELECT version FROM schema_version')).rows[0].version;
    for (let v = version; v < MIGRATIONS.length; v++) {
      const step = MIGRATIONS[v];
      if (typeof step === 'function') await db.query(step(POSTGRES));
      else if ('rebuild' in step) await db.query(step.rebuild(POSTGRES));
      else await runAsync(step.data(this.cipher), this.exec(db));
      await db.query('UPDATE schema_version SET version = $1', [v + 1]);
    }
  }

  private numbered(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) this.texts.set(sql, (text = numbered(sql)));
    return text;
  }

  private exec(db: Db) {
    return async (s: Statement): Promise<unknown> => {
      if (s.kind === 'lock') return void (await db.query('SELECT pg_advisory_xact_lock($1)', [s.key]));
      const result = await db.query(this.numbered(s.sql), s.params as unknown[]);
      if (s.kind === 'all') return result.rows;
      if (s.kind === 'one') return result.rows[0];
      return { changes: result.rowCount ?? 0 };
    };
  }

  private async tx<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    } finally {
      client.release();
    }
  }

  protected read<T>(op: Op<T>): Promise<T> {
    return runAsync(op, this.exec(this.pool));
  }

  protected write<T>(op: Op<T>): Promise<T> {
    return this.tx((db) => runAsync(op, this.exec(db)));
  }

  /** A retry that raced its original (another process stored it first) answers as a duplicate. */
  private async appendOrExisting(op: Op<Appended>, m: NewMessage): Promise<Appended> {
    try {
      return await this.write(op);
    } catch (e) {
      const existing = (e as { code?: string }).code === '23505' ? await this.read(SqlStorage.byClientId(m.from, m.idClient)) : undefined;
      if (!existing) throw e;
      return this.duplicateOf(existing, m);
    }
  }

  appendMessage(m: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended> {
    return this.appendOrExisting(this.auditedAppendOp(this.appendOp(m), audit), m);
  }

  recall(target: StoredMessage, notice: NewMessage, audit?: AuditFor<StoredMessage>): Promise<Appended> {
    return this.appendOrExisting(this.auditedAppendOp(this.recallOp(target, notice), audit), notice);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
