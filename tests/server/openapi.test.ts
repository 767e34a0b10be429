/**
 * The OpenAPI document against the server: every documented endpoint is called, every answer's status
 * must be documented for it and its JSON body must validate against the documented schema (ajv,
 * JSON Schema 2020-12, OpenAPI 3.1's dialect); request bodies the server takes validate against the
 * documented request schemas; every route app.ts answers is documented.
 */
import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_PATH, UPLOAD_PATH } from '../../types/media';
import { LINKS_PATH } from '../../server/miniapp';
import { PHARMACISTS_PATH } from '../../server/prescriptions/http';
import { RX_KEY_PATH } from '../../types/prescription';
import { MINIAPP_LOGIN_PATH, MINIAPP_UNBIND_PATH } from '../../types/miniapp';
import { NIM_TOKEN_PATH, NOTIFY_CONSENT_PATH, NOTIFY_SETTINGS_PATH, RATINGS_PATH, RECORD_PATH } from '../../types/protocol';
import { doctor, patient, startConsultationServer } from '../helpers/consultation';
import { png } from '../helpers/fixtures';
import { ADMIN_API_KEY, type TestServer, WsClient } from '../helpers/server';
import { uploadAs } from '../helpers/upload';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METRICS_TOKEN = 'metrics-token-metrics-token-metrics';
let server: TestServer;
let doc: Json;
const ajv = new Ajv2020({ strict: false, allErrors: true });
/** `METHOD path status` of every answer checked, to hold against the document at the end. */
const seen = new Set<string>();

beforeAll(async () => {
  server = await startConsultationServer({ metricsToken: METRICS_TOKEN });
  const res = await fetch(`${server.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Json;
});

afterAll(() => server.dispose());

/** The documented path template a concrete path falls under. */
function template(path: string): string {
  if (path.startsWith(FILE_PATH)) return `${FILE_PATH}{id}`;
  return path;
}

/** Calls the server and checks the answer against the document; returns the status and JSON body. */
async function call(method: 'GET' | 'POST', path: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${server.url}${path}`, { method, ...init });
  const tpl = template(path.split('?')[0]);
  const op = doc.paths[tpl]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${tpl} is not in the OpenAPI document`);
  const documented = op.responses[String(res.status)];
  if (!documented) throw new Error(`${method} ${tpl} answered ${res.status}, which the document does not list`);
  seen.add(`${method} ${tpl} ${res.status}`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0];
  const content = documented.content as Json | undefined;
  if (type === 'application/json') {
    const body = (await res.json()) as Json;
    const schema = content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method} ${tpl} ${res.status}: JSON answer not documented as JSON`);
    if (!ajv.validate(schema, body)) throw new Error(`${method} ${tpl} ${res.status}: ${ajv.errorsText()} in ${JSON.stringify(body)}`);
    return { status: res.status, body };
  }
  await res.arrayBuffer();
  if (content && !Object.keys(content).some((t) => t === type || (t === 'application/octet-stream' && tpl.startsWith(FILE_PATH)) || t.startsWith(type))) {
    throw new Error(`${method} ${tpl} ${res.status}: content type ${type} not documented`);
  }
  return { status: res.status, body: {} };
}

