/**
 * PostgreSQL storage for several server processes sharing one database (DATABASE_URL). Same schema and
 * rows as SQLite (rows.ts). What SQLite gets from running single-threaded, this gets from row locks:
 * the conversation row is locked by the seq bump, so concurrent sends from any process to one
 * conversation get consecutive seqs; a retry racing its original loses on the (from, idClient) key and
 * rolls back, seq bump included.
 */
import pg from 'pg';
import type { Account, ConsultationStatus } from '../../types/message';
import type { Cipher } from '../crypto';
import type { AuditRow, ConsultationRow, ConversationRow, FileRow, MessageRow } from './rows';
import { fileGone, fileOf, legacyNameRows, NAME_COLUMNS, newMessageRow, quotaOf, toAudit, toConsultation, toFile, toStored, toSummary } from './rows';
import type {
  AuditRecord,
  Consultation,
  ConversationSummary,
  NewConsultation,
  NewMessage,
  PurgeCutoffs,
  Storage,
  StoredFile,
  StoredMessage,
} from './types';
import { teamConvId } from './types';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  account TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('patient', 'doctor'))
);
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  scene TEXT NOT NULL,
  team_id TEXT,
  team_name TEXT,
  last_seq BIGINT NOT NULL DEFAULT 0,
  last_time BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS conversation_members (
  conv_id TEXT NOT NULL REFERENCES conversations(id),
  account TEXT NOT NULL,
  read_seq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (conv_id, account)
);
CREATE INDEX IF NOT EXISTS conversation_members_account ON conversation_members(account);
CREATE TABLE IF NOT EXISTS consultations (
  id TEXT PRIMARY KEY,
  patient TEXT NOT NULL REFERENCES accounts(account),
  doctor TEXT NOT NULL REFERENCES accounts(account),
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  max_patient_msgs BIGINT,
  ends_at BIGINT,
  patient_msgs BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
  conv_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id_server TEXT NOT NULL UNIQUE,
  id_client TEXT NOT NULL,
  from_account TEXT NOT NULL,
  from_nick TEXT,
  scene TEXT NOT NULL,
  to_target TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  attach TEXT,
  time BIGINT NOT NULL,
  recalled_at BIGINT,
  PRIMARY KEY (conv_id, seq),
  UNIQUE (from_account, id_client)
);
CREATE INDEX IF NOT EXISTS messages_time ON messages(time);
CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  ext TEXT NOT NULL,
  mime TEXT NOT NULL,
  size BIGINT NOT NULL,
  w BIGINT,
  h BIGINT,
  dur BIGINT,
  thumb INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);
