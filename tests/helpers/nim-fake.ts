/**
 * A scripted stand-in for NetEase's cloud and the SDK instances talking to it, so the NIM provider runs
 * here without the network. Every instance implements `NimSdk`, which is picked from nim-web-sdk-ng's
 * own declarations: a method or event the SDK renames or retypes fails to compile here.
 *
 * What it models, after NIM's documented behaviour: token login; a second login of an account kicks
 * the first (samePlatformKick); live `msg` events; messages for an offline account queued and handed
 * over on login as `syncOfflineMsgs` before `sessions` and `syncdone`; dedup by sender + idClient;
 * history newest first up to an inclusive endTime; recall as a system message to the others; p2p and
 * team read receipts as `msgReceipts`; unread counts per session.
 */
import type { IMMessage, TMsgScene } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/MsgServiceInterface';
import type { NIMInitializeOptions } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/NIMInterface';
import type { Session } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/SessionServiceInterface';
import type { SystemMessage } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/SystemMessageServiceInterface';
import type { UploadFileResult } from 'nim-web-sdk-ng/dist/v2/NIM_MINIAPP_SDK/CloudStorageServiceInterface';
import type { CreateNim, NimEvents, NimSdk } from '../../src/im/nim/sdk';

/** What the SDK rejects with (V2NIMError's shape). */
export class FakeNimError extends Error {
  constructor(
    readonly code: number,
    readonly desc: string,
  ) {
    super(desc);
  }
}

/** NIM's limit on a text body. */
const MAX_BODY = 5000;

type Draft = Pick<IMMessage, 'scene' | 'to' | 'type' | 'body' | 'attach' | 'idClient' | 'threadMessageInfo'>;

/**
 * What the SDK puts on a message sent with `replyMsg`: the reference only (NIM makes no excerpt), and
 * the thread root (the replied message's own root, or the replied message itself).
 */
function threadOf(replyMsg: IMMessage | undefined): Pick<Draft, 'threadMessageInfo'> {
  if (!replyMsg) return {};
  const root = replyMsg.threadMessageInfo;
  return {
    threadMessageInfo: {
      replyMsgFromAccount: replyMsg.from,
      replyMsgToAccount: replyMsg.to,
      replyMsgTime: replyMsg.time,
      replyMsgIdServer: replyMsg.idServer,
      replyMsgIdClient: replyMsg.idClient,
      threadMsgFromAccount: root?.threadMsgFromAccount ?? replyMsg.from,
      threadMsgToAccount: root?.threadMsgToAccount ?? replyMsg.to,
      threadMsgTime: root?.threadMsgTime ?? replyMsg.time,
      threadMsgIdServer: root?.threadMsgIdServer ?? replyMsg.idServer,
      threadMsgIdClient: root?.threadMsgIdClient ?? replyMsg.idClient,
    },
  };
}

export class FakeNimCloud {
  private readonly tokens = new Map<string, string>();
  private readonly nicks = new Map<string, string>();
  private readonly teams = new Map<string, string[]>();
  private readonly online = new Map<string, FakeNim>();
  /** Canonical copies, from the sender's side. */
  private readonly stored: IMMessage[] = [];
  private readonly offline = new Map<string, IMMessage[]>();
  private readonly sessions = new Map<string, Map<string, Session>>();
  private nextId = 1;
  /** How many messages were actually stored (not deduplicated). */
  get storedCount(): number {
    return this.stored.length;
  }

  /** The newest instance of each account (the device a test switches off and on). */
  private readonly latest = new Map<string, FakeNim>();

  readonly create: CreateNim = (options) => {
    const instance = new FakeNim(this, options);
    this.latest.set(options.account ?? '', instance);
    return instance;
  };

  addAccount(account: string, nick: string): void {
    this.nicks.set(account, nick);
  }

  /** NetEase's server API issued `token` for `account` (see nim-stub). */
  setToken(account: string, token: string): void {
    this.tokens.set(account, token);
  }

  addTeam(teamId: string, members: string[]): void {
    this.teams.set(teamId, members);
  }

