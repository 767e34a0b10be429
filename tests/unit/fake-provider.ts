/** An ImProvider whose every call a test scripts, with events the test emits. */
import type { Ack, Message, OutgoingMessage, SessionSummary } from '../../types/message';
import type { SessionsFound } from '../../types/protocol';
import { Emitter } from '../../src/im/emitter';
import type { ImProvider, ProviderEvents, SearchPage, SearchQuery, SyncResult } from '../../src/im/types';

/** The doctor's text number `seq` of team-c1, as the server stores it. */
export const storedText = (seq: number): Message => ({
  scene: 'team',
  sessionId: 'team-c1',
  to: 'c1',
  from: 'd1',
  type: 'text',
  body: `m${seq}`,
  idClient: `m${seq}`,
  seq,
  time: 1_000 + seq,
  status: 'unread',
});

/** A team session's summary as the server sends it, `lastSeq` as given. */
export const summaryOf = (id: string, lastSeq = 0): SessionSummary => ({
  id,
  scene: 'team',
  to: id.slice(5),
  name: '冯女士',
  unread: 0,
  lastSeq,
  readSeq: 0,
  peerReadSeq: 0,
  memberReads: {},
  peerDeliveredSeq: 0,
});

export class FakeProvider implements ImProvider {
  readonly seqKind = 'gapFree';
  readonly events = new Emitter<ProviderEvents>();
  readonly sent: OutgoingMessage[] = [];
  send = jest.fn(async (msg: OutgoingMessage): Promise<Ack> => {
    this.sent.push(msg);
    return { idClient: msg.idClient, idServer: `s-${msg.idClient}`, sessionId: `${msg.scene}-${msg.to}`, seq: this.sent.length, time: 1_000 + this.sent.length };
  });
  sync = jest.fn(async (_cursors: Record<string, number>): Promise<SyncResult> => ({ msgs: [], sessions: [], complete: true }));
  sessions = jest.fn(async (_ids: string[]): Promise<SessionsFound> => ({ sessions: [], gone: [] }));
  connect = jest.fn(async () => ({ account: 'p1', name: '李女士', role: 'patient' as const }));
  disconnect = jest.fn();
  upload = jest.fn();
  history = jest.fn(async (_sessionId: string, _before: number | undefined, _limit: number) => ({ msgs: [] as Message[], hasMore: false }));
  markRead = jest.fn(async () => undefined);
  delivered = jest.fn(async (_sessionId: string, _seq: number) => undefined);
  search = jest.fn(async (_q: SearchQuery): Promise<SearchPage> => ({ hits: [] }));
  presenceVisible = jest.fn(async (visible?: boolean) => visible ?? true);
  forward = jest.fn();
  recall = jest.fn();
  changeConsultation = jest.fn();
  encounter = jest.fn();
  typing = jest.fn();
  resume = jest.fn();
  on<E extends keyof ProviderEvents>(event: E, handler: ProviderEvents[E]): () => void {
    return this.events.on(event, handler);
  }
}

/** Lets every pending promise callback run (fake timers do not move microtasks). */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
