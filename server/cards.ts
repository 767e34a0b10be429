/**
 * Validation of the attachments clients may send: custom cards of the medical flow, locations and
 * references to uploads. Typed against types/, so a change of the card types the schemas do not
 * follow fails to compile.
 */
import { z } from 'zod';
import { displayText } from './text';
import type { CardDraft } from '../types/cards';
import { CARD_LIMITS } from '../types/cards';
import type { GeoAttach, MediaRef } from '../types/media';

/** Text shown on a card: visible characters only, so that no bidi override makes a dose or a name read otherwise. */
const text = (max: number = CARD_LIMITS.text) => z.string().transform(displayText).pipe(z.string().min(1, 'must not be empty').max(max));

const drug = z
  .object({
    name: text(100),
    spec: text(100).optional(),
    dosage: text(100),
    frequency: text(100),
    days: z.number().int().min(1).max(365).optional(),
  })
  .strict();

export const cardDraftSchema = z.discriminatedUnion('card', [
  z
    .object({
      card: z.literal('prescription'),
      diagnosis: text(),
      drugs: z.array(drug).min(1, 'a prescription needs at least one drug').max(CARD_LIMITS.drugs),
      note: text().optional(),
    })
    .strict(),
  z
    .object({
      card: z.literal('labRequest'),
      items: z.array(text(100)).min(1, 'name at least one test').max(CARD_LIMITS.items),
      reason: text(),
    })
    .strict(),
  z.object({ card: z.literal('followUp'), at: z.number().int().positive(), note: text() }).strict(),
  z.object({ card: z.literal('summary'), complaint: text(), diagnosis: text(), advice: text() }).strict(),
]) satisfies z.ZodType<CardDraft>;

export const geoSchema = z
  .object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180), title: text(200) })
  .strict() satisfies z.ZodType<GeoAttach>;

export const mediaRefSchema = z
  .object({ fileId: z.string().min(1).max(64) })
  .strict() satisfies z.ZodType<MediaRef>;
