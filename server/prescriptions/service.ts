/**
 * Prescriptions (issue 17): the consultation's doctor issues (signed by the hospital, pending), a
 * pharmacist reviews (approve, or reject with a reason the doctor answers with a corrected card), the
 * patient asks to renew an approved one. The rules are types/prescription.ts; every change is stored
 * as a message of the consultation (the card, the review notice, the renewal request) so sync and
 * history carry it. Audit records carry ids and states only, never drugs or diagnoses.
 */
import { randomUUID } from 'node:crypto';
import { closedReason } from '../../types/consultation';
import type { Account } from '../../types/message';
import { sessionIdOf } from '../../types/message';
import type { PrescriptionContent, PrescriptionDraft, PrescriptionRecord, PrescriptionState, ReviewDecision, RxCard } from '../../types/prescription';
import { maskIdentity } from '../../types/encounter';
import { forbiddenDrugs, issueRefusal, mayCorrect, mayRenew, prescriptionStates, REVIEW_RESULT, reviewIntakeOf } from '../../types/prescription';
import type { PharmacistItem } from '../../types/protocol';
import type { Audit } from '../audit';
import type { ChatService } from '../chat';
import { ClientError } from '../errors';
import { issueRefused, refusal } from '../refusal';
import type { ConversationRef, Storage, StoredMessage, StoredPrescription } from '../storage/types';
import type { RxSigner } from './signer';

/** The record as clients see it: without where the server keeps its card. */
export function recordOf({ convId: _c, seq: _s, ...record }: StoredPrescription): PrescriptionRecord {
  return record;
}

const statesOf = new WeakMap<readonly StoredMessage[], ReturnType<typeof prescriptionStates>>();

/**
 * The hospital record's card state (server/encounter/http.ts CardState): a prescription's review state
 * as the conversation's notices say it, which the review wrote in the same transaction as the table.
 */
export function rxCardState(card: StoredMessage, all: readonly StoredMessage[]): PrescriptionState | undefined {
  const id = card.attach?.card === 'rx' ? (card.attach as unknown as RxCard).rx.id : undefined;
  if (id === undefined) return undefined;
  let states = statesOf.get(all);
  if (!states) statesOf.set(all, (states = prescriptionStates(all)));
  return states.get(id)?.state;
}

const REVIEW_LINE: Record<Exclude<PrescriptionState, 'pending'>, string> = {
  approved: '处方已通过药师审核',
  rejected: '处方未通过药师审核，请医生修改',
};

