/** What a writer is told when a consultation takes nothing more from them (the rule: types/consultation.ts). */
import type { ClosedReason } from '../types/consultation';
import type { ConsultationInfo } from '../types/message';
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
