/**
 * The hospital API of the encounter (admin key, throttled like the rest of it): a consultation's
 * record for the hospital's medical-record system, and the ratings, paged. Both GET with a query.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Rating } from '../../types/encounter';
import type { ConsultationRecord, RatingsPage } from '../../types/protocol';
import { admitAdmin, type Caller, describe, fail } from '../api';
import { type Audit, API_CLIENT } from '../audit';
import type { ChatService } from '../chat';
import { infoOf } from '../chat';
import { ClientError } from '../errors';
import { sendJson } from '../reply';
import type { Storage, StoredMessage } from '../storage/types';
import { teamConvId } from '../storage/types';
import { idSchema } from '../ids';

export const recordQuerySchema = z.object({ id: idSchema }).strict();
export const ratingsQuerySchema = z
  .object({
    doctor: idSchema.optional(),
    /** The `next` of the page before. */
    after: z.string().regex(/^\d+\.[A-Za-z0-9_-]{1,64}$/, 'must be the `next` of the page before').optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/**
 * What a card's state is now, from the whole conversation (a prescription's review, for one): the
 * record asks it of every card. The default knows no states.
 */
export type CardState = (card: StoredMessage, all: StoredMessage[]) => string | undefined;

export interface EncounterHttpDeps {
  storage: Storage;
  chat: ChatService;
  audit: Audit;
  adminApiKey?: string;
  caller: Caller;
  cardState?: CardState;
}

function query<T extends z.ZodType>(req: IncomingMessage, schema: T): z.output<T> {
  if (req.method !== 'GET') throw new ClientError('badFrame', 'use GET with a query');
  const params = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new ClientError('badFrame', describe(parsed.error));
  return parsed.data;
}

/** Pages through the whole conversation (the record has every message, however long). */
async function everyMessage(storage: Storage, convId: string): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for (;;) {
    const page = await storage.after(convId, all.at(-1)?.seq ?? 0, 500);
    all.push(...page);
    if (page.length < 500) return all;
  }
}

/** `GET RECORD_PATH?id=`: messages decrypted (recalled ones too, marked), cards with their state, consent, rating. */
export async function handleRecord(req: IncomingMessage, res: ServerResponse, deps: EncounterHttpDeps): Promise<void> {
  try {
    const client = await admitAdmin(req, deps.adminApiKey, deps.caller);
    const q = query(req, recordQuerySchema);
    const c = await deps.storage.consultation(q.id);
    if (!c) throw new ClientError('notFound', `no consultation ${q.id}`);
    const stored = await everyMessage(deps.storage, teamConvId(c.id));
    // The record keeps what was said, recalled or not: the view of the sender before the recall. Its
    // files are signed for the client asking, and open with its key only.
    const exported = { client };
    const messages = stored.map((m) => ({ ...deps.chat.view({ ...m, recalledAt: undefined }, c.doctor, exported), ...(m.recalledAt !== undefined ? { recalled: true } : {}) }));
    const cards = stored
      .filter((m) => m.type === 'custom' && typeof m.attach?.card === 'string')
      .map((m) => {
        const state = deps.cardState?.(m, stored);
        return { seq: m.seq, card: m.attach?.card as string, attach: deps.chat.view(m, c.doctor, exported).attach ?? {}, ...(state !== undefined ? { state } : {}) };
      });
    const rating = await deps.storage.rating(c.id);
    const record: ConsultationRecord = {
      consultation: infoOf(c),
      ...(c.identity ? { identity: c.identity } : {}),
      ...(c.consent ? { consent: c.consent } : {}),
      messages,
      cards,
      ...(rating ? { rating } : {}),
    };
    await deps.audit.record(client, 'encounter.record', c.id, { messages: messages.length });
    sendJson(res, 200, record);
  } catch (e) {
    fail(res, req, e);
  }
}

/** `GET RATINGS_PATH?doctor=&after=&limit=`: oldest first; `next` continues. */
export async function handleRatings(req: IncomingMessage, res: ServerResponse, deps: EncounterHttpDeps): Promise<void> {
  try {
    await admitAdmin(req, deps.adminApiKey, deps.caller);
    const q = query(req, ratingsQuerySchema);
    const dot = q.after?.indexOf('.') ?? -1;
    const after = q.after ? { ratedAt: Number(q.after.slice(0, dot)), consultationId: q.after.slice(dot + 1) } : undefined;
    const ratings = await deps.storage.ratings({ ...(q.doctor ? { doctor: q.doctor } : {}), ...(after ? { after } : {}), limit: q.limit });
    const last: Rating | undefined = ratings.length === q.limit ? ratings.at(-1) : undefined;
    const page: RatingsPage = { ratings, ...(last ? { next: `${last.ratedAt}.${last.consultationId}` } : {}) };
    await deps.audit.record(API_CLIENT, 'ratings.list', q.doctor ?? '*', { count: ratings.length });
    sendJson(res, 200, page);
  } catch (e) {
    fail(res, req, e);
  }
}