  login(instance: FakeNim, account: string, token: string | undefined): void {
    if (!token || this.tokens.get(account) !== token) throw new FakeNimError(302, 'The user name or password is incorrect.');
    const old = this.online.get(account);
    this.online.set(account, instance);
    if (old && old !== instance) old.emit('kicked', { reason: 'samePlatformKick', message: 'logged in elsewhere', clientType: 'Web' } as NimEvents['kicked'][0]);
    // Like the SDK: the login resolves first, the sync follows as events.
    setTimeout(() => {
      if (this.online.get(account) !== instance) return;
      instance.emit('logined', { connectionId: `c${this.nextId++}`, ip: '127.0.0.1', port: '0' } as NimEvents['logined'][0]);
      const queued = this.offline.get(account) ?? [];
      this.offline.delete(account);
      const bySession = new Map<string, IMMessage[]>();
      for (const m of queued) bySession.set(m.sessionId, [...(bySession.get(m.sessionId) ?? []), m]);
      for (const [sessionId, msgs] of bySession) instance.emit('syncOfflineMsgs', { sessionId, msgs, timetag: Date.now() });
      instance.emit('sessions', [...(this.sessions.get(account)?.values() ?? [])]);
      instance.emit('syncdone');
    }, 5);
  }

  logout(instance: FakeNim, account: string): void {
    if (this.online.get(account) === instance) this.online.delete(account);
  }

  /** The network of `account` drops (the SDK announces its reconnect) or comes back (login and sync again). */
  setOnline(account: string, online: boolean): void {
    const instance = this.latest.get(account);
    if (!instance) throw new Error(`${account} never connected`);
    if (!online) {
      this.logout(instance, account);
      instance.emit('willReconnect', { retryCount: 1, duration: 1000 });
    } else {
      this.login(instance, account, this.tokens.get(account));
    }
  }

  private members(scene: TMsgScene, to: string, from: string): string[] {
    if (scene === 'p2p') {
      if (!this.tokens.has(to)) throw new FakeNimError(404, 'account does not exist');
      return [from, to];
    }
    const team = this.teams.get(to);
    if (!team) throw new FakeNimError(803, 'The team does not exist');
    if (!team.includes(from)) throw new FakeNimError(804, 'The user is not in the team');
    return team;
  }

  /** The message as `viewer` sees it: NIM's sessionId and flow are viewer-relative. */
  private viewOf(m: IMMessage, viewer: string): IMMessage {
    const out = m.from === viewer;
    const peer = m.scene === 'p2p' ? (out ? m.to : m.from) : m.to;
    return { ...m, flow: out ? 'out' : 'in', target: peer, sessionId: `${m.scene}-${peer}`, status: out ? 'sent' : 'unread' };
  }

  send(from: string, draft: Draft): IMMessage {
    const members = this.members(draft.scene, draft.to, from);
    const dup = this.stored.find((m) => m.from === from && m.idClient === draft.idClient);
    if (dup) return this.viewOf(dup, from);
    if (draft.type === 'text' && (!draft.body || draft.body.length > MAX_BODY)) throw new FakeNimError(414, 'Parameter length too long');
    const time = Date.now();
    const msg: IMMessage = {
      ...draft,
      from,
      fromNick: this.nicks.get(from),
      idServer: String(this.nextId++),
      time,
      userUpdateTime: time,
      feature: 'default',
      flow: 'out',
      target: draft.to,
      sessionId: '',
      status: 'sent',
    };
    this.stored.push(msg);
    for (const account of members) {
      const view = this.viewOf(msg, account);
      this.touchSession(account, view);
      if (account === from) continue;
      const instance = this.online.get(account);
      if (instance) instance.emit('msg', view);
      else this.offline.set(account, [...(this.offline.get(account) ?? []), view]);
    }
    return this.viewOf(msg, from);
  }

  private touchSession(account: string, view: IMMessage): void {
    const list = this.sessions.get(account) ?? new Map<string, Session>();
    this.sessions.set(account, list);
    const s = list.get(view.sessionId);
    const unread = (s?.unread ?? 0) + (view.flow === 'in' ? 1 : 0);
    list.set(view.sessionId, { id: view.sessionId, scene: view.scene, to: view.target, unread, lastMsg: view, updateTime: view.time, ...(s?.msgReceiptTime ? { msgReceiptTime: s.msgReceiptTime } : {}) });
  }

