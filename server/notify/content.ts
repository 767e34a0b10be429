/**
 * What a notice says. Never message text, diagnoses or drug names: a fixed line per kind, the doctor's
 * name, the department (the consultation's name), the time, and the way back into the chat.
 */
import type { NotifyKind } from '../storage/types';
import type { NoticeField, TemplateConfig } from './config';

export const TITLES: Record<NotifyKind, string> = {
  reply: '您的问诊有新回复',
  card: '医生发来了新的问诊单据',
  accepted: '医生已接诊',
  closed: '问诊已结束',
  cancelled: '问诊已取消',
  waiting: '有新的问诊等待接诊',
  patientWrote: '患者发来了新消息',
};

const HINT = '点击查看';

/** One notice as every channel words it. */
export interface Notice {
  id: string;
  account: string;
  kind: NotifyKind;
  consultationId: string;
  doctorName: string;
  department: string;
  /** When the newest event happened (ms). */
  at: number;
  /** The mini programs' page with the session to open (they sign in silently). */
  page: string;
}

/** `2024年1月2日 15:04` in Beijing time, as WeChat's time fields want it. */
export function beijingTime(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

/** Platforms cap field lengths (WeChat: thing 20 characters, name 10). */
function capped(key: string, value: string): string {
  const max = key.startsWith('name') ? 10 : key.startsWith('phrase') ? 5 : 20;
  const chars = [...value];
  return chars.length > max ? chars.slice(0, max).join('') : value;
}

export function fieldValue(n: Notice, field: NoticeField): string {
  switch (field) {
    case 'title':
      return TITLES[n.kind];
    case 'doctor':
      return n.doctorName;
    case 'department':
      return n.department;
    case 'time':
      return beijingTime(n.at);
    case 'hint':
      return HINT;
  }
}

/** A template's data: `{ key: { value } }`. */
export function templateData(n: Notice, t: TemplateConfig): Record<string, { value: string }> {
  return Object.fromEntries(t.fields.map(([key, field]) => [key, { value: capped(key, fieldValue(n, field)) }]));
}
