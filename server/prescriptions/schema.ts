/**
 * What a doctor's prescription form may send: bounded, visible text only (a dose must read as it is
 * stored), typed against types/prescription.ts.
 */
import { z } from 'zod';
import type { PrescriptionDraft } from '../../types/prescription';
import { RX_LIMITS } from '../../types/prescription';
import { displayText } from '../text';

const text = (max: number = RX_LIMITS.text) => z.string().transform(displayText).pipe(z.string().min(1, 'must not be empty').max(max));

export const rxIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be a prescription id');

/** A pharmacist's rejection reason: the doctor and the patient read it beside the doses it is about. */
export const reviewReasonSchema = text();

const drug = z
  .object({
    name: text(100),
    category: text(50),
    specification: text(100),
    dosage: text(100),
    usage: text(100),
    quantity: z.number().int().min(1).max(RX_LIMITS.quantity),
    unit: text(10),
  })
  .strict();

export const prescriptionDraftSchema = z
  .object({
    diagnosis: text(),
    drugs: z.array(drug).min(1, 'a prescription needs at least one drug').max(RX_LIMITS.drugs),
    note: text().optional(),
    corrects: rxIdSchema.optional(),
  })
  .strict() satisfies z.ZodType<PrescriptionDraft>;
