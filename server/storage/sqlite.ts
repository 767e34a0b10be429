import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Account, ConsultationStatus, Role } from '../../types/message';
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
  last_seq INTEGER NOT NULL DEFAULT 0,
  last_time INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS conversation_members (
  conv_id TEXT NOT NULL REFERENCES conversations(id),
  account TEXT NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conv_id, account)
);
CREATE INDEX IF NOT EXISTS conversation_members_account ON conversation_members(account);
CREATE TABLE IF NOT EXISTS consultations (
  id TEXT PRIMARY KEY,
  patient TEXT NOT NULL REFERENCES accounts(account),
  doctor TEXT NOT NULL REFERENCES accounts(account),
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  conv_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id_server TEXT NOT NULL UNIQUE,
  id_client TEXT NOT NULL,
  from_account TEXT NOT NULL,
  from_nick TEXT,
  scene TEXT NOT NULL,
  to_target TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  attach TEXT,
  time INTEGER NOT NULL,
  PRIMARY KEY (conv_id, seq),
  UNIQUE (from_account, id_client)
) WITHOUT ROWID;
`;

/**
 * Schema changes after the first release, applied once each in order; PRAGMA user_version counts them.
 * A function is a data change that needs the storage's keys.
 */
const MIGRATIONS: Array<string | ((db: Database.Database, cipher: Cipher) => void)> = [
  'ALTER TABLE messages ADD COLUMN recalled_at INTEGER',
  `CREATE TABLE files (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    ext TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    w INTEGER,
    h INTEGER,
    dur INTEGER,
    thumb INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID`,
  `ALTER TABLE consultations ADD COLUMN max_patient_msgs INTEGER;
   ALTER TABLE consultations ADD COLUMN ends_at INTEGER;
   CREATE TABLE used_links (jti TEXT PRIMARY KEY, used_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     detail TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE INDEX messages_time ON messages(time);`,
  // A counter kept by each append instead of a COUNT(*) over the chat on every send.
  `ALTER TABLE consultations ADD COLUMN patient_msgs INTEGER NOT NULL DEFAULT 0;
   UPDATE consultations SET patient_msgs = (SELECT COUNT(*) FROM messages m WHERE m.conv_id = 'team-' || consultations.id
     AND m.from_account = consultations.patient AND m.type NOT IN ('notification', 'tip'));`,
  // Uploads no message refers to are swept after a few hours; files stored before this are all kept.
  `ALTER TABLE files ADD COLUMN referenced INTEGER NOT NULL DEFAULT 1;
   CREATE INDEX files_owner_created ON files(owner, created_at);
   CREATE INDEX files_unreferenced ON files(created_at) WHERE referenced = 0;
   CREATE INDEX consultations_pair ON consultations(patient, doctor);`,
  // Logout and the hospital's revocations: one session by id, or '*' for every session started before `at`.
  `CREATE TABLE session_revocations (
     account TEXT NOT NULL,
     sid TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (account, sid, at)
   ) WITHOUT ROWID;`,
  (db, cipher) => {
    for (const c of NAME_COLUMNS) {
      const update = db.prepare(`UPDATE ${c.table} SET ${c.column} = ? WHERE ${c.key.map((k) => `${k} = ?`).join(' AND ')}`);
      for (const r of db.prepare(legacyNameRows(c)).all() as Array<Record<string, string>>) {
        update.run(cipher.seal(r[c.column]), ...c.key.map((k) => r[k]));
      }
    }
  },
];

/**
 * better-sqlite3 is synchronous, so each transaction below runs without interleaving inside this
 * process: that is what makes seq gap-free and send idempotent without extra locking.
 */
export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly appendTx;
  private readonly recallTx;
  private batch: Array<{
    m: NewMessage;
    resolve: (r: { stored: StoredMessage; duplicate: boolean }) => void;
    reject: (e: unknown) => void;
  }> = [];

  constructor(
    path: string,
    private readonly cipher: Cipher,
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    this.migrate();
    const db = this.db;
    this.stmt = {
      upsertAccount: db.prepare(
        'INSERT INTO accounts (account, name, role) VALUES (@account, @name, @role) ' +
          'ON CONFLICT(account) DO UPDATE SET name = excluded.name, role = excluded.role',
      ),
      getAccount: db.prepare<[string], { account: string; name: string; role: Role }>(
        'SELECT account, name, role FROM accounts WHERE account = ?',
      ),
      insertConversation: db.prepare(
        'INSERT OR IGNORE INTO conversations (id, scene, team_id, team_name) VALUES (?, ?, ?, ?)',
      ),
      insertMember: db.prepare('INSERT OR IGNORE INTO conversation_members (conv_id, account) VALUES (?, ?)'),
      insertConsultation: db.prepare(
        'INSERT INTO consultations (id, patient, doctor, status, created_at, max_patient_msgs, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      consultation: db.prepare<[string], ConsultationRow>(
        `SELECT c.*, v.team_name FROM consultations c JOIN conversations v ON v.id = 'team-' || c.id WHERE c.id = ?`,
      ),
      countPatientMessage: db.prepare<[string, string]>(
        'UPDATE consultations SET patient_msgs = patient_msgs + 1 WHERE id = ? AND patient = ?',
      ),
      setStatus: db.prepare<[ConsultationStatus, string]>('UPDATE consultations SET status = ? WHERE id = ?'),
      revoke: db.prepare<[string, string, number]>('INSERT OR IGNORE INTO session_revocations (account, sid, at) VALUES (?, ?, ?)'),
      isRevoked: db.prepare<[string, string, number], { one: number }>(
        "SELECT 1 AS one FROM session_revocations WHERE account = ? AND (sid = ? OR (sid = '*' AND at > ?)) LIMIT 1",
      ),
      useLink: db.prepare<[string, number]>('INSERT OR IGNORE INTO used_links (jti, used_at) VALUES (?, ?)'),
      lastAudit: db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1'),
      insertAudit: db.prepare<[AuditRow]>(
        `INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash)
         VALUES (@seq, @at, @actor, @action, @target, @detail, @prev_hash, @hash)`,
      ),
      auditAfter: db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
      purgeMessages: db.prepare<[number, number]>(
        "DELETE FROM messages WHERE time < ? AND (type <> 'custom' OR time < ?)",
      ),
      oldFiles: db.prepare<[number], { id: string }>('SELECT id FROM files WHERE created_at < ?'),
      deleteFile: db.prepare<[string]>('DELETE FROM files WHERE id = ?'),
      isMember: db.prepare<[string, string], { one: number }>(
        'SELECT 1 AS one FROM conversation_members WHERE conv_id = ? AND account = ?',
      ),
      members: db.prepare<[string], { account: string }>(
        'SELECT account FROM conversation_members WHERE conv_id = ? ORDER BY account',
      ),
      consultationsBetween: db.prepare<[string, string, string, string], ConsultationRow>(
        `SELECT c.*, v.team_name FROM consultations c JOIN conversations v ON v.id = 'team-' || c.id
         WHERE (c.patient = ? AND c.doctor = ?) OR (c.patient = ? AND c.doctor = ?) ORDER BY c.created_at DESC, c.id`,
      ),
      byClientId: db.prepare<[string, string], MessageRow>(
        'SELECT * FROM messages WHERE from_account = ? AND id_client = ?',
      ),
      bumpSeq: db.prepare<[number, string], { last_seq: number; last_time: number }>(
        'UPDATE conversations SET last_seq = last_seq + 1, last_time = max(last_time, ?) WHERE id = ? ' +
          'RETURNING last_seq, last_time',
      ),
      insertMessage: db.prepare(
        `INSERT INTO messages (conv_id, seq, id_server, id_client, from_account, from_nick, scene, to_target,
           type, body, attach, time)
         VALUES (@conv_id, @seq, @id_server, @id_client, @from_account, @from_nick, @scene, @to_target,
           @type, @body, @attach, @time)`,
      ),
      markRecalled: db.prepare<[number, string, string, string]>(
        'UPDATE messages SET recalled_at = coalesce(recalled_at, ?) WHERE conv_id = ? AND from_account = ? AND id_client = ?',
      ),
      newest: db.prepare<[string, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE conv_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
      ),
      before: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE conv_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
      ),
      after: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM messages WHERE conv_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      readSeq: db.prepare<[string, string], { read_seq: number }>('SELECT read_seq FROM conversation_members WHERE conv_id = ? AND account = ?'),
      raiseRead: db.prepare<[number, string, string], { read_seq: number }>(
        // A cursor past the newest message would hide messages that arrive later.
        `UPDATE conversation_members
         SET read_seq = max(read_seq, min(?, (SELECT last_seq FROM conversations WHERE id = conv_id)))
         WHERE conv_id = ? AND account = ? RETURNING read_seq`,
      ),
      conversationsOf: db.prepare<[string], ConversationRow>(
        `SELECT c.id, c.scene, c.team_id, c.team_name, c.last_seq, m.read_seq
         FROM conversation_members m JOIN conversations c ON c.id = m.conv_id
         WHERE m.account = ? ORDER BY c.last_time DESC`,
      ),
      others: db.prepare<[string, string], { account: string; read_seq: number }>(
        'SELECT account, read_seq FROM conversation_members WHERE conv_id = ? AND account <> ?',
      ),
      unread: db.prepare<[string, number, string], { n: number }>(
        // Notifications (recalls) are bookkeeping, not something to read.
        "SELECT COUNT(*) AS n FROM messages WHERE conv_id = ? AND seq > ? AND from_account <> ? AND type <> 'notification'",
      ),
      last: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE conv_id = ? ORDER BY seq DESC LIMIT 1'),
      putFile: db.prepare<[FileRow]>(
        `INSERT INTO files (id, owner, kind, name, ext, mime, size, w, h, dur, thumb, created_at, referenced)
         VALUES (@id, @owner, @kind, @name, @ext, @mime, @size, @w, @h, @dur, @thumb, @created_at, 0)`,
      ),
      getFile: db.prepare<[string], FileRow>('SELECT * FROM files WHERE id = ?'),
      markReferenced: db.prepare<[string]>('UPDATE files SET referenced = 1 WHERE id = ?'),
      uploadsSince: db.prepare<[string, number], { count: number; bytes: number }>(
        'SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM files WHERE owner = ? AND created_at >= ?',
      ),
      removeOrphans: db.prepare<[number], { id: string }>('DELETE FROM files WHERE referenced = 0 AND created_at < ? RETURNING id'),
    };
    this.appendTx = db.transaction((m: NewMessage): { stored: StoredMessage; duplicate: boolean } => {
      const existing = this.stmt.byClientId.get(m.from, m.idClient);
      if (existing) return { stored: toStored(existing, this.cipher), duplicate: true };
      this.stmt.insertConversation.run(m.conv.id, m.scene, null, null);
      for (const account of m.members) this.stmt.insertMember.run(m.conv.id, account);
      const bumped = this.stmt.bumpSeq.get(Date.now(), m.conv.id);
      if (!bumped) throw new Error(`conversation ${m.conv.id} vanished`);
      const { row, stored } = newMessageRow(m, bumped.last_seq, bumped.last_time, this.cipher);
      const file = fileOf(m);
      if (file !== undefined && this.stmt.markReferenced.run(file).changes === 0) throw fileGone();
      this.stmt.insertMessage.run(row);
      const quota = quotaOf(m);
      if (quota !== undefined) this.stmt.countPatientMessage.run(quota, m.from);
      return { stored, duplicate: false };
    });
    this.recallTx = db.transaction((target: StoredMessage, notice: NewMessage) => {
      this.stmt.markRecalled.run(Date.now(), target.convId, target.from, target.idClient);
      return this.appendTx(notice);
    });
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        const step = MIGRATIONS[v];
        if (typeof step === 'string') this.db.exec(step);
        else step(this.db, this.cipher);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async upsertAccount(account: Account): Promise<void> {
    this.stmt.upsertAccount.run({ ...account, name: this.cipher.seal(account.name) });
  }

  async getAccount(account: string): Promise<Account | undefined> {
    const row = this.stmt.getAccount.get(account);
    return row && { ...row, name: this.cipher.openLegacy(row.name) };
  }

  async createConsultation(c: NewConsultation): Promise<Consultation> {
    const convId = teamConvId(c.id);
    this.db.transaction(() => {
      this.stmt.insertConsultation.run(
        c.id,
        c.patient,
        c.doctor,
        c.status ?? 'inProgress',
        Date.now(),
        c.maxPatientMessages ?? null,
        c.endsAt ?? null,
      );
      this.stmt.insertConversation.run(convId, 'team', c.id, this.cipher.seal(c.teamName));
      this.stmt.insertMember.run(convId, c.patient);
      this.stmt.insertMember.run(convId, c.doctor);
    })();
    return toConsultation(this.stmt.consultation.get(c.id) as ConsultationRow, this.cipher);
  }

  async consultation(id: string): Promise<Consultation | undefined> {
    const row = this.stmt.consultation.get(id);
    return row ? toConsultation(row, this.cipher) : undefined;
  }

  async setConsultationStatus(id: string, status: ConsultationStatus): Promise<Consultation> {
    this.stmt.setStatus.run(status, id);
    return toConsultation(this.stmt.consultation.get(id) as ConsultationRow, this.cipher);
  }

  async revokeSessions(account: string, sid: string, at: number): Promise<void> {
    this.stmt.revoke.run(account, sid, at);
  }

  async isSessionRevoked(account: string, sid: string | undefined, startedAt: number): Promise<boolean> {
    return this.stmt.isRevoked.get(account, sid ?? '', startedAt) !== undefined;
  }

  async useLink(jti: string, at: number): Promise<boolean> {
    return this.stmt.useLink.run(jti, at).changes === 1;
  }

  async appendAudit(make: (prev: AuditRecord | undefined) => AuditRecord): Promise<AuditRecord> {
    return this.db.transaction(() => {
      const last = this.stmt.lastAudit.get();
      const rec = make(last ? toAudit(last) : undefined);
      this.stmt.insertAudit.run({
        seq: rec.seq,
        at: rec.at,
        actor: rec.actor,
        action: rec.action,
        target: rec.target,
        detail: rec.detail,
        prev_hash: rec.prevHash,
        hash: rec.hash,
      });
      return rec;
    })();
  }

  async auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return this.stmt.auditAfter.all(afterSeq, limit).map(toAudit);
  }

  async purge(cutoffs: PurgeCutoffs): Promise<{ messages: number; fileIds: string[] }> {
    return this.db.transaction(() => {
      const messages = this.stmt.purgeMessages.run(cutoffs.chatBefore, cutoffs.medicalBefore).changes;
      const fileIds = this.stmt.oldFiles.all(cutoffs.chatBefore).map((r) => r.id);
      for (const id of fileIds) this.stmt.deleteFile.run(id);
      return { messages, fileIds };
    })();
  }

  async isConversationMember(convId: string, account: string): Promise<boolean> {
    return this.stmt.isMember.get(convId, account) !== undefined;
  }

  async conversationMembers(convId: string): Promise<string[]> {
    return this.stmt.members.all(convId).map((r) => r.account);
  }

  async consultationsBetween(a: string, b: string): Promise<Consultation[]> {
    return this.stmt.consultationsBetween.all(a, b, b, a).map((r) => toConsultation(r, this.cipher));
  }

  /**
   * Group commit: appends that arrive within one turn of the event loop (many connections sending at
   * once) are written in one transaction, each in its own savepoint so that one failure fails only
   * itself. Order is arrival order, so a connection's sends keep their order.
   */
  appendMessage(m: NewMessage): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    return new Promise((resolve, reject) => {
      this.batch.push({ m, resolve, reject });
      if (this.batch.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    let results: Array<{ ok: { stored: StoredMessage; duplicate: boolean } } | { error: unknown }>;
    try {
      results = this.db.transaction(() =>
        batch.map(({ m }) => {
          try {
            return { ok: this.appendTx(m) };
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
      if ('ok' in r) b.resolve(r.ok);
      else b.reject(r.error);
    });
  }

  async findMessage(convId: string, from: string, idClient: string): Promise<StoredMessage | undefined> {
    const row = this.stmt.byClientId.get(from, idClient);
    return row && row.conv_id === convId ? toStored(row, this.cipher) : undefined;
  }

  async recall(target: StoredMessage, notice: NewMessage): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    return this.recallTx(target, notice);
  }

  async history(convId: string, beforeSeq: number | undefined, limit: number): Promise<StoredMessage[]> {
    const rows =
      beforeSeq === undefined ? this.stmt.newest.all(convId, limit) : this.stmt.before.all(convId, beforeSeq, limit);
    return rows.map((r) => toStored(r, this.cipher));
  }

  async after(convId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.stmt.after.all(convId, afterSeq, limit).map((r) => toStored(r, this.cipher));
  }

  async markRead(convId: string, account: string, seq: number): Promise<{ readSeq: number; raised: boolean }> {
    // Synchronous: nothing runs between the read and the raise.
    const before = this.stmt.readSeq.get(convId, account)?.read_seq ?? 0;
    const readSeq = this.stmt.raiseRead.get(seq, convId, account)?.read_seq ?? 0;
    return { readSeq, raised: readSeq > before };
  }

  async conversationsOf(account: string): Promise<ConversationSummary[]> {
    return this.stmt.conversationsOf.all(account).map((c) =>
      toSummary(
        c,
        {
          others: this.stmt.others.all(c.id, account),
          last: this.stmt.last.get(c.id),
          consultation: c.team_id ? this.stmt.consultation.get(c.team_id) : undefined,
          unread: this.stmt.unread.get(c.id, c.read_seq, account)?.n ?? 0,
        },
        this.cipher,
      ),
    );
  }

  async putFile(f: StoredFile): Promise<void> {
    this.stmt.putFile.run({
      id: f.id,
      owner: f.owner,
      kind: f.kind,
      name: this.cipher.seal(f.name),
      ext: f.ext,
      mime: f.mime,
      size: f.size,
      w: f.w ?? null,
      h: f.h ?? null,
      dur: f.dur ?? null,
      thumb: f.thumb ? 1 : 0,
      created_at: f.createdAt,
    });
  }

  async getFile(id: string): Promise<StoredFile | undefined> {
    const row = this.stmt.getFile.get(id);
    return row ? toFile(row, this.cipher) : undefined;
  }

  async uploadsSince(owner: string, since: number): Promise<{ count: number; bytes: number }> {
    return this.stmt.uploadsSince.get(owner, since) ?? { count: 0, bytes: 0 };
  }

  async removeOrphanFiles(before: number): Promise<string[]> {
    return this.stmt.removeOrphans.all(before).map((r) => r.id);
  }

  async close(): Promise<void> {
    if (this.batch.length) this.flush();
    this.db.close();
  }
}
