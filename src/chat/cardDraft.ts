/**
 * The card composer's form as a card draft: trimmed, required fields checked, lists split. Pure, so
 * the rules are tested without a page; the server validates again.
 */
import type { CardDraft, CardKind, Drug } from '../../types/cards';

export type DrugForm = Record<'name' | 'spec' | 'dosage' | 'frequency' | 'days', string>;
export type CardForm = Record<string, string>;

export const emptyDrug = (): DrugForm => ({ name: '', spec: '', dosage: '', frequency: '', days: '' });

export interface FieldSpec {
  key: string;
  label: string;
  placeholder: string;
  optional?: boolean;
}

export const CARD_TITLES: Record<CardKind, string> = {
  prescription: '开具处方',
  labRequest: '开检查单',
  followUp: '复诊提醒',
  summary: '问诊小结',
};

export const CARD_FIELDS: Record<CardKind, FieldSpec[]> = {
  prescription: [
    { key: 'diagnosis', label: '诊断', placeholder: '如：急性上呼吸道感染' },
    { key: 'note', label: '医嘱', placeholder: '选填，如：多饮水，忌辛辣', optional: true },
  ],
  labRequest: [
    { key: 'items', label: '检查项目', placeholder: '多项用顿号或逗号分隔，如：血常规、C反应蛋白' },
    { key: 'reason', label: '检查目的', placeholder: '如：排除细菌感染' },
  ],
  followUp: [
    { key: 'days', label: '几天后', placeholder: '如：7' },
    { key: 'note', label: '说明', placeholder: '如：带上检查结果来复诊' },
  ],
  summary: [
    { key: 'complaint', label: '主诉', placeholder: '如：头痛三天' },
    { key: 'diagnosis', label: '诊断', placeholder: '如：紧张性头痛' },
    { key: 'advice', label: '建议', placeholder: '如：规律作息，必要时复诊' },
  ],
};

const DAY_MS = 86_400_000;

function drugOf(d: DrugForm): Drug | string {
  const name = d.name.trim();
  const dosage = d.dosage.trim();
  const frequency = d.frequency.trim();
  if (!name || !dosage || !frequency) return '每种药品都需要填写名称、用量和频次';
  const days = d.days.trim() ? Number(d.days) : undefined;
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 365)) return '天数应为 1–365 的整数';
  return { name, dosage, frequency, ...(d.spec.trim() ? { spec: d.spec.trim() } : {}), ...(days ? { days } : {}) };
}

/** The draft, or the first problem in words the doctor can act on. */
export function buildCardDraft(kind: CardKind, form: CardForm, drugs: DrugForm[], now: number): { draft: CardDraft } | { error: string } {
  const v = (key: string) => (form[key] ?? '').trim();
  const missing = CARD_FIELDS[kind].find((f) => !f.optional && !v(f.key));
  if (missing) return { error: `请填写${missing.label}` };
  switch (kind) {
    case 'prescription': {
      const filled = drugs.filter((d) => Object.values(d).some((x) => x.trim()));
      if (!filled.length) return { error: '请至少添加一种药品' };
      const parsed = filled.map(drugOf);
      const bad = parsed.find((d): d is string => typeof d === 'string');
      if (bad) return { error: bad };
      return { draft: { card: 'prescription', diagnosis: v('diagnosis'), drugs: parsed as Drug[], ...(v('note') ? { note: v('note') } : {}) } };
    }
    case 'labRequest':
      return { draft: { card: 'labRequest', items: v('items').split(/[、,，;；\s]+/).filter(Boolean), reason: v('reason') } };
    case 'followUp': {
      const days = Number(v('days'));
      if (!(Number.isInteger(days) && days >= 1 && days <= 365)) return { error: '天数应为 1–365 的整数' };
      return { draft: { card: 'followUp', at: now + days * DAY_MS, note: v('note') } };
    }
    case 'summary':
      return { draft: { card: 'summary', complaint: v('complaint'), diagnosis: v('diagnosis'), advice: v('advice') } };
  }
}
