/** Prescriptions in the server tests: a draft, a pharmacist signed in through the hospital API and an SMS link. */
import type { Account } from '../../types/message';
import type { PrescriptionDraft, RxDrug } from '../../types/prescription';
import { postJson } from './post-json';
import { ADMIN_API_KEY, type TestServer } from './server';
import { WsClient } from './ws-client';

export const drug = (over: Partial<RxDrug> = {}): RxDrug => ({
  name: '阿莫西林胶囊',
  category: '处方药',
  specification: '0.25g×24粒/盒',
  dosage: '每次 0.5g',
  usage: '口服，每日 3 次',
  quantity: 2,
  unit: '盒',
  ...over,
});

export const draft = (over: Partial<PrescriptionDraft> = {}): PrescriptionDraft => ({ diagnosis: '急性咽炎', drugs: [drug()], ...over });

let n = 0;
export const rxClientId = () => `rx-${++n}-${Date.now()}`;

export const pharmacist: Account = { account: 'pharmacist-wu', name: '吴药师', role: 'pharmacist' };

/** Created by the hospital system, signed in by the link it was given, as a pharmacist would be. */
export async function pharmacistSignsIn(server: TestServer, who: Account = pharmacist): Promise<WsClient> {
  const created = await postJson(`${server.url}/api/pharmacists`, { account: who.account, name: who.name }, { authorization: `Bearer ${ADMIN_API_KEY}` });
  expect(created.status).toBe(201);
  const link = new URLSearchParams(String(created.body.link).split('?')[1]).get('link');
  const login = await postJson(`${server.url}/api/login/link`, { link });
  expect(login.status).toBe(200);
  expect(login.body.me).toEqual(who);
  return WsClient.loginWithToken(server, login.body.token);
}