/** A request body as the client sends it, checked against the documented request schema first. */
function jsonBody(path: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  const schema = doc.paths[path].post.requestBody.content['application/json'].schema;
  if (!ajv.validate(schema, body)) throw new Error(`request to ${path} does not match the document: ${ajv.errorsText()}`);
  return { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

const admin = { authorization: `Bearer ${ADMIN_API_KEY}` };

test('the document is OpenAPI 3.1 and its schemas compile', () => {
  expect(doc.openapi).toBe('3.1.0');
  for (const [path, ops] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      for (const r of Object.values((op as Json).responses as Json)) {
        const schema = (r as Json).content?.['application/json']?.schema;
        if (schema) expect(() => ajv.compile(schema)).not.toThrow();
      }
      const req = (op as Json).requestBody?.content?.['application/json']?.schema;
      if (req) expect(() => ajv.compile(req)).not.toThrow();
      expect(`${method} ${path}`).toMatch(/^(get|post) \//);
    }
  }
});

test('health, readiness, metrics and the document itself', async () => {
  await call('GET', '/healthz');
  await call('GET', '/api/health');
  expect((await call('GET', '/readyz')).status).toBe(200);
  expect((await call('GET', '/metrics')).status).toBe(401);
  expect((await call('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  await call('GET', '/api/openapi.json');
});

test('consultations, links, login, logout, revoke, upload, files and NIM answer as documented', async () => {
  const consult = { id: 'openapi-1', patient: { account: 'patient-oa', name: '测试患者' }, doctor: { account: doctor.account, name: doctor.name }, maxPatientMessages: 5 };
  expect((await call('POST', '/api/consultations', jsonBody('/api/consultations', consult))).status).toBe(401);
  const created = await call('POST', '/api/consultations', jsonBody('/api/consultations', consult, admin));
  expect(created.status).toBe(201);
  expect((await call('POST', '/api/consultations', jsonBody('/api/consultations', consult, admin))).status).toBe(409);
  expect((await call('POST', '/api/consultations', { body: '{"id":1}', headers: { ...admin, 'content-type': 'application/json' } })).status).toBe(400);
  // The encounter's additions (issue 17): identity, consent and intake from the hospital, the doctor's identity.
  const encounter = {
    ...consult,
    id: 'openapi-2',
    identity: { name: '测试患者', idNumber: '110101199001011234', sex: 'female', birthDate: '1990-01-01', relation: 'self' },
    consent: { version: 'paper-1', acceptedAt: 1_700_000_000_000 },
    intake: { complaint: '复诊开药', duration: '半年', symptoms: [], allergies: ['青霉素'], medications: [], diagnosis: '高血压' },
    doctorIdentity: { title: '主治医师', department: '心内科', licence: '110110000012345' },
  };
  expect((await call('POST', '/api/consultations', jsonBody('/api/consultations', encounter, admin))).status).toBe(201);
  // A photo in it, whose URL in the record opens with the API key only.
  const d = await WsClient.login(server, doctor);
  await d.request('consultation', { sessionId: 'team-openapi-2', action: 'accept' });
  const photo = await uploadAs(server, doctor, 'image', 'x.png', await png(32, 24));
  await d.request('send', { msg: { scene: 'team', to: 'openapi-2', type: 'image', body: '', idClient: 'openapi-photo', attach: { fileId: photo.body.fileId } } });
  d.close();
  const record = await call('GET', `${RECORD_PATH}?id=openapi-2`, { headers: admin });
  expect(record.status).toBe(200);
  expect(record.body.cards).toEqual([expect.objectContaining({ card: 'intake' })]);
  const exported = (record.body.messages as Json[]).find((m) => m.type === 'image')?.attach.url as string;
  expect((await call('GET', exported, { headers: admin })).status).toBe(200);
  expect((await call('GET', exported)).status).toBe(401);
  expect((await call('GET', `${RECORD_PATH}?id=nope`, { headers: admin })).status).toBe(404);
  expect((await call('GET', RECORD_PATH, { headers: admin })).status).toBe(400);
  expect((await call('GET', `${RECORD_PATH}?id=openapi-2`)).status).toBe(401);
  expect((await call('GET', `${RATINGS_PATH}?limit=10`, { headers: admin })).body).toEqual({ ratings: [] });
  expect((await call('GET', `${RATINGS_PATH}?limit=x`, { headers: admin })).status).toBe(400);
  expect((await call('GET', RATINGS_PATH)).status).toBe(401);

  const link = new URL(created.body.links.patient.replace('/#/', '/')).searchParams.get('link') as string;
  const login = await call('POST', '/api/login/link', jsonBody('/api/login/link', { link }));
  expect(login.status).toBe(200);
  expect((await call('POST', '/api/login/link', jsonBody('/api/login/link', { link }))).status).toBe(409);
  expect((await call('POST', '/api/login/link', { body: 'not json' })).status).toBe(400);
  const session = { authorization: `Bearer ${login.body.token}` };

  expect((await call('POST', NIM_TOKEN_PATH, { headers: session })).status).toBe(404);

  const up = await uploadAs(server, patient, 'image', 'x.png', await png(32, 24));
  expect(up.status).toBe(200);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await png(32, 24))]), 'photo.png');
  const uploaded = await call('POST', `${UPLOAD_PATH}?kind=image`, { body: form, headers: session });
  expect(uploaded.status).toBe(200);
  const bad = new FormData();
  bad.append('file', new Blob([new Uint8Array(Buffer.from('not an image at all'))]), 'x.png');
  expect((await call('POST', `${UPLOAD_PATH}?kind=image`, { body: bad, headers: session })).status).toBe(415);
  expect((await call('POST', `${UPLOAD_PATH}?kind=image`, { body: form })).status).toBe(401);

  expect((await call('GET', uploaded.body.url)).status).toBe(200);
  expect((await call('GET', uploaded.body.url, { headers: { range: 'bytes=0-9' } })).status).toBe(206);
  expect((await call('GET', uploaded.body.url.replace(/sig=[^&]+/, 'sig=AAAA'))).status).toBe(403);

  // Mini-program sign-in (no platform configured here: each answers what it lacks), fresh links, reminders.
  const mini = { platform: 'weapp', code: 'code-from-wx-login' };
  expect((await call('POST', MINIAPP_LOGIN_PATH, jsonBody(MINIAPP_LOGIN_PATH, mini))).status).toBe(404);
  expect((await call('POST', MINIAPP_LOGIN_PATH, { body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(400);
  expect((await call('POST', MINIAPP_UNBIND_PATH, jsonBody(MINIAPP_UNBIND_PATH, mini, session))).status).toBe(404);
  expect((await call('POST', MINIAPP_UNBIND_PATH, jsonBody(MINIAPP_UNBIND_PATH, mini))).status).toBe(401);
  expect((await call('POST', LINKS_PATH, jsonBody(LINKS_PATH, { consultationId: 'openapi-1' }, admin))).status).toBe(200);
  expect((await call('POST', LINKS_PATH, jsonBody(LINKS_PATH, { consultationId: 'openapi-1' }))).status).toBe(401);
  expect((await call('GET', NOTIFY_SETTINGS_PATH, { headers: session })).status).toBe(200);
  expect((await call('POST', NOTIFY_SETTINGS_PATH, jsonBody(NOTIFY_SETTINGS_PATH, { enabled: false }, session))).body.enabled).toBe(false);
  expect((await call('GET', NOTIFY_SETTINGS_PATH)).status).toBe(401);
  expect((await call('POST', NOTIFY_CONSENT_PATH, jsonBody(NOTIFY_CONSENT_PATH, { platform: 'weapp', results: { t1: 'accept' } }, session))).status).toBe(200);
  expect((await call('POST', NOTIFY_CONSENT_PATH, { body: '{"platform":"x"}', headers: { ...session, 'content-type': 'application/json' } })).status).toBe(400);

  expect((await call('POST', '/api/logout', { headers: session })).status).toBe(200);
  expect((await call('POST', '/api/logout', { headers: session })).status).toBe(401);
  expect((await call('POST', '/api/sessions/revoke', jsonBody('/api/sessions/revoke', { account: 'patient-oa' }, admin))).status).toBe(200);
  expect((await call('POST', '/api/sessions/revoke', { body: '{"account":"a b"}', headers: { ...admin, 'content-type': 'application/json' } })).status).toBe(400);

  // Prescriptions: the key that verifies them; pharmacists created by the hospital.
  expect((await call('GET', RX_KEY_PATH)).body.alg).toBe('ed25519');
  expect((await call('POST', PHARMACISTS_PATH, jsonBody(PHARMACISTS_PATH, { account: 'pharmacist-oa', name: '吴药师' }, admin))).body.account.role).toBe('pharmacist');
  expect((await call('POST', PHARMACISTS_PATH, { body: '{"account":"a b","name":"x"}', headers: { ...admin, 'content-type': 'application/json' } })).status).toBe(400);
  expect((await call('POST', PHARMACISTS_PATH, jsonBody(PHARMACISTS_PATH, { account: 'pharmacist-ob', name: '钱药师' }))).status).toBe(401);
});

test('every route app.ts answers is documented, and every documented operation was called', () => {
  const app = readFileSync(join(__dirname, '../../server/app.ts'), 'utf8');
  const constants: Record<string, string> = { UPLOAD_PATH, NIM_TOKEN_PATH, RECORD_PATH, RATINGS_PATH, OPENAPI_PATH: '/api/openapi.json', FILE_PATH: `${FILE_PATH}{id}` };
  const routes = [...app.matchAll(/path(?: === |\.startsWith\()('([^']+)'|([A-Z_]+))/g)]
    .map((m) => m[2] ?? constants[m[3]])
    .filter((p) => p !== '/api/');
  expect(routes.length).toBeGreaterThan(8);
  for (const r of routes) expect(Object.keys(doc.paths)).toContain(r);
  for (const [path, ops] of Object.entries(doc.paths as Json)) {
    for (const method of Object.keys(ops as Json)) {
      expect([...seen].some((s) => s.startsWith(`${method.toUpperCase()} ${path} `))).toBe(true);
    }
  }
});
