/**
 * Custom cards as view models: a title, labelled rows and a footer. Unknown or malformed cards become
 * a safe fallback instead of breaking the list, since older clients will meet newer card kinds.
 */
import type { Card } from '../../types/cards';
import { isIntakeCard, isRxCard } from './encounter';
import { dateTimeLabel } from './time';

export interface CardRow {
  label: string;
  value: string;
}

export interface CardView {
  kind: Card['card'] | 'unknown';
  title: string;
  rows: CardRow[];
  /** e.g. "张医生 开具于 11月23日 09:30" */
  footer: string;
}

const isText = (v: unknown): v is string => typeof v === 'string';
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

const FALLBACK: CardView = { kind: 'unknown', title: '[卡片]', rows: [{ label: '', value: '当前版本暂不支持查看此消息，请升级后查看' }], footer: '' };

function footer(c: { doctor?: unknown; issuedAt?: unknown }, verb: string): string {
  if (!isText(c.doctor) || typeof c.issuedAt !== 'number') return '';
  return `${c.doctor} ${verb}于 ${dateTimeLabel(c.issuedAt)}`;
}

function drugLine(d: unknown): string | undefined {
  if (!d || typeof d !== 'object') return undefined;
  const { name, spec, dosage, frequency, days } = d as Record<string, unknown>;
  if (!isText(name) || !isText(dosage) || !isText(frequency)) return undefined;
  return [name + (isText(spec) ? `（${spec}）` : ''), dosage, frequency, typeof days === 'number' ? `共 ${days} 天` : '']
    .filter(Boolean)
    .join('，');
}

/** The view of a custom message's attach; never throws. */
export function cardView(attach: unknown): CardView {
  if (!attach || typeof attach !== 'object') return FALLBACK;
  const c = attach as Record<string, unknown>;
  switch (c.card) {
    case 'prescription': {
      const drugs = isArray(c.drugs) ? c.drugs.map(drugLine) : [];
      if (!isText(c.diagnosis) || !drugs.length || drugs.some((d) => d === undefined)) return FALLBACK;
      return {
        kind: 'prescription',
        title: '电子处方',
        rows: [
          { label: '诊断', value: c.diagnosis },
          ...drugs.map((d, i) => ({ label: i === 0 ? 'Rp.' : '', value: d as string })),
          ...(isText(c.note) ? [{ label: '医嘱', value: c.note }] : []),
        ],
        footer: footer(c, '开具'),
      };
    }
    case 'labRequest':
      if (!isArray(c.items) || !c.items.every(isText) || !isText(c.reason)) return FALLBACK;
      return {
        kind: 'labRequest',
        title: '检查申请单',
        rows: [
          { label: '项目', value: c.items.join('、') },
          { label: '目的', value: c.reason },
        ],
        footer: footer(c, '申请'),
      };
    case 'followUp':
      if (typeof c.at !== 'number' || !isText(c.note)) return FALLBACK;
      return {
        kind: 'followUp',
        title: '复诊提醒',
        rows: [
          { label: '时间', value: dateTimeLabel(c.at) },
          { label: '说明', value: c.note },
        ],
        footer: footer(c, '提醒'),
      };
    case 'summary':
      if (!isText(c.complaint) || !isText(c.diagnosis) || !isText(c.advice)) return FALLBACK;
      return {
        kind: 'summary',
        title: '问诊小结',
        rows: [
          { label: '主诉', value: c.complaint },
          { label: '诊断', value: c.diagnosis },
          { label: '建议', value: c.advice },
        ],
        footer: footer(c, '填写'),
      };
    default:
      return FALLBACK;
  }
}

/** One line for the sessions list. */
export function cardPreview(attach: unknown): string {
  if (isIntakeCard(attach)) return '[问诊单]';
  if (isRxCard(attach)) return '[电子处方]';
  const v = cardView(attach);
  return v.kind === 'unknown' ? '[卡片]' : `[${v.title}]`;
}
