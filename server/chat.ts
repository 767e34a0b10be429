/**
 * What an authenticated account may do with conversations, independent of the transport.
 * Every operation checks membership first: nobody reads or writes a conversation they are not in.
 */
import type { CardDraft, CardKind } from '../types/cards';
import type { Account, Ack, Message, MessageType, OutgoingMessage, SessionSummary } from '../types/message';
import { parseSessionId, RECALL_WINDOW_MS, recalledView } from '../types/message';
import { ClientError } from './errors';
import type { FileService } from './files/service';
import type { ConversationRef, Storage, StoredMessage } from './storage/types';
import { p2pConvId, teamConvId } from './storage/types';

type AttachView = (type: Message['type'], attach: Record<string, unknown>) => Record<string, unknown>;

/**
 * A stored message as one viewer sees it: session ids are relative to the viewer, as in NIM; file
 * attachments get their signed URLs through `attachView`.
 */
export function viewOf(m: StoredMessage, viewer: string, attachView?: AttachView): Message {
  const own = m.from === viewer;
  const view: Message = {
    scene: m.scene,
    sessionId: m.scene === 'team' ? `team-${m.to}` : `p2p-${own ? m.to : m.from}`,
    from: m.from,
    ...(m.fromNick ? { fromNick: m.fromNick } : {}),
    to: m.to,
    type: m.type,
    body: m.body,
    ...(m.attach ? { attach: attachView ? attachView(m.type, m.attach) : m.attach } : {}),
    idClient: m.idClient,
    idServer: m.idServer,
    seq: m.seq,
    time: m.time,
    status: own ? 'sent' : 'unread',
  };
  return m.recalledAt !== undefined ? recalledView(view, viewer) : view;
}

export const ackOf = (m: StoredMessage, viewer: string): Ack => ({
  idClient: m.idClient,
  idServer: m.idServer,
  sessionId: viewOf(m, viewer).sessionId,
  seq: m.seq,
  time: m.time,
});

/** Older messages per sync reply and session; clients page further back with history. */
const SYNC_LIMIT_PER_SESSION = 500;

const MEDIA_TYPES = new Set<MessageType>(['image', 'audio', 'video', 'file']);
/** Cards are clinical documents: only the doctor writes them. */
const DOCTOR_ONLY_CARDS = new Set<CardKind>(['prescription', 'labRequest', 'followUp', 'summary']);

export class ChatService {
  constructor(
    private readonly storage: Storage,
    private readonly files: FileService,
    private readonly now: () => number = Date.now,
  ) {}

  view(m: StoredMessage, viewer: string): Message {
    return viewOf(m, viewer, (type, attach) => this.files.withUrls(type, attach));
  }

  /** The attach to store: uploads resolved to what the server measured, cards stamped by the server. */
  private async attachToStore(me: Account, msg: OutgoingMessage): Promise<Record<string, unknown> | undefined> {
    if (MEDIA_TYPES.has(msg.type)) {
      const stored = await this.files.resolve(me.account, msg.type, String(msg.attach?.fileId));
      if (msg.type === 'audio' && stored.dur === undefined) {
        throw new ClientError('invalidMessage', 'attach: a voice message needs its duration (upload with dur)');
      }
      return stored;
    }
    if (msg.type === 'custom') {
      const draft = msg.attach as CardDraft;
      if (DOCTOR_ONLY_CARDS.has(draft.card) && me.role !== 'doctor') {
        throw new ClientError('forbidden', '只有医生可以发送处方、检查单、复诊提醒和问诊小结');
      }
      return { ...draft, doctor: me.name, issuedAt: this.now() };
    }
    return msg.attach;
  }

  /** Resolves a viewer-relative session id to the conversation, or throws forbidden/notFound. */
  async conversationFor(me: string, sessionId: string): Promise<ConversationRef> {
    const parsed = parseSessionId(sessionId);
    if (!parsed) throw new ClientError('badFrame', `bad session id ${sessionId}`);
    if (parsed.scene === 'team') {
      const id = teamConvId(parsed.to);
      if (!(await this.storage.isConversationMember(id, me))) {
        throw new ClientError('forbidden', 'you are not a member of this conversation');
      }
      return { id, scene: 'team', teamId: parsed.to };
    }
    if (parsed.to === me) throw new ClientError('forbidden', 'cannot chat with yourself');
    if (!(await this.storage.getAccount(parsed.to))) throw new ClientError('notFound', 'no such account');
    if (!(await this.storage.shareTeam(me, parsed.to))) {
      throw new ClientError('forbidden', 'p2p chat is only open to members of a shared consultation');
    }
    return { id: p2pConvId(me, parsed.to), scene: 'p2p', members: [me, parsed.to] };
  }

