/** The doctor's prescription form as typed, to the draft the server signs; what is missing is said first. Pure. */
import type { PrescriptionDraft, RxDrug } from '../../types/prescription';
import { RX_LIMITS } from '../../types/prescription';

export interface DrugFields {
  name: string;
  category: string;
  specification: string;
  dosage: string;
  usage: string;
  quantity: string;
  unit: string;
}

export const EMPTY_DRUG: DrugFields = { name: '', category: '处方药', specification: '', dosage: '', usage: '', quantity: '1', unit: '盒' };

export const drugFields = (d: RxDrug): DrugFields => ({ ...d, quantity: String(d.quantity) });

export function rxDraft(diagnosis: string, drugs: DrugFields[], note: string, corrects?: string): PrescriptionDraft | string {
  if (!diagnosis.trim()) return '请填写诊断';
  if (!drugs.length) return '请至少开一种药品';
  if (drugs.length > RX_LIMITS.drugs) return `最多 ${RX_LIMITS.drugs} 种药品`;
  const out: RxDrug[] = [];
  for (const [i, d] of drugs.entries()) {
    const quantity = Number(d.quantity);
    const missing = (['name', 'category', 'specification', 'dosage', 'usage', 'unit'] as const).some((k) => !d[k].trim());
    if (missing) return `第 ${i + 1} 种药品信息不完整`;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > RX_LIMITS.quantity) return `第 ${i + 1} 种药品数量应为 1–${RX_LIMITS.quantity}`;
    out.push({
      name: d.name.trim(),
      category: d.category.trim(),
      specification: d.specification.trim(),
      dosage: d.dosage.trim(),
      usage: d.usage.trim(),
      quantity,
      unit: d.unit.trim(),
    });
  }
  return { diagnosis: diagnosis.trim(), drugs: out, ...(note.trim() ? { note: note.trim() } : {}), ...(corrects ? { corrects } : {}) };
}
