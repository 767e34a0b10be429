/**
 * What the chat page shows about a consultation: its state, whether the input is open (and if not,
 * why), the actions this person has, and the quota or time left. Pure: `now` is passed in.
 */
import type { ConsultationAction, ConsultationInfo, ConsultationStatus, Role } from '../../types/message';
import { closedReason, CONSULTATION_ACTIONS, mayChangeConsultation } from '../../types/consultation';
import { dateTimeLabel } from './time';

export const STATUS_TEXT: Record<ConsultationStatus, string> = {
  waiting: '待接诊',
  inProgress: '问诊中',
  closed: '已结束',
  cancelled: '已取消',
};

export interface ConsultationView {
  status: string;
  /** Undefined while the person may write; otherwise why not, shown in place of the input. */
  closedReason?: string;
  actions: Array<{ action: ConsultationAction; label: string; confirm: string }>;
  /** Quota or time left, for the patient. */
  hint?: string;
}

const ACTION_TEXT: Record<ConsultationAction, { label: string; confirm: string }> = {
  accept: { label: '接诊', confirm: '确认接诊？接诊后即可回复患者。' },
  close: { label: '结束问诊', confirm: '确认结束本次问诊？结束后双方都不能再发送消息。' },
  cancel: { label: '取消问诊', confirm: '确认取消本次问诊？' },
};

/** In place of the input, per reason. */
const CLOSED_TEXT = {
  closed: '本次问诊已结束，如需继续咨询请重新发起问诊',
  cancelled: '本次问诊已取消',
  expired: '本次问诊已超过时限',
  notAccepted: '患者正在等待，接诊后即可回复',
  quotaUsed: '本次问诊的消息条数已用完',
  consentRequired: '请先确认就诊人并同意知情同意书',
} as const;

export function consultationView(c: ConsultationInfo, role: Role, now: number): ConsultationView {
  const status = STATUS_TEXT[c.status];
  // Whose account is asked about: the rule compares accounts, the page knows the viewer's role.
  const reason = closedReason(c, role === 'doctor' ? c.doctor : c.patient, now);
  const allowed = CONSULTATION_ACTIONS.filter((a) => mayChangeConsultation(c.status, role, a));
  // Past the time limit only closing is left to do; a patient out of quota has nothing left to do here.
  const offered = reason === 'expired' ? allowed.filter((a) => a === 'close') : reason === 'quotaUsed' ? [] : allowed;
  const actions = offered.map((action) => ({ action, ...ACTION_TEXT[action] }));
  if (reason) return { status, closedReason: CLOSED_TEXT[reason], actions };
  if (role === 'doctor') return { status, actions };
  const left = c.maxPatientMessages !== undefined ? c.maxPatientMessages - c.patientMessages : undefined;
  const hints = [
    ...(c.status === 'waiting' ? ['等待医生接诊，可先描述病情'] : []),
    ...(left !== undefined ? [`还可发送 ${left} 条`] : []),
    ...(c.endsAt !== undefined ? [`${dateTimeLabel(c.endsAt)} 结束`] : []),
  ];
  return { status, actions, ...(hints.length ? { hint: hints.join('，') } : {}) };
}
