/**
 * Rows as both SQL adapters (sqlite.ts, postgres.ts) store them, with one set of column names, and
 * their mapping to the domain. Bodies and attachments are sealed by the Cipher before they are stored.
 */
import { v7 as uuidv7 } from 'uuid';
import { ClientError } from '../errors';
import type { MediaKind } from '../../types/media';
import { isMediaKind } from '../../types/media';
import type { ConsultationStatus, MessageType, Quote, Scene } from '../../types/message';
import type { Cipher } from '../crypto';
import { PREFIX } from '../crypto';
import type { IdentityRecord, IntakeCard } from '../../types/encounter';
import type { AuditRecord, Consultation, ConversationSummary, NewMessage, StoredFile, StoredMessage } from './types';
import { INTAKE_ID_PREFIX } from './types';

export interface MessageRow {
  conv_id: string;
  seq: number;
  id_server: string;
  id_client: string;
  from_account: string;
  from_nick: string | null;
  scene: Scene;
  to_target: string;
  type: MessageType;
  body: string;
  attach: string | null;
  time: number;
  recalled_at: number | null;
  /** A reply's quote, sealed JSON, and the seq it names. */
  quote: string | null;
  quote_seq: number | null;
}

export interface FileRow {
  id: string;
  owner: string;
  kind: MediaKind;
  name: string;
  ext: string;
  mime: string;
  size: number;
  w: number | null;
  h: number | null;
  dur: number | null;
  thumb: number;
  created_at: number;
}

export const toFile = (r: FileRow, cipher: Cipher): StoredFile => ({
  id: r.id,
  owner: r.owner,
  kind: r.kind,
  name: cipher.openName(r.name),
  ext: r.ext,
  mime: r.mime,
  size: r.size,
  ...(r.w !== null ? { w: r.w } : {}),
  ...(r.h !== null ? { h: r.h } : {}),
  ...(r.dur !== null ? { dur: r.dur } : {}),
  thumb: r.thumb === 1,
  createdAt: r.created_at,
});

export interface ConsultationRow {
  id: string;
  patient: string;
  doctor: string;
  status: ConsultationStatus;
  created_at: number;
  team_name: string;
  max_patient_msgs: number | null;
  ends_at: number | null;
  patient_msgs: number;
  accepted_at: number | null;
  closed_at: number | null;
  consent_version: string | null;
  consent_at: number | null;
  consent_by: 'hospital' | 'patient' | null;
  identity: string | null;
  candidates: string | null;
  intake: string | null;
  follow_up_msgs: number | null;
  follow_up_days: number | null;
  follow_ups: number;
}

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

export const toAudit = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  detail: r.detail,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export const toStored = (r: MessageRow, cipher: Cipher): StoredMessage => ({
  convId: r.conv_id,
  seq: r.seq,
  idServer: r.id_server,
  idClient: r.id_client,
  from: r.from_account,
  fromNick: r.from_nick === null ? undefined : cipher.openName(r.from_nick),
  scene: r.scene,
  to: r.to_target,
  type: r.type,
  body: r.body === '' ? '' : cipher.open(r.body),
  attach: r.attach ? (JSON.parse(cipher.open(r.attach)) as Record<string, unknown>) : undefined,
  time: r.time,
  ...(r.recalled_at !== null ? { recalledAt: r.recalled_at } : {}),
  ...(r.quote ? { quote: JSON.parse(cipher.open(r.quote)) as Quote } : {}),
});

export const toConsultation = (r: ConsultationRow, cipher: Cipher): Consultation => ({
  id: r.id,
  teamName: cipher.openName(r.team_name),
  patient: r.patient,
  doctor: r.doctor,
  status: r.status,
  createdAt: r.created_at,
  ...(r.max_patient_msgs !== null ? { maxPatientMessages: r.max_patient_msgs } : {}),
  ...(r.ends_at !== null ? { endsAt: r.ends_at } : {}),
  patientMessages: r.patient_msgs,
  ...encounterOf(r, cipher),
});

/** The encounter columns of a consultation row (sealed JSON opened); the admission rule reads the plain ones. */
export function encounterOf(
  r: Omit<ConsultationRow, 'id' | 'team_name' | 'created_at' | 'patient' | 'doctor' | 'status' | 'max_patient_msgs' | 'ends_at' | 'patient_msgs'>,
  cipher?: Cipher,
): Pick<Consultation, 'acceptedAt' | 'closedAt' | 'consent' | 'followUp' | 'followUps' | 'identity' | 'candidates' | 'intake'> {
  const sealed = <T>(v: string | null): T | undefined => (v === null || !cipher ? undefined : (JSON.parse(cipher.open(v)) as T));
  const identity = sealed<IdentityRecord>(r.identity);
  const candidates = sealed<IdentityRecord[]>(r.candidates);
  const intake = sealed<IntakeCard>(r.intake);
  return {
    ...(r.accepted_at !== null ? { acceptedAt: Number(r.accepted_at) } : {}),
    ...(r.closed_at !== null ? { closedAt: Number(r.closed_at) } : {}),
    ...(r.consent_at !== null && r.consent_version !== null ? { consent: { version: r.consent_version, acceptedAt: Number(r.consent_at), by: r.consent_by ?? 'patient' } } : {}),
    ...(r.follow_up_msgs !== null && r.follow_up_days !== null ? { followUp: { messages: Number(r.follow_up_msgs), days: Number(r.follow_up_days) } } : {}),
    followUps: Number(r.follow_ups),
    ...(identity ? { identity } : {}),
    ...(candidates ? { candidates } : {}),
    ...(intake ? { intake } : {}),
  };
}


