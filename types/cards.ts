/**
 * Custom messages of the medical flow. A custom message's attach is one of these cards; the server
 * validates it (server/cards.ts) and only doctors may send them.
 */

export interface Drug {
  name: string;
  /** e.g. "0.25g×24片" */
  spec?: string;
  /** e.g. "每次 0.5g" */
  dosage: string;
  /** e.g. "每日 3 次" */
  frequency: string;
  days?: number;
}

export interface PrescriptionCard {
  card: 'prescription';
  diagnosis: string;
  drugs: Drug[];
  note?: string;
  /** Doctor's display name. Set by the server from the sender's account. */
  doctor: string;
  /** ms; set by the server. */
  issuedAt: number;
}

export interface LabRequestCard {
  card: 'labRequest';
  /** Tests or exams requested, e.g. "血常规". */
  items: string[];
  reason: string;
  doctor: string;
  issuedAt: number;
}

export interface FollowUpCard {
  card: 'followUp';
  /** When to come back or check in, ms. */
  at: number;
  note: string;
  doctor: string;
  issuedAt: number;
}

export interface SummaryCard {
  card: 'summary';
  complaint: string;
  diagnosis: string;
  advice: string;
  doctor: string;
  issuedAt: number;
}

export type Card = PrescriptionCard | LabRequestCard | FollowUpCard | SummaryCard;
export type CardKind = Card['card'];
export const CARD_KINDS: readonly CardKind[] = ['prescription', 'labRequest', 'followUp', 'summary'];
/** Each card's title, as its bubble heads it and as a quote or a search names it. */
export const CARD_TITLES: Record<CardKind, string> = { prescription: '电子处方', labRequest: '检查申请单', followUp: '复诊提醒', summary: '问诊小结' };

/** What a client sends: the server adds who issued it and when. */
export type CardDraft = Card extends infer C ? (C extends Card ? Omit<C, 'doctor' | 'issuedAt'> : never) : never;

export const CARD_LIMITS = { drugs: 20, items: 20, text: 500 } as const;
