/**
 * The storage's queries, written once for SQLite and PostgreSQL (see sql.ts for how one operation runs
 * on either). The adapters supply how a read and a transaction run, and their own transaction control:
 * SQLite's group commit of appends, PostgreSQL's retry of an append that raced its original.
 */
import type { Account, ConsultationStatus } from '../../types/message';
import type { Cipher } from '../crypto';
import type { AuditRow, ConsultationRow, ConversationRow, FileRow, MessageRow } from './rows';
import { fileGone, fileOf, newMessageRow, quotaOf, toAudit, toConsultation, toFile, toStored, toSummary } from './rows';
import { all, lock, one, type Op, run } from './sql';
import type {
  AuditRecord,
  MiniappBinding,
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

/** Serialises audit appends across processes (PostgreSQL; SQLite writes one at a time anyway). */
export const AUDIT_LOCK = 7_102;

// Statements built from parts once, here: a statement's text is its key in the prepared-statement cache.
const CONSULTATION = `SELECT c.*, v.team_name FROM consultations c JOIN conversations v ON v.id = 'team-' || c.id`;
const CONSULTATION_BY_ID = `${CONSULTATION} WHERE c.id = ?`;
const CONSULTATIONS_BETWEEN = `${CONSULTATION} WHERE (c.patient = ? AND c.doctor = ?) OR (c.patient = ? AND c.doctor = ?) ORDER BY c.created_at DESC, c.id`;
const MINE = 'SELECT conv_id FROM conversation_members WHERE account = ?';
const MY_OTHERS = `SELECT conv_id, account, read_seq FROM conversation_members WHERE conv_id IN (${MINE}) AND account <> ? ORDER BY account`;
const MY_LASTS = `SELECT l.* FROM messages l WHERE l.conv_id IN (${MINE}) AND l.seq = (SELECT MAX(x.seq) FROM messages x WHERE x.conv_id = l.conv_id)`;
const MY_CONSULTATIONS = `${CONSULTATION} WHERE v.id IN (${MINE})`;

/** A mini-program user of (platform, appid) by any of its MACs (one per configured data key). */
const BY_MAC = (macs: string[]) => `platform = ? AND appid = ? AND openid_mac IN (${macs.map(() => '?').join(', ') || 'NULL'})`;

export type Appended = { stored: StoredMessage; duplicate: boolean };

export abstract class SqlStorage implements Storage {
  constructor(protected readonly cipher: Cipher) {}

  /** Runs an operation that only reads. */
  protected abstract read<T>(op: Op<T>): Promise<T>;
  /** Runs an operation in one transaction. */
  protected abstract write<T>(op: Op<T>): Promise<T>;
  abstract appendMessage(m: NewMessage): Promise<Appended>;
  abstract recall(target: StoredMessage, notice: NewMessage): Promise<Appended>;
  abstract close(): Promise<void>;

  async upsertAccount(a: Account): Promise<void> {
    await this.write(
      run(
        'INSERT INTO accounts (account, name, role) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET name = excluded.name, role = excluded.role',
        a.account,
        this.cipher.sealName(a.name),
        a.role,
      ),
    );
  }

  async getAccount(account: string): Promise<Account | undefined> {
    const row = await this.read(one<Account>('SELECT account, name, role FROM accounts WHERE account = ?', account));
    return row && { ...row, name: this.cipher.openName(row.name) };
  }

  protected *consultationOp(id: string): Op<Consultation | undefined> {
    const row = yield* one<ConsultationRow>(CONSULTATION_BY_ID, id);
    return row && toConsultation(row, this.cipher);
  }

  createConsultation(c: NewConsultation): Promise<Consultation> {
    return this.write(this.createConsultationOp(c));
  }

  private *createConsultationOp(c: NewConsultation): Op<Consultation> {
    const convId = teamConvId(c.id);
    yield* run(
      'INSERT INTO consultations (id, patient, doctor, status, created_at, max_patient_msgs, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      c.id,
      c.patient,
      c.doctor,
      c.status ?? 'inProgress',
      Date.now(),
      c.maxPatientMessages ?? null,
      c.endsAt ?? null,
    );
    yield* run('INSERT INTO conversations (id, scene, team_id, team_name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', convId, 'team', c.id, this.cipher.sealName(c.teamName));
    for (const account of [c.patient, c.doctor]) yield* this.addMember(convId, account);
    return (yield* this.consultationOp(c.id)) as Consultation;
  }

  consultation(id: string): Promise<Consultation | undefined> {
    return this.read(this.consultationOp(id));
  }

  setConsultationStatus(id: string, status: ConsultationStatus): Promise<Consultation> {
    return this.write(this.setStatusOp(id, status));
  }

  private *setStatusOp(id: string, status: ConsultationStatus): Op<Consultation> {
    yield* run('UPDATE consultations SET status = ? WHERE id = ?', status, id);
    return (yield* this.consultationOp(id)) as Consultation;
  }

  async consultationsBetween(a: string, b: string): Promise<Consultation[]> {
    const rows = await this.read(
      all<ConsultationRow>(CONSULTATIONS_BETWEEN, a, b, b, a),
    );
    return rows.map((r) => toConsultation(r, this.cipher));
  }

  async revokeSessions(account: string, sid: string, at: number): Promise<void> {
    await this.write(run('INSERT INTO session_revocations (account, sid, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', account, sid, at));
  }

  async isSessionRevoked(account: string, sid: string | undefined, startedAt: number): Promise<boolean> {
    const row = await this.read(
      one("SELECT 1 AS one FROM session_revocations WHERE account = ? AND (sid = ? OR (sid = '*' AND at > ?)) LIMIT 1", account, sid ?? '', startedAt),
    );
    return row !== undefined;
  }

  async useLink(jti: string, at: number): Promise<boolean> {
    return (await this.write(run('INSERT INTO used_links (jti, used_at) VALUES (?, ?) ON CONFLICT DO NOTHING', jti, at))).changes === 1;
  }

  appendAudit(make: (prev: AuditRecord | undefined) => AuditRecord): Promise<AuditRecord> {
    return this.write(SqlStorage.appendAuditOp(make));
  }

  private static *appendAuditOp(make: (prev: AuditRecord | undefined) => AuditRecord): Op<AuditRecord> {
    yield* lock(AUDIT_LOCK);
    const last = yield* one<AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1');
    const rec = make(last && toAudit(last));
    yield* run(
      'INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      rec.seq,
      rec.at,
      rec.actor,
      rec.action,
      rec.target,
      rec.detail,
      rec.prevHash,
      rec.hash,
    );
    return rec;
  }

  async auditRecords(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return (await this.read(all<AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit))).map(toAudit);
  }

  purge(cutoffs: PurgeCutoffs): Promise<{ messages: number; fileIds: string[] }> {
    return this.write(SqlStorage.purgeOp(cutoffs));
  }

  private static *purgeOp(cutoffs: PurgeCutoffs): Op<{ messages: number; fileIds: string[] }> {
    const removed = yield* run("DELETE FROM messages WHERE time < ? AND (type <> 'custom' OR time < ?)", cutoffs.chatBefore, cutoffs.medicalBefore);
    const files = yield* all<{ id: string }>('DELETE FROM files WHERE created_at < ? RETURNING id', cutoffs.chatBefore);
    return { messages: removed.changes, fileIds: files.map((r) => r.id) };
  }

  async isConversationMember(convId: string, account: string): Promise<boolean> {
    return (await this.read(one('SELECT 1 AS one FROM conversation_members WHERE conv_id = ? AND account = ?', convId, account))) !== undefined;
  }

  async conversationMembers(convId: string): Promise<string[]> {
    return (await this.read(all<{ account: string }>('SELECT account FROM conversation_members WHERE conv_id = ? ORDER BY account', convId))).map((r) => r.account);
  }

  private *addMember(convId: string, account: string): Op<void> {
    yield* run('INSERT INTO conversation_members (conv_id, account) VALUES (?, ?) ON CONFLICT DO NOTHING', convId, account);
  }

  protected static byClientId(from: string, idClient: string): Op<MessageRow | undefined> {
    return one<MessageRow>('SELECT * FROM messages WHERE from_account = ? AND id_client = ?', from, idClient);
  }

  /**
   * One append inside the caller's transaction: once per (from, idClient); the next gap-free seq and a
   * time never below the conversation's last; the upload it refers to kept; the quota counted.
   */
  protected *appendOp(m: NewMessage): Op<Appended> {
    const existing = yield* SqlStorage.byClientId(m.from, m.idClient);
    if (existing) return { stored: toStored(existing, this.cipher), duplicate: true };
    yield* run('INSERT INTO conversations (id, scene) VALUES (?, ?) ON CONFLICT DO NOTHING', m.conv.id, m.scene);
    for (const account of m.members) yield* this.addMember(m.conv.id, account);
    const now = Date.now();
    const bumped = yield* one<{ last_seq: number; last_time: number }>(
      'UPDATE conversations SET last_seq = last_seq + 1, last_time = CASE WHEN last_time > ? THEN last_time ELSE ? END WHERE id = ? RETURNING last_seq, last_time',
      now,
      now,
      m.conv.id,
    );
    if (!bumped) throw new Error(`conversation ${m.conv.id} vanished`);
    const { row, stored } = newMessageRow(m, bumped.last_seq, bumped.last_time, this.cipher);
    const file = fileOf(m);
    if (file !== undefined && (yield* run('UPDATE files SET referenced = 1 WHERE id = ?', file)).changes === 0) throw fileGone();
    yield* run(
      `INSERT INTO messages (conv_id, seq, id_server, id_client, from_account, from_nick, scene, to_target, type, body, attach, time)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.conv_id,
      row.seq,
      row.id_server,
      row.id_client,
      row.from_account,
      row.from_nick,
      row.scene,
      row.to_target,
      row.type,
      row.body,
      row.attach,
      row.time,
    );
    const quota = quotaOf(m);
    if (quota !== undefined) yield* run('UPDATE consultations SET patient_msgs = patient_msgs + 1 WHERE id = ? AND patient = ?', quota, m.from);
    return { stored, duplicate: false };
  }

  /** Marks `target` recalled and appends the notice, in the caller's transaction. */
  protected *recallOp(target: StoredMessage, notice: NewMessage): Op<Appended> {
    yield* run(
      'UPDATE messages SET recalled_at = COALESCE(recalled_at, ?) WHERE conv_id = ? AND from_account = ? AND id_client = ?',
      Date.now(),
      target.convId,
      target.from,
      target.idClient,
    );
    return yield* this.appendOp(notice);
  }

  async findMessage(convId: string, from: string, idClient: string): Promise<StoredMessage | undefined> {
    const row = await this.read(SqlStorage.byClientId(from, idClient));
    return row && row.conv_id === convId ? toStored(row, this.cipher) : undefined;
  }

  async history(convId: string, beforeSeq: number | undefined, limit: number): Promise<StoredMessage[]> {
    const rows = await this.read(
      beforeSeq === undefined
        ? all<MessageRow>('SELECT * FROM (SELECT * FROM messages WHERE conv_id = ? ORDER BY seq DESC LIMIT ?) m ORDER BY seq', convId, limit)
        : all<MessageRow>('SELECT * FROM (SELECT * FROM messages WHERE conv_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) m ORDER BY seq', convId, beforeSeq, limit),
    );
    return rows.map((r) => toStored(r, this.cipher));
  }

  async after(convId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    const rows = await this.read(all<MessageRow>('SELECT * FROM messages WHERE conv_id = ? AND seq > ? ORDER BY seq LIMIT ?', convId, afterSeq, limit));
    return rows.map((r) => toStored(r, this.cipher));
  }

  markRead(convId: string, account: string, seq: number): Promise<{ readSeq: number; raised: boolean }> {
    return this.write(SqlStorage.markReadOp(convId, account, seq));
  }

  private static *markReadOp(convId: string, account: string, seq: number): Op<{ readSeq: number; raised: boolean }> {
    // A cursor past the newest message would hide messages that arrive later.
    const conv = yield* one<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = ?', convId);
    const target = Math.min(seq, conv?.last_seq ?? 0);
    const raised = yield* one<{ read_seq: number }>(
      'UPDATE conversation_members SET read_seq = ? WHERE conv_id = ? AND account = ? AND read_seq < ? RETURNING read_seq',
      target,
      convId,
      account,
      target,
    );
    if (raised) return { readSeq: raised.read_seq, raised: true };
    const current = yield* one<{ read_seq: number }>('SELECT read_seq FROM conversation_members WHERE conv_id = ? AND account = ?', convId, account);
    return { readSeq: current?.read_seq ?? 0, raised: false };
  }

  /**
   * The sessions list runs on every sync: five set queries for all of an account's conversations
   * (rows, other members' cursors, last messages, consultations, unread counts), whatever their number.
   */
  conversationsOf(account: string): Promise<ConversationSummary[]> {
    return this.read(this.conversationsOp(account));
  }

  private *conversationsOp(account: string): Op<ConversationSummary[]> {
    const convs = yield* all<ConversationRow>(
      `SELECT c.id, c.scene, c.team_id, c.team_name, c.last_seq, m.read_seq
       FROM conversation_members m JOIN conversations c ON c.id = m.conv_id
       WHERE m.account = ? ORDER BY c.last_time DESC, c.id`,
      account,
    );
    const others = yield* all<{ conv_id: string; account: string; read_seq: number }>(MY_OTHERS, account, account);
    const lasts = yield* all<MessageRow>(MY_LASTS, account);
    const consultations = yield* all<ConsultationRow>(MY_CONSULTATIONS, account);
    // Notifications (recalls) are bookkeeping, not something to read.
    const unread = yield* all<{ conv_id: string; n: number }>(
      `SELECT u.conv_id, COUNT(*) AS n FROM messages u JOIN conversation_members m ON m.conv_id = u.conv_id AND m.account = ?
       WHERE u.seq > m.read_seq AND u.from_account <> ? AND u.type <> 'notification' GROUP BY u.conv_id`,
      account,
      account,
    );
    const othersOf = new Map<string, Array<{ account: string; read_seq: number }>>();
    for (const o of others) othersOf.set(o.conv_id, [...(othersOf.get(o.conv_id) ?? []), o]);
    const lastOf = new Map(lasts.map((r) => [r.conv_id, r]));
    const consultationOf = new Map(consultations.map((r) => [r.id, r]));
    const unreadOf = new Map(unread.map((r) => [r.conv_id, Number(r.n)]));
    return convs.map((c) =>
      toSummary(
        c,
        {
          others: othersOf.get(c.id) ?? [],
          last: lastOf.get(c.id),
          consultation: c.team_id ? consultationOf.get(c.team_id) : undefined,
          unread: unreadOf.get(c.id) ?? 0,
        },
        this.cipher,
      ),
    );
  }

  async putFile(f: StoredFile): Promise<void> {
    await this.write(
      run(
        'INSERT INTO files (id, owner, kind, name, ext, mime, size, w, h, dur, thumb, created_at, referenced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)',
        f.id,
        f.owner,
        f.kind,
        this.cipher.sealName(f.name),
        f.ext,
        f.mime,
        f.size,
        f.w ?? null,
        f.h ?? null,
        f.dur ?? null,
        f.thumb ? 1 : 0,
        f.createdAt,
      ),
    );
  }

  async getFile(id: string): Promise<StoredFile | undefined> {
    const row = await this.read(one<FileRow>('SELECT * FROM files WHERE id = ?', id));
    return row && toFile(row, this.cipher);
  }

  async uploadsSince(owner: string, since: number): Promise<{ count: number; bytes: number }> {
    const row = await this.read(
      one<{ count: number; bytes: number }>(
        'SELECT COUNT(*) AS count, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM files WHERE owner = ? AND created_at >= ?',
        owner,
        since,
      ),
    );
    return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  bindMiniapp(b: MiniappBinding): Promise<{ previous?: string }> {
    return this.write(this.bindMiniappOp(b));
  }

  /** Rows under older data keys' MACs go too, so that one user never has two bindings. */
  private *bindMiniappOp(b: MiniappBinding): Op<{ previous?: string }> {
    const found = yield* one<{ account: string }>(`SELECT account FROM miniapp_bindings WHERE ${BY_MAC(b.openidMacs)}`, b.platform, b.appid, ...b.openidMacs);
    yield* run(`DELETE FROM miniapp_bindings WHERE ${BY_MAC(b.openidMacs.slice(1))}`, b.platform, b.appid, ...b.openidMacs.slice(1));
    yield* run(
      `INSERT INTO miniapp_bindings (platform, appid, openid_mac, openid, unionid, account, bound_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (platform, appid, openid_mac) DO UPDATE SET openid = excluded.openid, unionid = excluded.unionid, account = excluded.account, bound_at = excluded.bound_at`,
      b.platform,
      b.appid,
      b.openidMacs[0],
      this.cipher.seal(b.openid),
      b.unionid === undefined ? null : this.cipher.seal(b.unionid),
      b.account,
      b.boundAt,
    );
    return found && found.account !== b.account ? { previous: found.account } : {};
  }

  async miniappAccount(platform: string, appid: string, openidMacs: string[]): Promise<string | undefined> {
    return (await this.read(one<{ account: string }>(`SELECT account FROM miniapp_bindings WHERE ${BY_MAC(openidMacs)}`, platform, appid, ...openidMacs)))?.account;
  }

  async unbindMiniapp(platform: string, appid: string, openidMacs: string[], account: string): Promise<boolean> {
    const removed = await this.write(run(`DELETE FROM miniapp_bindings WHERE ${BY_MAC(openidMacs)} AND account = ?`, platform, appid, ...openidMacs, account));
    return removed.changes > 0;
  }

  async unbindMiniappAll(account: string): Promise<number> {
    return (await this.write(run('DELETE FROM miniapp_bindings WHERE account = ?', account))).changes;
  }

  async miniappBindingsOf(account: string): Promise<Array<Omit<MiniappBinding, 'openidMacs'>>> {
    const rows = await this.read(
      all<{ platform: string; appid: string; openid: string; unionid: string | null; bound_at: number }>(
        'SELECT platform, appid, openid, unionid, bound_at FROM miniapp_bindings WHERE account = ? ORDER BY bound_at, platform, appid',
        account,
      ),
    );
    return rows.map((r) => ({
      platform: r.platform,
      appid: r.appid,
      openid: this.cipher.open(r.openid),
      ...(r.unionid === null ? {} : { unionid: this.cipher.open(r.unionid) }),
      account,
      boundAt: r.bound_at,
    }));
  }

  async platformToken(name: string): Promise<{ token: string; expiresAt: number } | undefined> {
    const row = await this.read(one<{ token: string; expires_at: number }>('SELECT token, expires_at FROM platform_tokens WHERE name = ?', name));
    return row && { token: this.cipher.open(row.token), expiresAt: row.expires_at };
  }

  async putPlatformToken(name: string, token: string, expiresAt: number): Promise<void> {
    await this.write(
      run(
        'INSERT INTO platform_tokens (name, token, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at',
        name,
        this.cipher.seal(token),
        expiresAt,
      ),
    );
  }

  async removeOrphanFiles(before: number): Promise<string[]> {
    return (await this.write(all<{ id: string }>('DELETE FROM files WHERE referenced = 0 AND created_at < ? RETURNING id', before))).map((r) => r.id);
  }
}