  async send(me: Account, msg: OutgoingMessage): Promise<{ stored: StoredMessage; duplicate: boolean }> {
    const conv = await this.conversationFor(me.account, `${msg.scene}-${msg.to}`);
    const existing = await this.storage.findMessage(conv.id, me.account, msg.idClient);
    if (existing) return { stored: existing, duplicate: true };
    const attach = await this.attachToStore(me, msg);
    return this.storage.appendMessage({
      conv,
      idClient: msg.idClient,
      from: me.account,
      fromNick: me.name,
      scene: msg.scene,
      to: msg.to,
      type: msg.type,
      body: msg.body,
      attach,
      members: conv.members ?? [],
    });
  }

  async history(me: string, sessionId: string, beforeSeq: number | undefined, limit: number) {
    const conv = await this.conversationFor(me, sessionId);
    const rows = await this.storage.history(conv.id, beforeSeq, limit + 1);
    const hasMore = rows.length > limit;
    return { msgs: rows.slice(hasMore ? 1 : 0).map((m) => this.view(m, me)), hasMore };
  }

  async sessions(me: string): Promise<SessionSummary[]> {
    const convs = await this.storage.conversationsOf(me);
    return Promise.all(
      convs.map(async (c): Promise<SessionSummary> => {
        const consultation = c.consultation;
        const counterpart = consultation
          ? me === consultation.patient
            ? consultation.doctor
            : consultation.patient
          : c.peer;
        const name = counterpart ? ((await this.storage.getAccount(counterpart))?.name ?? counterpart) : c.teamName;
        const to = c.scene === 'team' ? (c.teamId as string) : (c.peer as string);
        return {
          id: `${c.scene}-${to}`,
          scene: c.scene,
          to,
          name: name ?? to,
          unread: c.unread,
          lastSeq: c.lastSeq,
          readSeq: c.readSeq,
          peerReadSeq: c.peerReadSeq,
          memberReads: c.memberReads,
          ...(c.lastMsg ? { lastMsg: this.view(c.lastMsg, me) } : {}),
          ...(consultation
            ? {
                consultation: {
                  id: consultation.id,
                  status: consultation.status,
                  patient: consultation.patient,
                  doctor: consultation.doctor,
                },
              }
            : {}),
        };
      }),
    );
  }

  /** Everything after each cursor (sessions the client does not know start from 0), and the sessions. */
  async sync(me: string, cursors: Record<string, number>) {
    const sessions = await this.sessions(me);
    const msgs: Message[] = [];
    let complete = true;
    for (const s of sessions) {
      const cursor = cursors[s.id] ?? Math.max(0, s.lastSeq - SYNC_LIMIT_PER_SESSION);
      if (s.lastSeq <= cursor) continue;
      const conv = await this.conversationFor(me, s.id);
      const rows = await this.storage.after(conv.id, cursor, SYNC_LIMIT_PER_SESSION);
      for (const m of rows) msgs.push(this.view(m, me));
      if (rows.length === SYNC_LIMIT_PER_SESSION) complete = false;
    }
    return { msgs, sessions, complete };
  }

  /**
   * Only the sender, only within the window. The recall is stored as a notification message so every
   * device learns of it through push, sync or history; retrying returns the same notice.
   */
  async recall(me: Account, sessionId: string, idClient: string): Promise<{ notice: StoredMessage; duplicate: boolean }> {
    const conv = await this.conversationFor(me.account, sessionId);
    const target = await this.storage.findMessage(conv.id, me.account, idClient);
    if (!target) throw new ClientError('notFound', 'no message of yours with this idClient in this session');
    if (target.type === 'notification') throw new ClientError('forbidden', 'notifications cannot be recalled');
    if (target.recalledAt === undefined && this.now() - target.time > RECALL_WINDOW_MS) {
      throw new ClientError('recallExpired', `messages can only be recalled within ${RECALL_WINDOW_MS / 60_000} minutes`);
    }
    const { stored, duplicate } = await this.storage.recall(target, {
      conv,
      // ':' never occurs in client idClients, so no client message can take this id first.
      idClient: `recall:${idClient}`,
      from: me.account,
      fromNick: me.name,
      scene: target.scene,
      to: target.to,
      type: 'notification',
      body: '',
      attach: { recall: { idClient, by: me.account } },
      members: conv.members ?? [],
    });
    return { notice: stored, duplicate };
  }

  async markRead(me: string, sessionId: string, seq: number) {
    const conv = await this.conversationFor(me, sessionId);
    const readSeq = await this.storage.markRead(conv.id, me, seq);
    return { conv, readSeq };
  }
}