  /** Newest first up to endTime (inclusive); lastMsgId continues right after that message, NIM's cursor. */
  history(viewer: string, scene: TMsgScene, to: string, opts: { endTime?: number; lastMsgId?: string; limit: number }): IMMessage[] {
    this.members(scene, to, viewer);
    const peerMatch = (m: IMMessage) => (scene === 'team' ? m.to === to : (m.from === viewer && m.to === to) || (m.from === to && m.to === viewer));
    let list = this.stored
      .filter((m) => m.scene === scene && peerMatch(m) && (!opts.endTime || m.time <= opts.endTime))
      .sort((a, b) => b.time - a.time || Number(b.idServer) - Number(a.idServer));
    if (opts.lastMsgId) list = list.slice(list.findIndex((m) => m.idServer === opts.lastMsgId) + 1);
    return list.slice(0, opts.limit).map((m) => this.viewOf(m, viewer));
  }

  recall(by: string, target: IMMessage): void {
    const i = this.stored.findIndex((m) => m.idClient === target.idClient && m.from === target.from);
    if (i < 0) throw new FakeNimError(404, 'message not found');
    if (this.stored[i].from !== by) throw new FakeNimError(403, 'only the sender can recall');
    const [m] = this.stored.splice(i, 1);
    const sys: SystemMessage = {
      type: m.scene === 'team' ? 'recallMsgTeam' : 'recallMsgP2p',
      from: by,
      to: m.to,
      time: Date.now(),
      idServer: String(this.nextId++),
      feature: 'default',
      recallMessageInfo: { idClient: m.idClient, idServer: m.idServer ?? '', createTime: m.time, fromNick: m.fromNick ?? '' },
    };
    for (const account of this.members(m.scene, m.to, by)) if (account !== by) this.online.get(account)?.emit('sysMsg', sys);
  }

  receipt(reader: string, msg: IMMessage): void {
    const original = this.stored.find((m) => m.idClient === msg.idClient && m.from === msg.from);
    if (!original) return;
    if (original.scene === 'p2p') {
      const s = this.sessions.get(original.from)?.get(`p2p-${reader}`);
      if (s) s.msgReceiptTime = original.time;
      this.online.get(original.from)?.emit('msgReceipts', [{ sessionId: `p2p-${reader}`, idClient: original.idClient, msgReceiptTime: original.time }]);
    } else {
      const team = this.teams.get(original.to) ?? [];
      this.online.get(original.from)?.emit('msgReceipts', [{ teamId: original.to, idServer: original.idServer ?? '', idClient: original.idClient, read: 1, unread: team.length - 2, account: reader }]);
    }
  }

  resetUnread(account: string, sessionId: string): Session | undefined {
    const s = this.sessions.get(account)?.get(sessionId);
    if (s) s.unread = 0;
    return s;
  }

  sessionList(account: string): Session[] {
    return [...(this.sessions.get(account)?.values() ?? [])];
  }

  customSysMsg(from: string, scene: TMsgScene, to: string, content: string): void {
    for (const account of this.members(scene, to, from)) {
      if (account === from) continue;
      this.online.get(account)?.emit('sysMsg', { type: scene === 'team' ? 'customTeam' : 'customP2p', from, to, content, time: Date.now(), idServer: String(this.nextId++), feature: 'default' });
    }
  }
}

type Handler = (...args: never[]) => void;

/** One SDK instance (one device of one account). */
export class FakeNim implements NimSdk {
  private readonly handlers = new Map<keyof NimEvents, Set<Handler>>();
  private readonly account: string;
  destroyed = false;

  constructor(
    private readonly cloud: FakeNimCloud,
    private readonly options: NIMInitializeOptions,
  ) {
    this.account = options.account ?? '';
  }

  on<E extends keyof NimEvents>(event: E, handler: (...args: NimEvents[E]) => void): void {
    const set = this.handlers.get(event) ?? new Set<Handler>();
    set.add(handler as Handler);
    this.handlers.set(event, set);
  }

  off<E extends keyof NimEvents>(event: E, handler: (...args: NimEvents[E]) => void): void {
    this.handlers.get(event)?.delete(handler as Handler);
  }

  emit<E extends keyof NimEvents>(event: E, ...args: NimEvents[E]): void {
    if (this.destroyed) return;
    for (const h of this.handlers.get(event) ?? []) (h as (...a: NimEvents[E]) => void)(...args);
  }