-- Uploads no message refers to are swept after a few hours; files stored before this are all kept.
ALTER TABLE files ADD COLUMN IF NOT EXISTS referenced INTEGER NOT NULL DEFAULT 1;
CREATE INDEX IF NOT EXISTS files_owner_created ON files(owner, created_at);
CREATE INDEX IF NOT EXISTS files_unreferenced ON files(created_at) WHERE referenced = 0;
CREATE INDEX IF NOT EXISTS consultations_pair ON consultations(patient, doctor);
-- Logout and the hospital's revocations: one session by id, or '*' for every session started before at.
CREATE TABLE IF NOT EXISTS session_revocations (
  account TEXT NOT NULL,
  sid TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (account, sid, at)
);
-- Data upgrades done once (the schema above is idempotent by itself).
CREATE TABLE IF NOT EXISTS upgrades (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS used_links (jti TEXT PRIMARY KEY, used_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
`;

/** Serialises schema creation and audit appends across processes. */
const SCHEMA_LOCK = 7_101;
const AUDIT_LOCK = 7_102;

const CONSULTATION = `SELECT c.*, v.team_name FROM consultations c JOIN conversations v ON v.id = 'team-' || c.id WHERE c.id = $1`;

/** BIGINT columns are milliseconds and counters, far below 2^53: numbers, not strings. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

type Db = pg.Pool | pg.PoolClient;

export class PostgresStorage implements Storage {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly cipher: Cipher,
  ) {}

  static async open(url: string, cipher: Cipher): Promise<PostgresStorage> {
    const pool = new pg.Pool({ connectionString: url, types, max: 10 });
    const storage = new PostgresStorage(pool, cipher);
    await storage.tx(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await db.query(SCHEMA);
      await storage.sealLegacyNames(db);
    });
    return storage;
  }

  /** Names stored in plaintext by versions before they were sealed, sealed in place once. */
  private async sealLegacyNames(db: pg.PoolClient): Promise<void> {
    if ((await db.query("INSERT INTO upgrades (name) VALUES ('sealed-names') ON CONFLICT DO NOTHING")).rowCount === 0) return;
    for (const c of NAME_COLUMNS) {
      const where = c.key.map((k, i) => `${k} = $${i + 2}`).join(' AND ');
      for (const r of (await db.query<Record<string, string>>(legacyNameRows(c))).rows) {
        await db.query(`UPDATE ${c.table} SET ${c.column} = $1 WHERE ${where}`, [this.cipher.seal(r[c.column]), ...c.key.map((k) => r[k])]);
      }
    }
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

  private async one<R extends pg.QueryResultRow>(db: Db, sql: string, params: unknown[]): Promise<R | undefined> {
    return (await db.query<R>(sql, params)).rows[0];
  }

  private async all<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  async upsertAccount(a: Account): Promise<void> {
    await this.pool.query(
      'INSERT INTO accounts (account, name, role) VALUES ($1, $2, $3) ON CONFLICT (account) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role',
      [a.account, this.cipher.seal(a.name), a.role],
    );
  }

  async getAccount(account: string): Promise<Account | undefined> {
    const row = await this.one<Account>(this.pool, 'SELECT account, name, role FROM accounts WHERE account = $1', [account]);
    return row && { ...row, name: this.cipher.openLegacy(row.name) };
  }

  async createConsultation(c: NewConsultation): Promise<Consultation> {
    const convId = teamConvId(c.id);
    await this.tx(async (db) => {
      await db.query(
        'INSERT INTO consultations (id, patient, doctor, status, created_at, max_patient_msgs, ends_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [c.id, c.patient, c.doctor, c.status ?? 'inProgress', Date.now(), c.maxPatientMessages ?? null, c.endsAt ?? null],
      );
      await db.query('INSERT INTO conversations (id, scene, team_id, team_name) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        convId,
        'team',
        c.id,
        this.cipher.seal(c.teamName),
      ]);
      for (const account of [c.patient, c.doctor]) {
        await db.query('INSERT INTO conversation_members (conv_id, account) VALUES ($1, $2) ON CONFLICT DO NOTHING', [convId, account]);
      }
    });
    return (await this.consultation(c.id)) as Consultation;
  }

  async consultation(id: string): Promise<Consultation | undefined> {
    const row = await this.one<ConsultationRow>(this.pool, CONSULTATION, [id]);
    return row && toConsultation(row, this.cipher);
  }

  async setConsultationStatus(id: string, status: ConsultationStatus): Promise<Consultation> {
    await this.pool.query('UPDATE consultations SET status = $1 WHERE id = $2', [status, id]);
    return (await this.consultation(id)) as Consultation;
  }

  async revokeSessions(account: string, sid: string, at: number): Promise<void> {
    await this.pool.query('INSERT INTO session_revocations (account, sid, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [account, sid, at]);
  }

  async isSessionRevoked(account: string, sid: string | undefined, startedAt: number): Promise<boolean> {
    const row = await this.one(
      this.pool,
      "SELECT 1 FROM session_revocations WHERE account = $1 AND (sid = $2 OR (sid = '*' AND at > $3)) LIMIT 1",
      [account, sid ?? '', startedAt],
    );
    return row !== undefined;
  }

  async useLink(jti: string, at: number): Promise<boolean> {
    return (await this.pool.query('INSERT INTO used_links (jti, used_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [jti, at])).rowCount === 1;
  }

  async appendAudit(make: (prev: AuditRecord | undefined) => AuditRecord): Promise<AuditRecord> {
    return this.tx(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
      const last = await this.one<AuditRow>(db, 'SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1', []);
      const rec = make(last && toAudit(last));
      await db.query(
        'INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [rec.seq, rec.at, rec.actor, rec.action, rec.target, rec.detail, rec.prevHash, rec.hash],
      );
      return rec;
    });
  }

  async auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return (await this.all<AuditRow>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).map(toAudit);
  }

  async purge(cutoffs: PurgeCutoffs): Promise<{ messages: number; fileIds: string[] }> {
    return this.tx(async (db) => {
      const removed = await db.query("DELETE FROM messages WHERE time < $1 AND (type <> 'custom' OR time < $2)", [
        cutoffs.chatBefore,
        cutoffs.medicalBefore,
      ]);
      const files = await db.query<{ id: string }>('DELETE FROM files WHERE created_at < $1 RETURNING id', [cutoffs.chatBefore]);
      return { messages: removed.rowCount ?? 0, fileIds: files.rows.map((r) => r.id) };
    });
  }

  async isConversationMember(convId: string, account: string): Promise<boolean> {
    return (await this.one(this.pool, 'SELECT 1 FROM conversation_members WHERE conv_id = $1 AND account = $2', [convId, account])) !== undefined;
  }

  async conversationMembers(convId: string): Promise<string[]> {
    return (await this.all<{ account: string }>('SELECT account FROM conversation_members WHERE conv_id = $1 ORDER BY account', [convId])).map(
      (r) => r.account,
    );
  }

  async consultationsBetween(a: string, b: string): Promise<Consultation[]> {
    const rows = await this.all<ConsultationRow>(
      `SELECT c.*, v.team_name FROM consultations c JOIN conversations v ON v.id = 'team-' || c.id
       WHERE (c.patient = $1 AND c.doctor = $2) OR (c.patient = $2 AND c.doctor = $1) ORDER BY c.created_at DESC, c.id`,
      [a, b],
    );
    return rows.map((r) => toConsultation(r, this.cipher));
  }

  private async byClientId(db: Db, from: string, idClient: string): Promise<MessageRow | undefined> {
    return this.one<MessageRow>(db, 'SELECT * FROM messages WHERE from_account = $1 AND id_client = $2', [from, idClient]);
  }

  private async appendIn(db: pg.PoolClient, m: NewMessage): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    const existing = await this.byClientId(db, m.from, m.idClient);
    if (existing) return { stored: toStored(existing, this.cipher), duplicate: true };
    await db.query('INSERT INTO conversations (id, scene) VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.conv.id, m.scene]);
    for (const account of m.members) {
      await db.query('INSERT INTO conversation_members (conv_id, account) VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.conv.id, account]);
    }
    const bumped = await this.one<{ last_seq: number; last_time: number }>(
      db,
      'UPDATE conversations SET last_seq = last_seq + 1, last_time = GREATEST(last_time, $1) WHERE id = $2 RETURNING last_seq, last_time',
      [Date.now(), m.conv.id],
    );
    if (!bumped) throw new Error(`conversation ${m.conv.id} vanished`);
    const { row, stored } = newMessageRow(m, bumped.last_seq, bumped.last_time, this.cipher);
    const file = fileOf(m);
    if (file !== undefined && (await db.query('UPDATE files SET referenced = 1 WHERE id = $1', [file])).rowCount === 0) throw fileGone();
    await db.query(
      `INSERT INTO messages (conv_id, seq, id_server, id_client, from_account, from_nick, scene, to_target, type, body, attach, time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [row.conv_id, row.seq, row.id_server, row.id_client, row.from_account, row.from_nick, row.scene, row.to_target, row.type, row.body, row.attach, row.time],
    );
    const quota = quotaOf(m);
    if (quota !== undefined) {
      await db.query('UPDATE consultations SET patient_msgs = patient_msgs + 1 WHERE id = $1 AND patient = $2', [quota, m.from]);
    }
    return { stored, duplicate: false };
  }

  /** A retry that raced its original (another process stored it first) answers as a duplicate. */
  private async appendOrExisting(
    work: (db: pg.PoolClient) => Promise<{ stored: StoredMessage; duplicate: boolean }>,
    from: string,
    idClient: string,
  ): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    try {
      return await this.tx(work);
    } catch (e) {
      const existing = (e as { code?: string }).code === '23505' ? await this.byClientId(this.pool, from, idClient) : undefined;
      if (!existing) throw e;
      return { stored: toStored(existing, this.cipher), duplicate: true };
    }
  }

  async appendMessage(m: NewMessage): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    return this.appendOrExisting((db) => this.appendIn(db, m), m.from, m.idClient);
  }

  async findMessage(convId: string, from: string, idClient: string): Promise<StoredMessage | undefined> {
    const row = await this.byClientId(this.pool, from, idClient);
    return row && row.conv_id === convId ? toStored(row, this.cipher) : undefined;
  }

  async recall(target: StoredMessage, notice: NewMessage): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    return this.appendOrExisting(
      async (db) => {
        await db.query(
          'UPDATE messages SET recalled_at = COALESCE(recalled_at, $1) WHERE conv_id = $2 AND from_account = $3 AND id_client = $4',
          [Date.now(), target.convId, target.from, target.idClient],
        );
        return this.appendIn(db, notice);
      },
      notice.from,
      notice.idClient,
    );
  }

  async history(convId: string, beforeSeq: number | undefined, limit: number): Promise<StoredMessage[]> {
    const rows =
      beforeSeq === undefined
        ? await this.all<MessageRow>('SELECT * FROM (SELECT * FROM messages WHERE conv_id = $1 ORDER BY seq DESC LIMIT $2) m ORDER BY seq', [convId, limit])
        : await this.all<MessageRow>(
            'SELECT * FROM (SELECT * FROM messages WHERE conv_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3) m ORDER BY seq',
            [convId, beforeSeq, limit],
          );
    return rows.map((r) => toStored(r, this.cipher));
  }

  async after(convId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    const rows = await this.all<MessageRow>('SELECT * FROM messages WHERE conv_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [convId, afterSeq, limit]);
    return rows.map((r) => toStored(r, this.cipher));
  }

  async markRead(convId: string, account: string, seq: number): Promise<{ readSeq: number; raised: boolean }> {
    // A cursor past the newest message would hide messages that arrive later. The self-join's row is
    // the one before the update, so one statement tells whether the cursor moved.
    const row = await this.one<{ read_seq: number; before: number }>(
      this.pool,
      `UPDATE conversation_members m
       SET read_seq = GREATEST(m.read_seq, LEAST($1, (SELECT last_seq FROM conversations WHERE id = m.conv_id)))
       FROM conversation_members o
       WHERE m.conv_id = $2 AND m.account = $3 AND o.conv_id = m.conv_id AND o.account = m.account
       RETURNING m.read_seq, o.read_seq AS before`,
      [seq, convId, account],
    );
    return { readSeq: row?.read_seq ?? 0, raised: row !== undefined && row.read_seq > row.before };
  }

  /**
   * One round trip for the whole list (it runs on every sync): members' cursors, the last message, the
   * consultation and the unread count come back as JSON columns of each conversation's row.
   */
  async conversationsOf(account: string): Promise<ConversationSummary[]> {
    const rows = await this.all<
      ConversationRow & { others: Array<{ account: string; read_seq: number }>; last: MessageRow | null; consultation: ConsultationRow | null; unread: number }
    >(
      `SELECT c.id, c.scene, c.team_id, c.team_name, c.last_seq, m.read_seq,
         COALESCE((SELECT json_agg(json_build_object('account', o.account, 'read_seq', o.read_seq))
                   FROM conversation_members o WHERE o.conv_id = c.id AND o.account <> $1), '[]') AS others,
         (SELECT row_to_json(l) FROM (SELECT * FROM messages WHERE conv_id = c.id ORDER BY seq DESC LIMIT 1) l) AS last,
         (SELECT row_to_json(k) FROM (SELECT co.*, c.team_name FROM consultations co WHERE co.id = c.team_id) k) AS consultation,
         -- Notifications (recalls) are bookkeeping, not something to read.
         (SELECT COUNT(*) FROM messages u
          WHERE u.conv_id = c.id AND u.seq > m.read_seq AND u.from_account <> $1 AND u.type <> 'notification') AS unread
       FROM conversation_members m JOIN conversations c ON c.id = m.conv_id
       WHERE m.account = $1 ORDER BY c.last_time DESC`,
      [account],
    );
    return rows.map((r) =>
      toSummary(r, { others: r.others, last: r.last ?? undefined, consultation: r.consultation ?? undefined, unread: r.unread }, this.cipher),
    );
  }

  async putFile(f: StoredFile): Promise<void> {
    await this.pool.query(
      'INSERT INTO files (id, owner, kind, name, ext, mime, size, w, h, dur, thumb, created_at, referenced) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)',
      [f.id, f.owner, f.kind, this.cipher.seal(f.name), f.ext, f.mime, f.size, f.w ?? null, f.h ?? null, f.dur ?? null, f.thumb ? 1 : 0, f.createdAt],
    );
  }

  async getFile(id: string): Promise<StoredFile | undefined> {
    const row = await this.one<FileRow>(this.pool, 'SELECT * FROM files WHERE id = $1', [id]);
    return row && toFile(row, this.cipher);
  }

  async uploadsSince(owner: string, since: number): Promise<{ count: number; bytes: number }> {
    const row = await this.one<{ count: number; bytes: number }>(
      this.pool,
      'SELECT COUNT(*)::int AS count, COALESCE(SUM(size), 0)::bigint AS bytes FROM files WHERE owner = $1 AND created_at >= $2',
      [owner, since],
    );
    return row ?? { count: 0, bytes: 0 };
  }

  async removeOrphanFiles(before: number): Promise<string[]> {
    return (await this.pool.query<{ id: string }>('DELETE FROM files WHERE referenced = 0 AND created_at < $1 RETURNING id', [before])).rows.map((r) => r.id);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
