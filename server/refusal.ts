/** What a writer is told when a consultation takes nothing more from them (the rule: types/consultation.ts). */
import type { ClosedReason } from '../types/consultation';
import type { ConsultationInfo } from '../types/message';
import type { IssueRefusal } from '../types/prescription';
import { ClientError } from './errors';

export function refusal(reason: ClosedReason, c: Pick<ConsultationInfo, 'maxPatientMessages'>): ClientError {
  switch (reason) {
    case 'closed':
      return new ClientError('consultationClosed', '本次问诊已结束，无法继续发送消息');
    case 'cancelled':
      return new ClientError('consultationClosed', '本次问诊已取消');
    case 'expired':
      return new ClientError('consultationClosed', '本次问诊已超过时限');
    case 'notAccepted':
      return new ClientError('invalidTransition', '请先接诊再回复患者');
    case 'consentRequired':
      return new ClientError('consentRequired', '请先确认就诊人并同意知情同意书，再发送消息');
    case 'quotaUsed':
      return new ClientError('quotaExceeded', `本次问诊可发送 ${c.maxPatientMessages} 条消息，已用完`);
  }
}

/** Why a prescription is not issued (the rule: types/prescription.ts), checked before its write and again inside it. */
export function issueRefused(reason: IssueRefusal, c: Pick<ConsultationInfo, 'status' | 'maxPatientMessages'>): ClientError {
  switch (reason) {
    case 'notDoctor':
      return new ClientError('forbidden', '只有本次问诊的医生可以开具处方');
    case 'notAccepted':
      return new ClientError('invalidTransition', '请先接诊再开具处方');
    case 'closed':
      return refusal(c.status === 'cancelled' ? 'cancelled' : 'closed', c);
  }
}

/** A write from someone the conversation is not (or, after a transfer, no longer) theirs. */
export const notMember = (): ClientError => new ClientError('forbidden', 'you are not a member of this conversation');

/** Why a reply's `replyTo` is refused: it names no message of this conversation the sender may quote. */
export type ReplyRefusal = 'missing' | 'recalled' | 'system';

export function replyRefusal(reason: ReplyRefusal): ClientError {
  switch (reason) {
    case 'missing':
      return new ClientError('invalidReply', '引用的消息不在本会话中');
    case 'recalled':
      return new ClientError('invalidReply', '引用的消息已撤回，不能引用');
    case 'system':
      return new ClientError('invalidReply', '系统消息不能引用');
  }
}
