/**
 * Transfer (转诊, issue 17): the consultation's doctor hands it to another doctor of the hospital.
 * Who may, and what each doctor may do afterwards, is types/transfer.ts; the storage moves the
 * consultation's doctor and the conversation's members in one transaction, so every place that asks
 * "is this the consultation's doctor" (the write gate, p2p, the sessions list, notifications) follows.
 */
import type { Account } from '../types/message';
import { DOCTORS_LIMITS, doctorMatches, type TransferTarget, transferRefusal } from '../types/transfer';
import type { Audit } from './audit';
import type { ChatService } from './chat';
import { ClientError } from './errors';
import { refusal } from './refusal';
import type { Storage } from './storage/types';

export class TransferService {
  constructor(
    private readonly storage: Storage,
    private readonly chat: ChatService,
    private readonly audit: Audit,
  ) {}

  /**
   * The doctors `me` may transfer to: the hospital's others, filtered by name. Names are sealed at
   * rest, so the filter runs on the opened directory rather than in SQL.
   */
  async doctors(me: Account, filter = '', limit: number = DOCTORS_LIMITS.list): Promise<TransferTarget[]> {
    const all = await this.storage.doctorDirectory();
    return all.filter((d) => d.account !== me.account && doctorMatches(d, filter)).slice(0, limit);
  }

  async transfer(me: Account, sessionId: string, toAccount: string) {
    const conv = await this.chat.conversationFor(me.account, sessionId);
    const c = conv.teamId !== undefined ? await this.storage.consultation(conv.teamId) : undefined;
    if (!c) throw new ClientError('notFound', 'only a consultation is transferred');
    const to = await this.storage.getAccount(toAccount);
    const refused = transferRefusal(me, c, to);
    if (refused === 'notDoctor') throw new ClientError('forbidden', '只有本次问诊的医生可以转诊');
    if (refused === 'closed') throw refusal(c.status === 'cancelled' ? 'cancelled' : 'closed', c);
    if (refused === 'notADoctor') throw new ClientError('notFound', '没有这位医生');
    if (refused === 'sameDoctor') throw new ClientError('invalidTransition', '不能转诊给自己');
    const target = to as Account;
    const before = await this.storage.transfersOf(c.id);
    const moved = await this.audit.stored(
      this.storage.transferConsultation(
        c.id,
        me.account,
        target.account,
        {
          conv,
          // ':' never occurs in client idClients; one notice per transfer of this consultation.
          idClient: `transfer:${c.id}:${before.length + 1}`,
          from: me.account,
          fromNick: me.name,
          scene: 'team',
          to: c.id,
          type: 'notification',
          body: `${me.name}已将本次问诊转给${target.name}`,
          attach: { transfer: { from: me.account, to: target.account, toName: target.name } },
          members: [],
        },
        ({ transfer }) => this.audit.entry(me.account, 'consultation.transfer', c.id, { from: me.account, to: target.account, atSeq: transfer.atSeq }),
      ),
    );
    if (!moved) throw new ClientError('invalidTransition', '问诊已变化，请刷新后再转诊');
    return moved;
  }
}
