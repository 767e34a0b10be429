/**
 * HTTP side of prescriptions: the hospital's public key (anyone may verify a card's signature with
 * it), and the hospital system creating pharmacist accounts (`POST PHARMACISTS_PATH` with the admin key),
 * which sign in with a one-time SMS link like everyone.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Account } from '../../types/message';
import { RX_KEY_PATH } from '../../types/prescription';
import { type Audit, API_CLIENT } from '../audit';
import type { Auth } from '../auth';
import { admitAdmin, type Caller, describe, entryLink, fail, readJson } from '../api';
import { ClientError } from '../errors';
import { sendErrorAfterBody, sendJson } from '../reply';
import type { Storage } from '../storage/types';
import { displayText } from '../text';
import type { RxSigner } from './signer';
import { newAccountSchema } from '../ids';

export const PHARMACISTS_PATH = '/api/pharmacists';

export const newPharmacistSchema = z
  .object({
    account: newAccountSchema,
    name: z.string().transform(displayText).pipe(z.string().min(1).max(32)),
  })
  .strict();

interface Deps {
  auth: Auth;
  storage: Storage;
  audit: Audit;
  signer: RxSigner;
  adminApiKey?: string;
}

export function rxRoutes(deps: Deps) {
  return {
    route(path: string): ((req: IncomingMessage, res: ServerResponse, ctx: { caller: Caller; publicUrl: string }) => Promise<void>) | undefined {
      if (path === RX_KEY_PATH) {
        return async (req, res) =>
          req.method === 'GET' ? sendJson(res, 200, deps.signer.publicKey) : sendErrorAfterBody(req, res, 'badFrame', 'use GET');
      }
      if (path === PHARMACISTS_PATH) return (req, res, ctx) => createPharmacist(req, res, deps, ctx);
      return undefined;
    },
  };
}

/** `{ account, name }` → 201 `{ account, link }`: the link to text the pharmacist. */
async function createPharmacist(req: IncomingMessage, res: ServerResponse, deps: Deps, ctx: { caller: Caller; publicUrl: string }): Promise<void> {
  try {
    await admitAdmin(req, deps.adminApiKey, ctx.caller);
    const body = newPharmacistSchema.safeParse(await readJson(req));
    if (!body.success) throw new ClientError('badFrame', describe(body.error));
    const pharmacist: Account = { ...body.data, role: 'pharmacist' };
    const existing = await deps.storage.getAccount(pharmacist.account);
    if (existing && existing.role !== 'pharmacist') throw new ClientError('badFrame', `${pharmacist.account} is a ${existing.role}`);
    await deps.storage.upsertAccount(pharmacist);
    await deps.audit.record(API_CLIENT, 'pharmacist.create', pharmacist.account);
    sendJson(res, 201, { account: pharmacist, link: await entryLink(ctx.publicUrl, deps.auth, pharmacist) });
  } catch (e) {
    fail(res, req, e);
  }
}
