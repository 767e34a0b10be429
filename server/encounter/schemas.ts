/**
 * Validation of the encounter's inputs (hospital API and WebSocket frames alike), typed against
 * types/encounter.ts so that a change of the shapes the schemas do not follow fails to compile.
 */
import { z } from 'zod';
import type { DoctorIdentity, IdentityRecord, IntakeForm, QuickReplyOp, RatingInput } from '../../types/encounter';
import { IDENTITY_LIMITS, INTAKE_LIMITS, QUICK_REPLY_LIMITS, RATING_LIMITS, RATING_TAGS, RELATIONS } from '../../types/encounter';
import { displayText } from '../text';
import { idSchema } from '../ids';

/** Shown text: visible characters only, trimmed, within `max` characters. */
const shown = (max: number) => z.string().transform(displayText).pipe(z.string().min(1, 'must not be empty').max(max));
const idNumber = z.string().regex(/^[0-9A-Za-z]{6,32}$/, 'must be 6–32 letters or digits');
const birthDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && Date.parse(`${d}T00:00:00Z`) <= Date.now(), 'must be a real date, not in the future');
const phone = z.string().regex(/^\+?[0-9-]{5,20}$/, 'must be a phone number');

export const identitySchema = z
  .object({
    name: shown(IDENTITY_LIMITS.name),
    idNumber,
    sex: z.enum(['male', 'female']),
    birthDate,
    relation: z.enum(RELATIONS as [IdentityRecord['relation'], ...IdentityRecord['relation'][]]),
    phone: phone.optional(),
    guardian: z.object({ name: shown(IDENTITY_LIMITS.name), idNumber, phone: phone.optional() }).strict().optional(),
  })
  .strict() satisfies z.ZodType<IdentityRecord>;

const items = (max: number) => z.array(shown(INTAKE_LIMITS.item)).max(max);

export const intakeSchema = z
  .object({
    complaint: shown(INTAKE_LIMITS.text),
    duration: shown(INTAKE_LIMITS.short),
    symptoms: items(INTAKE_LIMITS.items),
    allergies: items(INTAKE_LIMITS.items),
    medications: items(INTAKE_LIMITS.items),
    diagnosis: shown(INTAKE_LIMITS.text),
    diagnosedAt: shown(INTAKE_LIMITS.short).optional(),
    attachments: z.array(z.string().min(1).max(64)).max(INTAKE_LIMITS.attachments),
  })
  .strict() satisfies z.ZodType<IntakeForm>;

export const ratingSchema = z
  .object({
    stars: z.number().int().min(1).max(5),
    tags: z
      .array(z.enum(RATING_TAGS))
      .max(RATING_LIMITS.tags)
      .refine((t) => new Set(t).size === t.length, 'each tag once'),
    comment: z.string().transform(displayText).pipe(z.string().max(RATING_LIMITS.comment)).optional(),
  })
  .strict() satisfies z.ZodType<RatingInput>;


/** Without the frame's `v`, `id` and `type`: server/protocol.ts adds them. */
export const quickReplyOps = [
  z.object({ op: z.literal('list') }),
  z.object({
    op: z.literal('put'),
    reply: z.object({ id: idSchema.optional(), text: z.string().max(QUICK_REPLY_LIMITS.chars * 4) }).strict(),
    index: z.number().int().min(0).max(QUICK_REPLY_LIMITS.count).optional(),
  }),
  z.object({ op: z.literal('delete'), replyId: idSchema }),
  z.object({ op: z.literal('order'), ids: z.array(idSchema).max(QUICK_REPLY_LIMITS.count) }),
] as const;

export const quickReplyOpSchema = z.discriminatedUnion('op', [...quickReplyOps]) satisfies z.ZodType<QuickReplyOp>;

export const doctorIdentitySchema = z
  .object({
    title: shown(20),
    department: shown(32),
    licence: z.string().regex(/^[0-9A-Za-z-]{6,32}$/, 'must be 6–32 letters, digits or -'),
  })
  .strict() satisfies z.ZodType<Omit<DoctorIdentity, 'name'>>;

export const consentGivenSchema = z
  .object({ version: z.string().min(1).max(32), acceptedAt: z.number().int().positive() })
  .strict();