export class PrescriptionService {
  constructor(
    private readonly storage: Storage,
    private readonly chat: ChatService,
    private readonly audit: Audit,
    private readonly signer: RxSigner,
    private readonly forbiddenCategories: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  private async consultationOf(me: Account, sessionId: string) {
    const conv = await this.chat.conversationFor(me.account, sessionId);
    const c = conv.teamId !== undefined ? await this.storage.consultation(conv.teamId) : undefined;
    if (!c) throw new ClientError('notFound', 'prescriptions are issued in a consultation');
    return { conv, c };
  }

  async prescribe(me: Account, f: { sessionId: string; idClient: string; rx: PrescriptionDraft }) {
    const { conv, c } = await this.consultationOf(me, f.sessionId);
    const existing = await this.storage.findMessage(conv.id, me.account, f.idClient);
    const earlier = existing && (existing.attach as Partial<RxCard> | undefined)?.rx?.id;
    if (existing) {
      const p = earlier !== undefined ? await this.storage.prescription(earlier) : undefined;
      if (!p) throw new ClientError('invalidMessage', 'this idClient was used for another message');
      return { stored: existing, prescription: p, duplicate: true };
    }
    const refused = issueRefusal(me, c);
    if (refused) throw issueRefused(refused, c);
    const banned = forbiddenDrugs(f.rx.drugs, this.forbiddenCategories);
    if (banned.length) {
      const which = banned.map((i) => `第 ${i + 1} 个药品（${f.rx.drugs[i].category}）`).join('、');
      throw new ClientError('drugNotAllowed', `${which}属于不得在互联网诊疗中开具的特殊管理药品`);
    }
    if (f.rx.corrects !== undefined) {
      const corrected = await this.storage.prescription(f.rx.corrects);
      if (!corrected || !mayCorrect(corrected, c.id)) throw new ClientError('invalidTransition', '只能更正本次问诊中未通过审核、尚未更正的处方');
    }
    const rx: PrescriptionContent = {
      ...f.rx,
      id: randomUUID(),
      consultationId: c.id,
      patient: c.patient,
      doctor: me.account,
      doctorName: me.name,
      issuedAt: this.now(),
    };
    const card: RxCard = { card: 'rx', rx, signature: this.signer.sign(rx) };
    return this.audit.stored(
      this.storage.issuePrescription(
        card,
        {
          conv,
          idClient: f.idClient,
          from: me.account,
          fromNick: me.name,
          scene: 'team',
          to: c.id,
          type: 'custom',
          body: '[处方]',
          attach: card as unknown as Record<string, unknown>,
          members: [],
          consultationId: c.id,
        },
        ({ stored }) =>
          this.audit.entry(me.account, 'prescription.issue', c.id, {
            prescription: rx.id,
            seq: stored.seq,
            state: 'pending',
            ...(rx.corrects ? { corrects: rx.corrects } : {}),
          }),
      ),
    );
  }

  async review(me: Account, id: string, decision: ReviewDecision, reason: string | undefined) {
    const p = await this.storage.prescription(id);
    if (!p) throw new ClientError('notFound', 'no prescription with this id');
    const already = () => new ClientError('invalidTransition', '该处方已审核');
    if (p.state !== 'pending') throw already();
    const state = REVIEW_RESULT[decision] as Exclude<PrescriptionState, 'pending'>;
    const kept = state === 'rejected' ? reason : undefined;
    const conv: ConversationRef = { id: p.convId, scene: 'team', teamId: p.rx.consultationId };
    const reviewed = await this.audit.stored(
      this.storage.reviewPrescription(
        id,
        { state, ...(kept !== undefined ? { reason: kept } : {}), reviewer: me.account, at: this.now() },
        {
          conv,
          // ':' never occurs in client idClients; one notice per prescription and state.
          idClient: `rx:${id}:${state}`,
          from: me.account,
          fromNick: me.name,
          scene: 'team',
          to: p.rx.consultationId,
          type: 'notification',
          body: REVIEW_LINE[state],
          attach: { prescription: { id, state, ...(kept !== undefined ? { reason: kept } : {}), by: me.account } },
          members: [],
        },
        () => this.audit.entry(me.account, 'prescription.review', p.rx.consultationId, { prescription: id, from: 'pending', to: state }),
      ),
    );
    if (!reviewed) throw already();
    return reviewed;
  }

  /** The pharmacist's queue: the cards and their states, with the intake the review needs; nothing of the chat. */
  async queue(state: PrescriptionState, afterIssuedAt: number, limit: number): Promise<PharmacistItem[]> {
    const found = await this.storage.prescriptionsInState(state, afterIssuedAt, limit);
    return Promise.all(
      found.map(async (p): Promise<PharmacistItem> => {
        const c = await this.storage.consultation(p.rx.consultationId);
        const who = c?.identity && maskIdentity(c.identity, this.now());
        return {
          prescription: recordOf(p),
          ...(who ? { patient: { name: who.name, sex: who.sex, age: who.age } } : {}),
          ...(c?.intake ? { intake: reviewIntakeOf(c.intake) } : {}),
        };
      }),
    );
  }

  /** The patient's request to renew an approved prescription, stored once per prescription for the doctor. */
  async renew(me: Account, id: string): Promise<{ notice: StoredMessage; duplicate: boolean }> {
    const p = await this.storage.prescription(id);
    // Someone else's prescription is as unknown as a missing one.
    if (!p || p.rx.patient !== me.account) throw new ClientError('notFound', 'no prescription of yours with this id');
    if (!mayRenew(me, p)) throw new ClientError('invalidTransition', '只有已通过审核的处方可以续方');
    const conv = await this.chat.conversationFor(me.account, sessionIdOf('team', p.rx.consultationId));
    const c = await this.storage.consultation(p.rx.consultationId);
    const closed = c && closedReason(c, me.account, this.now(), 'signal');
    if (c && closed) throw refusal(closed, c);
    const result = await this.audit.stored(
      this.storage.appendMessage(
        {
          conv,
          idClient: `renew:${id}`,
          from: me.account,
          fromNick: me.name,
          scene: 'team',
          to: p.rx.consultationId,
          type: 'notification',
          body: '患者申请续方',
          attach: { renewal: { prescriptionId: id, by: me.account } },
          members: [],
        },
        (stored) => this.audit.entry(me.account, 'prescription.renewRequest', p.rx.consultationId, { prescription: id, seq: stored.seq }),
      ),
    );
    return { notice: result.stored, duplicate: result.duplicate };
  }
}