  async connect(): Promise<void> {
    this.cloud.login(this, this.account, this.options.token);
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    this.cloud.logout(this, this.account);
  }

  private sendDraft(draft: Draft): Promise<IMMessage> {
    return Promise.resolve().then(() => this.cloud.send(this.account, draft));
  }

  private fileDraft(o: { scene: TMsgScene; to: string; idClient?: string; attach?: UploadFileResult }, type: 'image' | 'audio' | 'video' | 'file') {
    if (!o.attach) return Promise.reject(new FakeNimError(414, 'the fake sends uploaded files only'));
    return this.sendDraft({ scene: o.scene, to: o.to, type, body: '', attach: { ...o.attach }, idClient: o.idClient ?? `nim-${Math.random()}` });
  }

  readonly msg: NimSdk['msg'] = {
    sendTextMsg: (o) => this.sendDraft({ scene: o.scene, to: o.to, type: 'text', body: o.body, idClient: o.idClient ?? `nim-${Math.random()}`, ...threadOf(o.replyMsg) }),
    sendTipMsg: (o) => this.sendDraft({ scene: o.scene, to: o.to, type: 'tip', body: o.body, idClient: o.idClient ?? `nim-${Math.random()}` }),
    sendGeoLocationMsg: (o) => this.sendDraft({ scene: o.scene, to: o.to, type: 'geo', body: '', attach: { ...o.attach }, idClient: o.idClient ?? `nim-${Math.random()}` }),
    sendCustomMsg: (o) => this.sendDraft({ scene: o.scene, to: o.to, type: 'custom', body: '', attach: { raw: o.attach }, idClient: o.idClient ?? `nim-${Math.random()}` }),
    sendImageMsg: (o) => this.fileDraft(o, 'image'),
    sendAudioMsg: (o) => this.fileDraft(o, 'audio'),
    sendVideoMsg: (o) => this.fileDraft(o, 'video'),
    sendFileMsg: (o) => this.fileDraft(o, 'file'),
    resendMsg: ({ msg }) => this.sendDraft(msg),
    forwardMsg: ({ scene, to, msg }) => this.sendDraft({ ...msg, scene, to, idClient: `fwd-${msg.idClient}` }),
    recallMsg: async ({ msg }) => {
      this.cloud.recall(this.account, msg);
      return msg;
    },
    sendMsgReceipt: async ({ msg }) => this.cloud.receipt(this.account, msg),
    sendTeamMsgReceipt: async ({ teamMsgReceipts }) => {
      for (const r of teamMsgReceipts) {
        const original = this.cloud.history(this.account, 'team', r.teamId, { limit: 10_000 }).find((m) => m.idClient === r.idClient);
        if (original) this.cloud.receipt(this.account, original);
      }
    },
  };

  readonly msgLog: NimSdk['msgLog'] = {
    getHistoryMsgs: async (o) => this.cloud.history(this.account, o.scene, o.to, { endTime: o.endTime, lastMsgId: o.lastMsgId, limit: o.limit ?? 100 }),
  };

  readonly session: NimSdk['session'] = {
    getSessions: () => this.cloud.sessionList(this.account),
    resetSessionUnreadCount: async ({ id }) => {
      const s = this.cloud.resetUnread(this.account, id);
      if (s) this.emit('updateSession', { ...s });
    },
  };

  private uploads = 0;
  readonly cloudStorage: NimSdk['cloudStorage'] = {
    uploadFile: async (o) => {
      const name = o.filePath?.split('/').pop() ?? o.file?.name ?? 'file';
      const ext = name.includes('.') ? (name.split('.').pop() ?? '') : '';
      o.onUploadProgress?.({ total: 100, loaded: 50, percentage: 50, percentageText: '50%' });
      o.onUploadProgress?.({ total: 100, loaded: 100, percentage: 100, percentageText: '100%' });
      const n = ++this.uploads;
      return { name, ext, url: `https://nos.fake/${this.account}/${n}/${name}`, size: 1024, md5: `md5-${this.account}-${n}`, ...(o.type === 'image' ? { w: 640, h: 480 } : {}) };
    },
  };

  readonly systemMessage: NimSdk['systemMessage'] = {
    sendCustomSysMsg: async (o) => this.cloud.customSysMsg(this.account, o.type === 'customTeam' ? 'team' : 'p2p', o.to, o.attach),
  };
}
