/**
 * What the chat page shows about a consultation: its state, whether the input is open (and if not,
 * why), the actions this person has, and the quota or time left. Pure: `now` is passed in.
 */
import type { ConsultationAction, ConsultationInfo, ConsultationStatus, Role } from '../../types/message';
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

const ACCEPT = { action: 'accept' as const, label: '接诊', confirm: '确认接诊？接诊后即可回复患者。' };
const CLOSE = { action: 'close' as const, label: '结束问诊', confirm: '确认结束本次问诊？结束后双方都不能再发送消息。' };
const CANCEL = { action: 'cancel' as const, label: '取消问诊', confirm: '确认取消本次问诊？' };

export function consultationView(c: ConsultationInfo, role: Role, now: number): ConsultationView {
  const status = STATUS_TEXT[c.status];
  if (c.status === 'closed') return { status, closedReason: '本次问诊已结束，如需继续咨询请重新发起问诊', actions: [] };
  if (c.status === 'cancelled') return { status, closedReason: '本次问诊已取消', actions: [] };
  if (c.endsAt !== undefined && now > c.endsAt) {
    return { status, closedReason: '本次问诊已超过时限', actions: role === 'doctor' ? [CLOSE] : [] };
  }
  if (role === 'doctor') {
    return c.status === 'waiting'
      ? { status, closedReason: '患者正在等待，接诊后即可回复', actions: [ACCEPT, CLOSE] }
      : { status, actions: [CLOSE] };
  }
  const left = c.maxPatientMessages !== undefined ? c.maxPatientMessages - c.patientMessages : undefined;
  if (left !== undefined && left <= 0) return { status, closedReason: '本次问诊的消息条数已用完', actions: [] };
  const hints = [
    ...(left !== undefined ? [`还可发送 ${left} 条`] : []),
    ...(c.endsAt !== undefined ? [`${dateTimeLabel(c.endsAt)} 结束`] : []),
  ];
  return {
    status,
    actions: c.status === 'waiting' ? [CANCEL] : [],
    ...(hints.length ? { hint: hints.join('，') } : {}),
    ...(c.status === 'waiting' ? { hint: ['等待医生接诊，可先描述病情', ...hints].join('，') } : {}),
  };
}