/** One row of an account's conversations, with what the sessions list needs around it. */
export interface ConversationRow {
  id: string;
  scene: Scene;
  team_id: string | null;
  team_name: string | null;
  last_seq: number;
  read_seq: number;
  delivered_seq: number;
}

export function toSummary(
  c: ConversationRow,
  parts: { others: Array<{ account: string; read_seq: number; delivered_seq: number }>; last?: MessageRow; consultation?: ConsultationRow; unread: number },
  cipher: Cipher,
): ConversationSummary {
  const { others } = parts;
  return {
    convId: c.id,
    scene: c.scene,
    teamId: c.team_id ?? undefined,
    teamName: c.team_name === null ? undefined : cipher.openName(c.team_name),
    peer: c.scene === 'p2p' ? others[0]?.account : undefined,
    lastSeq: c.last_seq,
    readSeq: c.read_seq,
    deliveredSeq: c.delivered_seq,
    peerReadSeq: others.length ? Math.min(...others.map((o) => o.read_seq)) : 0,
    memberReads: Object.fromEntries(others.map((o) => [o.account, o.read_seq])),
    peerDeliveredSeq: others.length ? Math.min(...others.map((o) => o.delivered_seq)) : 0,
    unread: parts.unread,
    lastMsg: parts.last ? toStored(parts.last, cipher) : undefined,
    consultation: parts.consultation ? toConsultation(parts.consultation, cipher) : undefined,
  };
}

/** What an append says when its file was swept (or purged) between upload and send. */
export const fileGone = (): ClientError => new ClientError('invalidMessage', 'attach.fileId: the upload has expired, upload it again');

/**
 * The consultation whose patient quota a new message counts against: the one the chat rules named (p2p)
 * or the team's own, unless the message is a system line (the UPDATE only matches when its sender is
 * the consultation's patient). The intake card the server stores (its id has a ':' no client id has) is
 * the form the consultation starts with, not a message of the quota: its request admits it
 * (server/encounter/service.ts); a copy forwarded by a client counts like any message.
 */

export const quotaOf = (m: NewMessage): string | undefined =>
  m.type === 'notification' || m.type === 'tip' || m.idClient.startsWith(INTAKE_ID_PREFIX) ? undefined : (m.consultationId ?? m.conv.teamId);

/**
 * The upload a new message refers to (media types only: any other type's attach names no file), which
 * the append marks referred to so that the orphan sweep keeps it.
 */
export function fileOf(m: NewMessage): string | undefined {
  const id = m.attach?.fileId;
  return isMediaKind(m.type) && typeof id === 'string' ? id : undefined;
}

/**
 * The row of a new message at `seq` and `time` (assigned by the adapter's seq bump), with body and
 * attach sealed, and the stored message it is, with them in the clear (no need to open what was just
 * sealed).
 */
export function newMessageRow(m: NewMessage, seq: number, time: number, cipher: Cipher): { row: MessageRow; stored: StoredMessage } {
  const row: MessageRow = {
    recalled_at: null,
    conv_id: m.conv.id,
    seq,
    // Time-ordered, so that its unique index grows at one end: a random id dirtied a random page of it per message.
    id_server: uuidv7(),
    id_client: m.idClient,
    from_account: m.from,
    from_nick: m.fromNick === undefined ? null : cipher.sealName(m.fromNick),
    scene: m.scene,
    to_target: m.to,
    type: m.type,
    body: m.body === '' ? '' : cipher.seal(m.body),
    attach: m.attach ? cipher.seal(JSON.stringify(m.attach)) : null,
    time,
    quote: m.quote ? sealQuote(m.quote, cipher) : null,
    quote_seq: m.quote?.seq ?? null,
  };
  const opened = toStored({ ...row, body: '', attach: null, from_nick: null, quote: null }, cipher);
  return { row, stored: { ...opened, fromNick: m.fromNick, body: m.body, attach: m.attach, ...(m.quote ? { quote: m.quote } : {}) } };
}

export const sealQuote = (q: Quote, cipher: Cipher): string => cipher.seal(JSON.stringify(q));

/**
 * Columns holding names of people, consultations and files: sealed like bodies. Rows stored before
 * they were sealed are sealed in place once by each adapter's upgrade (sealLegacyNames).
 */
export const NAME_COLUMNS = [
  { table: 'accounts', key: ['account'], column: 'name' },
  { table: 'conversations', key: ['id'], column: 'team_name' },
  { table: 'files', key: ['id'], column: 'name' },
  { table: 'messages', key: ['conv_id', 'seq'], column: 'from_nick' },
] as const;

/** Rows of a name column still in plaintext. */
export const legacyNameRows = ({ table, key, column }: (typeof NAME_COLUMNS)[number]): string =>
  `SELECT ${[...key, column].join(', ')} FROM ${table} WHERE ${column} IS NOT NULL AND ${column} NOT LIKE '${PREFIX}:%'`;
