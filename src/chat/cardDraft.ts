/**
 * The card composer's form as a card draft: trimmed, required fields checked, lists split. Pure, so
 * the rules are tested without a page; the server validates again. A prescription is not composed
 * here: it is signed by the hospital and reviewed (its own page, src/consult/prescribe).
 */
import type { CardDraft, CardKind } from '../../types/cards';

export type ComposedCardKind = Exclude<CardKind, 'prescription'>;
export type CardForm = Record<string, string>;

export interface FieldSpec {
  key: string;
  label: string;
  placeholder: string;
  optional?: boolean;
}

export const CARD_TITLES: Record<ComposedCardKind, string> = {
  labRequest: '开检查单',
  followUp: '复诊提醒',
  summary: '问诊小结',
};

export const CARD_FIELDS: Record<ComposedCardKind, FieldSpec[]> = {
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

/** The draft, or the first problem in words the doctor can act on. */
export function buildCardDraft(kind: ComposedCardKind, form: CardForm, now: number): { draft: CardDraft } | { error: string } {
  const v = (key: string) => (form[key] ?? '').trim();
  const missing = CARD_FIELDS[kind].find((f) => !f.optional && !v(f.key));
  if (missing) return { error: `请填写${missing.label}` };
  switch (kind) {
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
