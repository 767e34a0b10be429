/**
 * The storage contract: every Storage method, as the chat service relies on it, run against each
 * database (storage-sqlite.test.ts on a SQLite file, tests/scale/storage-postgres.test.ts on a
 * private PostgreSQL). Each test gets an empty database.
 */
import type { Consultation, Storage, NewMessage, StoredFile, StoredMessage } from '../../server/storage/types';
import { p2pConvId, teamConvId } from '../../server/storage/types';
import { intakeMessage } from '../../server/storage/sql-storage';
import type { ConsentRecord, IdentityRecord, IntakeCard, Rating } from '../../types/encounter';
import type { Account } from '../../types/message';
import type { RxCard } from '../../types/prescription';

const doctor: Account = { account: 'doc-c', name: '钱医生', role: 'doctor' };
const patient: Account = { account: 'pat-c', name: '孙女士', role: 'patient' };
const other: Account = { account: 'pat-d', name: '周先生', role: 'patient' };

/** The patient's consent, recorded at the hospital: what a consultation needs before it takes patient messages. */
const consent: ConsentRecord = { version: 'v1', acceptedAt: 1, by: 'hospital' };
const team = (id: string) => ({ id: teamConvId(id), scene: 'team' as const, teamId: id });
const text = (from: string, idClient: string, teamId = 'k1', over: Partial<NewMessage> = {}): NewMessage => ({
  conv: team(teamId),
  idClient,
  from,
  scene: 'team',
  to: teamId,
  type: 'text',
  body: `正文 ${idClient}`,
  members: [],
  ...over,
});
const file = (id: string, owner: string, createdAt: number, size = 1000): StoredFile => ({
  id,
  owner,
  kind: 'image',
  name: '检查单.jpg',
  ext: 'jpg',
  mime: 'image/jpeg',
  size,
  w: 10,
  h: 20,
  thumb: true,
  createdAt,
});

const rxCard = (id: string, over: Partial<RxCard['rx']> = {}): RxCard => ({
  card: 'rx',
  rx: {
    id,
    consultationId: 'k1',
    patient: 'pat-c',
    doctor: 'doc-c',
    doctorName: '钱医生',
    diagnosis: '慢性胃炎',
    drugs: [{ name: '奥美拉唑肠溶胶囊', category: '处方药', specification: '20mg×14粒/盒', dosage: '每次 20mg', usage: '口服，每日 1 次', quantity: 1, unit: '盒' }],
    issuedAt: 1000,
    ...over,
  },
  signature: { alg: 'ed25519', keyId: 'k', value: 'c2ln' },
});
const rxMessage = (card: RxCard, idClient: string): NewMessage => ({
  ...text('doc-c', idClient),
  type: 'custom',
  body: '[处方]',
  attach: card as unknown as Record<string, unknown>,
  consultationId: 'k1',
});
const notice = (from: string, idClient: string, attach: Record<string, unknown>): NewMessage => ({
  ...text(from, idClient),
  type: 'notification',
  body: '',
  attach,
});

export function storageContract(open: () => Promise<{ storage: Storage; dispose(): Promise<void> }>): void {
  let storage: Storage;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ storage, dispose } = await open());
    for (const a of [doctor, patient, other]) await storage.upsertAccount(a);
    await storage.createConsultation({ id: 'k1', consent, patient: patient.account, doctor: doctor.account, teamName: '复诊', maxPatientMessages: 5 });
  });
  afterEach(() => dispose());

  test('accounts: upsert changes name and role, get reads them back, a missing one is undefined', async () => {
    expect(await storage.getAccount(patient.account)).toEqual(patient);
    await storage.upsertAccount({ ...patient, name: '孙女士（改）' });
    expect(await storage.getAccount(patient.account)).toEqual({ ...patient, name: '孙女士（改）' });
    expect(await storage.getAccount('nobody')).toBeUndefined();
  });

  test('consultations: created with members, status changes, found between two people either way round', async () => {
    const c = await storage.consultation('k1');
    expect(c).toMatchObject({ id: 'k1', teamName: '复诊', patient: patient.account, doctor: doctor.account, status: 'inProgress', maxPatientMessages: 5, patientMessages: 0 });
    expect(c?.endsAt).toBeUndefined();
    expect(await storage.conversationMembers(teamConvId('k1'))).toEqual([doctor.account, patient.account].sort());
    expect(await storage.isConversationMember(teamConvId('k1'), patient.account)).toBe(true);
    expect(await storage.isConversationMember(teamConvId('k1'), other.account)).toBe(false);
    expect(await storage.setConsultationStatus('k1', 'closed')).toMatchObject({ status: 'closed' });
    await storage.createConsultation({ id: 'k2', consent, patient: patient.account, doctor: doctor.account, teamName: '二诊', status: 'waiting', endsAt: 123 });
    expect((await storage.consultationsBetween(doctor.account, patient.account)).map((x) => x.id).sort()).toEqual(['k1', 'k2']);
    expect((await storage.consultationsBetween(patient.account, doctor.account)).map((x) => x.id).sort()).toEqual(['k1', 'k2']);
    expect(await storage.consultationsBetween(other.account, doctor.account)).toEqual([]);
    expect(await storage.consultation('k2')).toMatchObject({ status: 'waiting', endsAt: 123 });
    expect(await storage.consultation('none')).toBeUndefined();
  });

  test('appends: gap-free seqs, once per (from, idClient), times never go back, the patient quota counted', async () => {
    const first = await storage.appendMessage(text(patient.account, 'c-1'));
    const second = await storage.appendMessage(text(doctor.account, 'c-2'));
    const retry = await storage.appendMessage(text(patient.account, 'c-1'));
    expect([first.stored.seq, second.stored.seq]).toEqual([1, 2]);
    expect(retry).toMatchObject({ duplicate: true, stored: { seq: 1, idServer: first.stored.idServer, body: '正文 c-1' } });
    expect(second.stored.time).toBeGreaterThanOrEqual(first.stored.time);
    // idServer sorts in the order of storing (its index grows at one end), also within one millisecond.
    const ids = [first, second].map((a) => a.stored.idServer);
    for (let i = 0; i < 20; i++) ids.push((await storage.appendMessage(text(doctor.account, `order-${i}`))).stored.idServer);
    expect([...ids].sort()).toEqual(ids);
    await storage.appendMessage(text(patient.account, 'c-3', 'k1', { type: 'notification' }));
    expect((await storage.consultation('k1'))?.patientMessages).toBe(1);
    expect(await storage.findMessage(teamConvId('k1'), patient.account, 'c-1')).toMatchObject({ seq: 1, body: '正文 c-1', from: patient.account });
    expect(await storage.findMessage(teamConvId('other'), patient.account, 'c-1')).toBeUndefined();
  });

  test('concurrent appends never pass the quota or a closed consultation; the doctor waits for accepting', async () => {
    await storage.createConsultation({ id: 'q', consent, patient: patient.account, doctor: doctor.account, teamName: '限额', maxPatientMessages: 2, status: 'waiting' });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => storage.appendMessage(text(patient.account, `q-${i}`, 'q'))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(Array(4).fill('quotaExceeded'));
    expect((await storage.consultation('q'))?.patientMessages).toBe(2);
    await expect(storage.appendMessage(text(doctor.account, 'q-doc', 'q'))).rejects.toMatchObject({ code: 'invalidTransition' });
    await storage.setConsultationStatus('q', 'closed');
    await expect(storage.appendMessage(text(doctor.account, 'q-doc-2', 'q'))).rejects.toMatchObject({ code: 'consultationClosed' });
    expect((await storage.after(teamConvId('q'), 0, 10)).map((m) => m.seq)).toEqual([1, 2]);
  });

  test('a consultation moves from a state once, with its notice, however many try at once', async () => {
    await storage.createConsultation({ id: 't', consent, patient: patient.account, doctor: doctor.account, teamName: '并发', status: 'waiting' });
    const notice = (to: string) => ({ ...text(doctor.account, `consultation:t:${to}`, 't'), type: 'notification' as const, body: to });
    const tries = await Promise.all([
      storage.transitionConsultation('t', 'close', notice('closed')),
      storage.transitionConsultation('t', 'accept', notice('inProgress')),
      storage.transitionConsultation('t', 'close', notice('closed')),
    ]);
    const done = tries.filter((t) => t !== undefined);
    expect(done.length).toBeGreaterThanOrEqual(1);
    const final = (await storage.consultation('t'))?.status;
    // Whatever the order, it never goes back from closed, and every change has exactly one notice.
    expect(final).toBe('closed');
    const notices = await storage.after(teamConvId('t'), 0, 10);
    expect(notices).toHaveLength(done.length);
    expect(notices.map((m) => m.body)).toContain('closed');
    expect(notices.map((m) => m.body).slice(notices.findIndex((m) => m.body === 'closed') + 1)).toEqual([]);
    expect(await storage.transitionConsultation('t', 'accept', notice('inProgress'))).toBeUndefined();
  });

  test('sends and a close at once: each send is stored or refused as closed, none waits on the other forever (no deadlock)', async () => {
    for (let i = 0; i < 8; i++) {
      const id = `dl-${i}`;
      await storage.createConsultation({ id, consent, patient: patient.account, doctor: doctor.account, teamName: '并发结束', status: 'inProgress' });
      const notice = { ...text(doctor.account, `consultation:${id}:closed`, id), type: 'notification' as const, body: 'closed' };
      const sends = Array.from({ length: 6 }, (_, n) => storage.appendMessage(text(n % 2 ? doctor.account : patient.account, `${id}-${n}`, id)));
      const [closed, ...results] = await Promise.allSettled([storage.transitionConsultation(id, 'close', notice), ...sends]);
      expect(closed.status).toBe('fulfilled');
      const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code ?? r.reason.message);
      expect(refusals.filter((code) => code !== 'consultationClosed')).toEqual([]);
    }
  });

  test('p2p: the first message makes the conversation with both members; a named consultation counts it', async () => {
    const conv = { id: p2pConvId(patient.account, doctor.account), scene: 'p2p' as const, members: [patient.account, doctor.account] as [string, string] };
    const m = await storage.appendMessage({ ...text(patient.account, 'p-1'), conv, scene: 'p2p', to: doctor.account, members: conv.members, consultationId: 'k1' });
    expect(m.stored).toMatchObject({ convId: conv.id, seq: 1, scene: 'p2p', fromNick: undefined });
    expect(await storage.conversationMembers(conv.id)).toEqual([doctor.account, patient.account].sort());
    expect((await storage.consultation('k1'))?.patientMessages).toBe(1);
  });

  test('history pages back from the newest, after reads forward, both ascending', async () => {
    for (let i = 1; i <= 7; i++) await storage.appendMessage(text(i % 2 ? patient.account : doctor.account, `h-${i}`, 'k1', { fromNick: `昵称${i}` }));
    expect((await storage.history(teamConvId('k1'), undefined, 3)).map((m) => m.seq)).toEqual([5, 6, 7]);
    expect((await storage.history(teamConvId('k1'), 5, 3)).map((m) => m.seq)).toEqual([2, 3, 4]);
    expect((await storage.history(teamConvId('k1'), 2, 3)).map((m) => m.seq)).toEqual([1]);
    expect((await storage.after(teamConvId('k1'), 4, 2)).map((m) => m.seq)).toEqual([5, 6]);
    expect((await storage.after(teamConvId('k1'), 4, 2))[0]).toMatchObject({ fromNick: '昵称5', type: 'text' });
  });

  test('recall marks the target and appends its notice once', async () => {
    const target = (await storage.appendMessage(text(patient.account, 'r-1'))).stored;
    const notice = { ...text(patient.account, 'recall:r-1'), type: 'notification' as const, body: '', attach: { recall: { idClient: 'r-1' } } };
    const first = await storage.recall(target, notice);
    const again = await storage.recall(target, notice);
    expect(first).toMatchObject({ duplicate: false, stored: { seq: 2, attach: { recall: { idClient: 'r-1' } } } });
    expect(again).toMatchObject({ duplicate: true, stored: { idServer: first.stored.idServer } });
    expect((await storage.findMessage(teamConvId('k1'), patient.account, 'r-1'))?.recalledAt).toEqual(expect.any(Number));
  });

  test('read cursors only rise, never past the newest message, and say whether they moved', async () => {
    for (let i = 1; i <= 3; i++) await storage.appendMessage(text(patient.account, `m-${i}`));
    expect(await storage.markRead(teamConvId('k1'), doctor.account, 2)).toEqual({ readSeq: 2, raised: true });
    expect(await storage.markRead(teamConvId('k1'), doctor.account, 2)).toEqual({ readSeq: 2, raised: false });
    expect(await storage.markRead(teamConvId('k1'), doctor.account, 1)).toEqual({ readSeq: 2, raised: false });
    expect(await storage.markRead(teamConvId('k1'), doctor.account, 99)).toEqual({ readSeq: 3, raised: true });
  });

  test('the sessions list: cursors, unread without notifications, the last message and the consultation', async () => {
    await storage.createConsultation({ id: 'k3', consent, patient: other.account, doctor: doctor.account, teamName: '他人' });
    for (const [i, from] of [patient, doctor, patient].entries()) await storage.appendMessage(text(from.account, `s-${i}`));
    await storage.appendMessage(text(doctor.account, 's-n', 'k1', { type: 'notification' }));
    await storage.markRead(teamConvId('k1'), patient.account, 1);
    await storage.markRead(teamConvId('k1'), doctor.account, 3);
    const list = await storage.conversationsOf(patient.account);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      convId: teamConvId('k1'),
      scene: 'team',
      teamId: 'k1',
      teamName: '复诊',
      lastSeq: 4,
      readSeq: 1,
      peerReadSeq: 3,
      memberReads: { [doctor.account]: 3 },
      unread: 1,
      lastMsg: { seq: 4, type: 'notification' },
      consultation: { id: 'k1', patientMessages: 2 },
    });
    expect((await storage.conversationsOf(doctor.account)).map((c) => c.teamId).sort()).toEqual(['k1', 'k3']);
    expect(await storage.conversationsOf('nobody')).toEqual([]);
  });

  test('the named conversations: what the list says of them, only those the account is a member of', async () => {
    await storage.createConsultation({ id: 'k3', consent, patient: other.account, doctor: doctor.account, teamName: '他人' });
    await storage.createConsultation({ id: 'k4', consent, patient: other.account, doctor: doctor.account, teamName: '再诊' });
    const p2p = { id: p2pConvId(patient.account, doctor.account), scene: 'p2p' as const, members: [patient.account, doctor.account] as [string, string] };
    await storage.appendMessage({ ...text(patient.account, 'n-p'), conv: p2p, scene: 'p2p', to: doctor.account, members: p2p.members, consultationId: 'k1' });
    for (const [i, from] of [other, doctor, other].entries()) await storage.appendMessage(text(from.account, `n-${i}`, 'k3'));
    await storage.markRead(teamConvId('k3'), other.account, 2);
    const all = new Map((await storage.conversationsOf(doctor.account)).map((c) => [c.convId, c]));
    const named = await storage.conversationsNamed(doctor.account, [teamConvId('k3'), p2p.id, teamConvId('k3'), teamConvId('nothing')]);
    expect(new Map(named.map((c) => [c.convId, c]))).toEqual(new Map([teamConvId('k3'), p2p.id].map((id) => [id, all.get(id)])));
    expect(named.find((c) => c.convId === teamConvId('k3'))).toMatchObject({ unread: 2, lastSeq: 3, memberReads: { [other.account]: 2 }, consultation: { id: 'k3' } });
    // Someone else's conversation, named, is not theirs to read.
    expect(await storage.conversationsNamed(patient.account, [teamConvId('k3'), teamConvId('k1')])).toEqual([expect.objectContaining({ convId: teamConvId('k1') })]);
    expect(await storage.conversationsNamed(doctor.account, [])).toEqual([]);
  });

  test('files: stored and read back; referenced by an append; orphans removed; a swept upload cannot be sent', async () => {
    const now = Date.now();
    await storage.putFile(file('f-old', patient.account, now - 10_000, 300));
    await storage.putFile(file('f-sent', patient.account, now - 10_000, 200));
    await storage.putFile(file('f-new', patient.account, now, 100));
    expect(await storage.getFile('f-new')).toEqual(file('f-new', patient.account, now, 100));
    expect(await storage.getFile('none')).toBeUndefined();
    // The quota counts admitted uploads (recorded apart from the files, which come and go).
    for (const [at, bytes] of [[now - 10_000, 300], [now - 10_000, 200], [now, 100]]) await storage.recordUpload(patient.account, at, bytes);
    expect(await storage.uploadsSince(patient.account, now - 60_000)).toEqual({ count: 3, bytes: 600 });
    expect(await storage.uploadsSince(patient.account, now - 1)).toEqual({ count: 1, bytes: 100 });
    expect(await storage.uploadsSince(other.account, 0)).toEqual({ count: 0, bytes: 0 });
    await storage.forgetUploadsBefore(now - 1);
    expect(await storage.uploadsSince(patient.account, 0)).toEqual({ count: 1, bytes: 100 });
    await storage.appendMessage(text(patient.account, 'img-1', 'k1', { type: 'image', body: '', attach: { fileId: 'f-sent' } }));
    expect(await storage.removeOrphanFiles(now - 1)).toEqual(['f-old']);
    expect(await storage.getFile('f-old')).toBeUndefined();
    expect(await storage.getFile('f-sent')).toBeDefined();
    await expect(storage.appendMessage(text(patient.account, 'img-2', 'k1', { type: 'image', body: '', attach: { fileId: 'f-old' } }))).rejects.toThrow('expired');
    expect(await storage.after(teamConvId('k1'), 0, 10)).toHaveLength(1);
  });

  test('retention purge removes chat before its cutoff, cards before theirs, and old files', async () => {
    await storage.appendMessage(text(patient.account, 'old-text'));
    await storage.appendMessage(text(doctor.account, 'old-card', 'k1', { type: 'custom', body: '', attach: { card: 'summary' } }));
    await storage.putFile(file('f-1', patient.account, 1));
    const future = Date.now() + 60_000;
    expect(await storage.purge({ chatBefore: future, medicalBefore: 0 })).toEqual({ messages: 1, fileIds: ['f-1'] });
    expect((await storage.after(teamConvId('k1'), 0, 10)).map((m) => m.idClient)).toEqual(['old-card']);
    expect(await storage.purge({ chatBefore: future, medicalBefore: future })).toEqual({ messages: 1, fileIds: [] });
  });

  test('the notification outbox: written with the message, collapsed, claimed once, finished', async () => {
    storage.setNotifyPolicy({ collapseMs: 0, minIntervalMs: 0 });
    try {
      await storage.appendMessage(text(doctor.account, 'n-1'));
      await storage.appendMessage(text(doctor.account, 'n-2'));
      expect(await storage.notificationQueue()).toBe(1);
      const [row] = await storage.notificationsOf(patient.account);
      expect(row).toMatchObject({ kind: 'reply', events: 2, state: 'pending' });
      const claimed = await storage.claimNotifications('node-a', Date.now() + 1_000, 60_000, 10);
      expect(claimed.map((c) => c.id)).toEqual([row.id]);
      expect(await storage.claimNotifications('node-b', Date.now() + 1_000, 60_000, 10)).toEqual([]);
      expect(await storage.finishNotification(row.id, 'node-b', Date.now(), { state: 'sent', outcome: 'x' })).toBe(false);
      expect(await storage.finishNotification(row.id, 'node-a', Date.now(), { state: 'sent', outcome: 'ok' })).toBe(true);
      expect(await storage.notificationQueue()).toBe(0);
    } finally {
      storage.setNotifyPolicy(undefined);
    }
  });

  test('one-time links, session revocations', async () => {
    expect(await storage.useLink('jti-1', 1)).toBe(true);
    expect(await storage.useLink('jti-1', 2)).toBe(false);
    expect(await storage.isSessionRevoked(patient.account, 'sid-1', 100)).toBe(false);
    await storage.revokeSessions(patient.account, 'sid-1', 200);
    expect(await storage.isSessionRevoked(patient.account, 'sid-1', 100)).toBe(true);
    expect(await storage.isSessionRevoked(patient.account, 'sid-2', 100)).toBe(false);
    await storage.revokeSessions(patient.account, '*', 500);
    expect(await storage.isSessionRevoked(patient.account, 'sid-2', 499)).toBe(true);
    expect(await storage.isSessionRevoked(patient.account, 'sid-3', 500)).toBe(false);
    expect(await storage.isSessionRevoked(patient.account, undefined, 400)).toBe(true);
    expect(await storage.isSessionRevoked(doctor.account, 'sid-2', 1)).toBe(false);
  });

  test('audit records append from the previous one, atomically, and read back in order', async () => {
    const make = (n: number) => (prev: { seq: number; hash: string } | undefined) => ({
      seq: (prev?.seq ?? 0) + 1,
      at: n,
      actor: 'a',
      action: 'x',
      target: 't',
      detail: '{}',
      prevHash: prev?.hash ?? '0',
      hash: `h${n}`,
    });
    await Promise.all([1, 2, 3, 4].map((n) => storage.appendAudit(make(n))));
    const records = await storage.auditRecords(0, 10);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < records.length; i++) expect(records[i].prevHash).toBe(records[i - 1].hash);
    expect((await storage.auditRecords(2, 1)).map((r) => r.seq)).toEqual([3]);
  });

  test('a write and its audit record are one transaction: a retry writes none, a record that fails undoes the write', async () => {
    const make = (detail: string) => (prev: { seq: number; hash: string } | undefined) => ({
      seq: (prev?.seq ?? 0) + 1,
      at: 1,
      actor: 'a',
      action: 'x',
      target: 't',
      detail,
      prevHash: prev?.hash ?? '0',
      hash: `h-${detail}`,
    });
    const refused = () => () => {
      throw new Error('no record');
    };
    const counted = { consultationId: 'k1' };
    const first = await storage.appendMessage(text(patient.account, 'au-1', 'k1', counted), (m) => make(`send ${m.seq}`));
    expect(first.audit).toMatchObject({ seq: 1, detail: `send ${first.stored.seq}` });
    const retry = await storage.appendMessage(text(patient.account, 'au-1', 'k1', counted), (m) => make(`again ${m.seq}`));
    expect(retry).toMatchObject({ duplicate: true, stored: { seq: first.stored.seq } });
    expect(retry.audit).toBeUndefined();

    await expect(storage.appendMessage(text(patient.account, 'au-2', 'k1', counted), refused)).rejects.toThrow('no record');
    expect(await storage.findMessage(teamConvId('k1'), patient.account, 'au-2')).toBeUndefined();
    await expect(storage.transitionConsultation('k1', 'close', notice(doctor.account, 'au-close', {}), refused)).rejects.toThrow('no record');
    // Neither the second message, its count, the state change nor its notice was kept.
    expect(await storage.consultation('k1')).toMatchObject({ status: 'inProgress', patientMessages: 1 });
    expect((await storage.history(teamConvId('k1'), undefined, 10)).map((m) => m.idClient)).toEqual(['au-1']);
    const closed = await storage.transitionConsultation('k1', 'close', notice(doctor.account, 'au-close', {}), ({ notice: n }) => make(`close ${n.seq}`));
    expect(closed?.audit).toMatchObject({ seq: 2, detail: `close ${closed?.notice.seq}` });
    expect((await storage.auditRecords(0, 10)).map((r) => r.detail)).toEqual([`send ${first.stored.seq}`, `close ${closed?.notice.seq}`]);
    await expect(storage.createConsultation({ id: 'k-refused', consent, patient: patient.account, doctor: doctor.account, teamName: '复诊' }, refused)).rejects.toThrow('no record');
    expect(await storage.consultation('k-refused')).toBeUndefined();
  });
  test('mini-program bindings: one account per user, several users per account, found by any MAC, removed by user or account', async () => {
    const wx = (openidMacs: string[], account: string, over = {}) => ({ platform: 'weapp', appid: 'wx1', openidMacs, openid: `o-${openidMacs[0]}`, account, boundAt: 10, ...over });
    expect(await storage.bindMiniapp(wx(['m1'], patient.account, { unionid: 'u1' }))).toEqual({});
    expect(await storage.bindMiniapp(wx(['m2'], patient.account))).toEqual({});
    expect(await storage.miniappAccount('weapp', 'wx1', ['m1'])).toBe(patient.account);
    // A MAC under an older data key still finds its user; another app or platform does not.
    expect(await storage.miniappAccount('weapp', 'wx1', ['new', 'm2'])).toBe(patient.account);
    expect(await storage.miniappAccount('weapp', 'wx2', ['m1'])).toBeUndefined();
    expect(await storage.miniappAccount('tt', 'wx1', ['m1'])).toBeUndefined();
    expect(await storage.miniappBindingsOf(patient.account)).toEqual([
      { platform: 'weapp', appid: 'wx1', openid: 'o-m1', unionid: 'u1', account: patient.account, boundAt: 10 },
      { platform: 'weapp', appid: 'wx1', openid: 'o-m2', account: patient.account, boundAt: 10 },
    ]);
    // Binding the same user again moves it, and its row under the old MAC goes.
    expect(await storage.bindMiniapp(wx(['m2-new', 'm2'], other.account))).toEqual({ previous: patient.account });
    expect(await storage.miniappAccount('weapp', 'wx1', ['m2'])).toBeUndefined();
    expect(await storage.miniappAccount('weapp', 'wx1', ['m2-new'])).toBe(other.account);
    expect(await storage.bindMiniapp(wx(['m2-new'], other.account))).toEqual({});
    expect(await storage.unbindMiniapp('weapp', 'wx1', ['m1'], other.account)).toBe(false);
    expect(await storage.unbindMiniapp('weapp', 'wx1', ['m1'], patient.account)).toBe(true);
    expect(await storage.miniappAccount('weapp', 'wx1', ['m1'])).toBeUndefined();
    expect(await storage.unbindMiniappAll(other.account)).toBe(1);
    expect(await storage.miniappBindingsOf(other.account)).toEqual([]);
  });

  test('replies: the quote is stored with the reply, emptied by a recall of the original; a reply to a recalled original is refused', async () => {
    const original = (await storage.appendMessage(text(patient.account, 'q-orig'))).stored;
    const quote = { idClient: 'q-orig', seq: original.seq, from: patient.account, type: 'text' as const, excerpt: '正文 q-orig' };
    const reply = await storage.appendMessage(text(doctor.account, 'q-reply', 'k1', { quote }));
    expect(reply.stored.quote).toEqual(quote);
    expect(await storage.messageAt(teamConvId('k1'), reply.stored.seq)).toMatchObject({ idClient: 'q-reply', quote });
    expect(await storage.messageAt(teamConvId('k1'), 99)).toBeUndefined();
    // The quote names the original by seq and idClient: a mismatch is no original at all.
    await expect(storage.appendMessage(text(doctor.account, 'q-wrong', 'k1', { quote: { ...quote, idClient: 'other-id' } }))).rejects.toMatchObject({ code: 'invalidReply' });
    const notice = { ...text(patient.account, 'recall:q-orig'), type: 'notification' as const, body: '', attach: { recall: { idClient: 'q-orig' } } };
    await storage.recall(original, notice);
    const after = await storage.after(teamConvId('k1'), 0, 10);
    expect(after.find((m) => m.idClient === 'q-reply')?.quote).toEqual({ ...quote, excerpt: '', recalled: true });
    await expect(storage.appendMessage(text(doctor.account, 'q-late', 'k1', { quote }))).rejects.toMatchObject({ code: 'invalidReply' });
    expect(await storage.findMessage(teamConvId('k1'), doctor.account, 'q-late')).toBeUndefined();
  });

  test('a reply and a recall of its original at once: the reply is refused, or stored and emptied by the recall', async () => {
    for (let i = 0; i < 5; i++) {
      const original = (await storage.appendMessage(text(patient.account, `race-${i}`))).stored;
      const quote = { idClient: original.idClient, seq: original.seq, from: patient.account, type: 'text' as const, excerpt: original.body };
      const notice = { ...text(patient.account, `recall:race-${i}`), type: 'notification' as const, body: '' };
      const [reply, recall] = await Promise.allSettled([storage.appendMessage(text(doctor.account, `race-reply-${i}`, 'k1', { quote })), storage.recall(original, notice)]);
      expect(recall.status).toBe('fulfilled');
      const stored = await storage.findMessage(teamConvId('k1'), doctor.account, `race-reply-${i}`);
      if (reply.status === 'rejected') expect(stored).toBeUndefined();
      else expect(stored?.quote).toMatchObject({ excerpt: '', recalled: true });
    }
  });

  test('delivery cursors only rise, never past the newest message; a read raises them; the sessions list has the lowest of the others', async () => {
    for (let i = 1; i <= 4; i++) await storage.appendMessage(text(patient.account, `d-${i}`));
    const conv = teamConvId('k1');
    expect(await storage.markDelivered(conv, doctor.account, 2)).toEqual({ deliveredSeq: 2, raised: true });
    expect(await storage.markDelivered(conv, doctor.account, 1)).toEqual({ deliveredSeq: 2, raised: false });
    expect(await storage.markDelivered(conv, doctor.account, 99)).toEqual({ deliveredSeq: 4, raised: true });
    expect((await storage.conversationsOf(patient.account))[0]).toMatchObject({ peerDeliveredSeq: 4, peerReadSeq: 0 });
    // Reading implies delivery; delivery never moves a read cursor.
    expect(await storage.markRead(conv, patient.account, 3)).toEqual({ readSeq: 3, raised: true });
    expect((await storage.conversationsOf(doctor.account)).find((c) => c.convId === conv)).toMatchObject({ peerDeliveredSeq: 3, peerReadSeq: 3 });
    expect(await storage.markDelivered(conv, patient.account, 3)).toEqual({ deliveredSeq: 3, raised: false });
    expect((await storage.conversationsOf(doctor.account)).find((c) => c.convId === conv)).toMatchObject({ readSeq: 0 });
  });

  test('search batches: newest first, of the conversations asked, by type, without recalled messages or system lines, paged by position', async () => {
    await storage.createConsultation({ id: 'k4', consent, patient: other.account, doctor: doctor.account, teamName: '他人' });
    for (let i = 1; i <= 3; i++) await storage.appendMessage(text(patient.account, `s1-${i}`));
    await storage.appendMessage(text(other.account, 's2-1', 'k4'));
    await storage.appendMessage(text(doctor.account, 's1-card', 'k1', { type: 'custom', body: '', attach: { card: 'summary', complaint: '头痛', diagnosis: '偏头痛', advice: '休息' } }));
    await storage.appendMessage(text(patient.account, 's1-n', 'k1', { type: 'notification' }));
    const target = (await storage.findMessage(teamConvId('k1'), patient.account, 's1-1')) as StoredMessage;
    await storage.recall(target, { ...text(patient.account, 'recall:s1-1'), type: 'notification', body: '' });
    const k1 = teamConvId('k1');
    const k4 = teamConvId('k4');
    const one = await storage.searchMessages([k1], undefined, undefined, 10);
    expect(one.map((m) => m.idClient)).toEqual(['s1-card', 's1-3', 's1-2']);
    expect(one[1].body).toBe('正文 s1-3');
    expect((await storage.searchMessages([k1], ['custom'], undefined, 10)).map((m) => m.idClient)).toEqual(['s1-card']);
    const page = await storage.searchMessages([k1], undefined, undefined, 2);
    const last = page[1];
    expect((await storage.searchMessages([k1], undefined, { time: last.time, convId: k1, seq: last.seq }, 10)).map((m) => m.idClient)).toEqual(['s1-2']);
    const both = await storage.searchMessages([k1, k4], ['text'], undefined, 10);
    expect(both.map((m) => m.idClient).sort()).toEqual(['s1-2', 's1-3', 's2-1']);
    for (let i = 1; i < both.length; i++) expect(both[i - 1].time).toBeGreaterThanOrEqual(both[i].time);
    const rest = await storage.searchMessages([k1, k4], ['text'], { time: both[0].time, convId: both[0].convId, seq: both[0].seq }, 10);
    expect(rest.map((m) => m.idClient)).toEqual(both.slice(1).map((m) => m.idClient));
    expect(await storage.searchMessages([], undefined, undefined, 10)).toEqual([]);
  });

  test('presence: visible until hidden, last seen kept apart from the setting', async () => {
    expect(await storage.presenceOf(doctor.account)).toEqual({ visible: true });
    await storage.setLastSeen(doctor.account, 1000);
    expect(await storage.presenceOf(doctor.account)).toEqual({ visible: true, lastSeen: 1000 });
    await storage.setPresenceVisible(doctor.account, false, 2000);
    await storage.setLastSeen(doctor.account, 3000);
    expect(await storage.presenceOf(doctor.account)).toEqual({ visible: false, lastSeen: 3000 });
    await storage.setPresenceVisible(doctor.account, true, 4000);
    expect(await storage.presenceOf(doctor.account)).toEqual({ visible: true, lastSeen: 3000 });
  });

  test('platform tokens: absent, stored, replaced', async () => {
    expect(await storage.platformToken('weapp:wx1')).toBeUndefined();
    await storage.putPlatformToken('weapp:wx1', 'tok-1', 1000);
    await storage.putPlatformToken('weapp:wx1', 'tok-2', 2000);
    expect(await storage.platformToken('weapp:wx1')).toEqual({ token: 'tok-2', expiresAt: 2000 });
  });

  test('prescriptions: issued with their card message once, reviewed once with the notice, listed by state, corrected once', async () => {
    const pharmacist: Account = { account: 'rx-1', name: '吴药师', role: 'pharmacist' };
    await storage.upsertAccount(pharmacist);
    expect(await storage.getAccount(pharmacist.account)).toEqual(pharmacist);
    expect(await storage.accountsWithRole('pharmacist')).toEqual([pharmacist.account]);
    const issued = await storage.issuePrescription(rxCard('rx-a'), rxMessage(rxCard('rx-a'), 'rx-msg-1'));
    expect(issued).toMatchObject({ duplicate: false, stored: { seq: 1, type: 'custom' }, prescription: { state: 'pending', convId: teamConvId('k1'), seq: 1 } });
    expect(issued.prescription.rx).toEqual(rxCard('rx-a').rx);
    const retry = await storage.issuePrescription(rxCard('rx-a'), rxMessage(rxCard('rx-a'), 'rx-msg-1'));
    expect(retry).toMatchObject({ duplicate: true, prescription: { rx: { id: 'rx-a' } }, stored: { seq: 1 } });
    expect((await storage.prescriptionsInState('pending', 0, 10)).map((p) => p.rx.id)).toEqual(['rx-a']);
    const review = { state: 'rejected' as const, reason: '剂量偏大', reviewer: pharmacist.account, at: 2000 };
    const rejected = await storage.reviewPrescription('rx-a', review, notice(pharmacist.account, 'rx:rx-a:rejected', { prescription: { id: 'rx-a', state: 'rejected' } }));
    expect(rejected).toMatchObject({ prescription: { state: 'rejected', reason: '剂量偏大', reviewer: pharmacist.account, reviewedAt: 2000 }, notice: { seq: 2 } });
    expect(await storage.reviewPrescription('rx-a', { ...review, state: 'approved' }, notice(pharmacist.account, 'rx:rx-a:approved', {}))).toBeUndefined();
    expect(await storage.prescriptionsInState('pending', 0, 10)).toEqual([]);
    const fix = rxCard('rx-b', { corrects: 'rx-a', issuedAt: 3000 });
    await storage.issuePrescription(fix, rxMessage(fix, 'rx-msg-2'));
    expect(await storage.prescription('rx-a')).toMatchObject({ correctedBy: 'rx-b' });
    const again = rxCard('rx-c', { corrects: 'rx-a' });
    await expect(storage.issuePrescription(again, rxMessage(again, 'rx-msg-3'))).rejects.toMatchObject({ code: 'invalidTransition' });
    // The refused correction left neither its prescription nor its message behind.
    expect(await storage.prescription('rx-c')).toBeUndefined();
    expect(await storage.findMessage(teamConvId('k1'), doctor.account, 'rx-msg-3')).toBeUndefined();
    expect((await storage.prescriptionsInState('pending', 0, 10)).map((p) => p.rx.id)).toEqual(['rx-b']);
    expect(await storage.prescriptionsInState('pending', 3000, 10)).toEqual([]);
  });

  test('transfer: the doctor changes, the members follow, the transfer point is the last seq, once', async () => {
    const next: Account = { account: 'doc-d', name: '郑医生', role: 'doctor' };
    await storage.upsertAccount(next);
    await storage.appendMessage(text(patient.account, 't-1'));
    await storage.appendMessage(text(doctor.account, 't-2'));
    const moved = await storage.transferConsultation('k1', doctor.account, next.account, notice(doctor.account, 'transfer:k1:1', { transfer: { from: doctor.account, to: next.account } }));
    expect(moved).toMatchObject({ consultation: { doctor: next.account }, notice: { seq: 3 }, transfer: { consultationId: 'k1', from: doctor.account, to: next.account, atSeq: 2 } });
    expect(await storage.conversationMembers(teamConvId('k1'))).toEqual([next.account, patient.account].sort());
    expect(await storage.transfersOf('k1')).toEqual([moved?.transfer]);
    expect(await storage.transfersFrom(next.account)).toEqual([]);
    expect(await storage.transferConsultation('k1', doctor.account, next.account, notice(doctor.account, 'transfer:k1:2', {}))).toBeUndefined();
    await storage.setConsultationStatus('k1', 'closed');
    // The doctor it left keeps the consultation as it was then (opened from its sealed copy), not what it became.
    const { candidates: _offered, ...asMoved } = moved?.consultation as Consultation;
    expect(await storage.transfersFrom(doctor.account)).toEqual([{ ...moved?.transfer, left: asMoved }]);
    // Of the named consultations only.
    expect(await storage.transfersFrom(doctor.account, ['k1', 'k2'])).toEqual([{ ...moved?.transfer, left: asMoved }]);
    expect(await storage.transfersFrom(doctor.account, ['k2'])).toEqual([]);
    expect(await storage.transfersFrom(doctor.account, [])).toEqual([]);
    expect(await storage.transferConsultation('k1', next.account, doctor.account, notice(next.account, 'transfer:k1:3', {}))).toBeUndefined();
    expect(await storage.transfersOf('k1')).toHaveLength(1);
  });

  test('after a transfer, the doctor it left writes nothing more: a message, a prescription or a change checked before it commits is refused inside', async () => {
    const next: Account = { account: 'doc-d', name: '郑医生', role: 'doctor' };
    await storage.upsertAccount(next);
    await storage.transferConsultation('k1', doctor.account, next.account, notice(doctor.account, 'transfer:k1:1', { transfer: { from: doctor.account, to: next.account } }));
    await expect(storage.appendMessage(text(doctor.account, 'late-text'))).rejects.toMatchObject({ code: 'forbidden' });
    await expect(storage.issuePrescription(rxCard('rx-late'), rxMessage(rxCard('rx-late'), 'late-rx'))).rejects.toMatchObject({ code: 'forbidden' });
    const closing = notice(doctor.account, 'consultation:k1:closed', { consultation: { status: 'closed', by: doctor.account } });
    await expect(storage.transitionConsultation('k1', 'close', closing)).rejects.toMatchObject({ code: 'forbidden' });
    expect(await storage.prescription('rx-late')).toBeUndefined();
    expect((await storage.after(teamConvId('k1'), 0, 10)).map((m) => m.idClient)).toEqual(['transfer:k1:1']);
    expect(await storage.consultation('k1')).toMatchObject({ status: 'inProgress', doctor: next.account });
    // The patient may not take the doctor's action; the doctor it went to may.
    await expect(storage.transitionConsultation('k1', 'close', { ...closing, from: patient.account })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await storage.transitionConsultation('k1', 'close', { ...closing, from: next.account })).toMatchObject({ consultation: { status: 'closed' } });
  });

  test('a prescription issued as its consultation closes is refused inside its transaction, the follow-up window notwithstanding', async () => {
    await storage.createConsultation({ id: 'k9', consent, patient: patient.account, doctor: doctor.account, teamName: '复诊', followUp: { messages: 2, days: 1 } });
    await storage.transitionConsultation('k9', 'close', { ...notice(doctor.account, 'consultation:k9:closed', {}), conv: team('k9'), to: 'k9' });
    const card = rxCard('rx-k9', { consultationId: 'k9' });
    const late = { ...rxMessage(card, 'k9-rx'), conv: team('k9'), to: 'k9', consultationId: 'k9' };
    await expect(storage.issuePrescription(card, late)).rejects.toMatchObject({ code: 'consultationClosed' });
    expect(await storage.prescription('rx-k9')).toBeUndefined();
  });

  test("an idClient is its sender's once: resent in its conversation it is the duplicate, reused in another it is refused, never answered with the other's", async () => {
    await storage.createConsultation({ id: 'k2', consent, patient: patient.account, doctor: doctor.account, teamName: '二诊' });
    const first = await storage.appendMessage(text(doctor.account, 'same-id'));
    expect(await storage.appendMessage(text(doctor.account, 'same-id'))).toEqual({ stored: first.stored, duplicate: true });
    await expect(storage.appendMessage(text(doctor.account, 'same-id', 'k2'))).rejects.toMatchObject({ code: 'invalidMessage' });
    await storage.issuePrescription(rxCard('rx-k1'), rxMessage(rxCard('rx-k1'), 'rx-id'));
    const card = rxCard('rx-k2', { consultationId: 'k2' });
    const elsewhere = { ...rxMessage(card, 'rx-id'), conv: team('k2'), to: 'k2', consultationId: 'k2' };
    await expect(storage.issuePrescription(card, elsewhere)).rejects.toMatchObject({ code: 'invalidMessage' });
    expect(await storage.after(teamConvId('k2'), 0, 10)).toEqual([]);
    expect(await storage.prescription('rx-k2')).toBeUndefined();
  });

  test("a transfer hands what was still to tell the doctor it left to the doctor it went to", async () => {
    const next: Account = { account: 'doc-d', name: '郑医生', role: 'doctor' };
    await storage.upsertAccount(next);
    storage.setNotifyPolicy({ collapseMs: 60_000, minIntervalMs: 0 });
    try {
      await storage.createConsultation({ id: 'w1', consent, patient: patient.account, doctor: doctor.account, teamName: '待接诊', status: 'waiting' });
      const written = await storage.appendMessage(text(patient.account, 'w1-first', 'w1'));
      expect(await storage.notificationsOf(doctor.account)).toEqual([expect.objectContaining({ kind: 'patientWrote', state: 'pending' })]);
      await storage.transferConsultation('w1', doctor.account, next.account, { ...notice(doctor.account, 'transfer:w1:1', {}), conv: team('w1'), to: 'w1' });
      expect(await storage.notificationsOf(doctor.account)).toEqual([expect.objectContaining({ state: 'cancelled', outcome: 'transferred' })]);
      expect(await storage.notificationsOf(next.account)).toEqual([expect.objectContaining({ convId: teamConvId('w1'), kind: 'patientWrote', state: 'pending' })]);
      const [row] = await storage.claimNotifications('node-a', Date.now() + 120_000, 60_000, 10);
      expect(row).toMatchObject({ account: next.account, consultationId: 'w1', seq: written.stored.seq });
      // Waiting with nothing left open for the old doctor (told already): the new one is told it waits.
      await storage.createConsultation({ id: 'w2', consent, patient: patient.account, doctor: doctor.account, teamName: '待接诊', status: 'waiting' });
      const [told] = await storage.claimNotifications('node-a', Date.now() + 120_000, 60_000, 10);
      await storage.finishNotification(told.id, 'node-a', Date.now(), { state: 'sent', outcome: 'sms' });
      await storage.transferConsultation('w2', doctor.account, next.account, { ...notice(doctor.account, 'transfer:w2:1', {}), conv: team('w2'), to: 'w2' });
      expect((await storage.notificationsOf(next.account)).filter((r) => r.convId === teamConvId('w2'))).toEqual([
        expect.objectContaining({ kind: 'waiting', state: 'pending' }),
      ]);
    } finally {
      storage.setNotifyPolicy(undefined);
    }
  });

  test("the doctors' directory: every doctor with their name opened and the profile where there is one, no other role", async () => {
    const next: Account = { account: 'doc-d', name: '郑医生', role: 'doctor' };
    await storage.upsertAccount(next);
    await storage.putDoctorProfile(next.account, { title: '副主任医师', department: '神经内科', licence: 'L-000002' }, 1);
    expect(await storage.doctorDirectory()).toEqual([
      { account: doctor.account, name: doctor.name },
      { account: next.account, name: next.name, title: '副主任医师', department: '神经内科' },
    ]);
  });

  test('the encounter: identity sealed and confirmed once, consent once with its notice, the intake card once outside the quota', async () => {
    const self: IdentityRecord = { name: '孙丽', idNumber: '110101198001011234', sex: 'female', birthDate: '1980-01-01', relation: 'self' };
    await storage.createConsultation({ id: 'e1', patient: patient.account, doctor: doctor.account, teamName: '复诊', status: 'waiting', candidates: [self], maxPatientMessages: 1 });
    expect(await storage.consultation('e1')).toMatchObject({ candidates: [self], followUps: 0, createdAt: expect.any(Number) });
    expect((await storage.consultation('e1'))?.consent).toBeUndefined();
    await expect(storage.appendMessage(text(patient.account, 'e1-early', 'e1'))).rejects.toMatchObject({ code: 'consentRequired' });
    expect(await storage.confirmIdentity('e1', self)).toMatchObject({ identity: self });
    expect(await storage.confirmIdentity('e1', { ...self, name: '别人' })).toBeUndefined();
    const notice = text(patient.account, 'consent:e1', 'e1', { type: 'notification', body: '已同意' });
    const given = await storage.giveConsent('e1', { version: 'v2', acceptedAt: 7, by: 'patient' }, notice);
    expect(given?.consultation.consent).toEqual({ version: 'v2', acceptedAt: 7, by: 'patient' });
    expect(given?.notice.seq).toBe(1);
    expect(await storage.giveConsent('e1', { version: 'v3', acceptedAt: 8, by: 'patient' }, { ...notice, idClient: 'consent:again' })).toBeUndefined();
    const card: IntakeCard = { card: 'intake', complaint: '头晕', duration: '3天', symptoms: [], allergies: ['青霉素'], medications: [], diagnosis: '高血压', attachments: [], source: 'patient', filledAt: 9 };
    const put = await storage.putIntake('e1', card, intakeMessage('e1', patient.account, patient.name, card));
    expect(put?.stored).toMatchObject({ seq: 2, type: 'custom', attach: card, fromNick: patient.name });
    expect(put?.consultation).toMatchObject({ intake: card, patientMessages: 0 });
    expect(await storage.putIntake('e1', card, intakeMessage('e1', patient.account, patient.name, card))).toBeUndefined();
    // The quota of one message is still whole after the card.
    await storage.appendMessage(text(patient.account, 'e1-first', 'e1'));
    await expect(storage.appendMessage(text(patient.account, 'e1-second', 'e1'))).rejects.toMatchObject({ code: 'quotaExceeded' });
  });

  test('follow-ups after closing: counted apart from the quota, N within the window, then closed', async () => {
    await storage.createConsultation({ id: 'f1', consent, patient: patient.account, doctor: doctor.account, teamName: '复诊', maxPatientMessages: 1, followUp: { messages: 2, days: 1 } });
    await storage.appendMessage(text(patient.account, 'f1-visit', 'f1'));
    const closing = text(doctor.account, 'consultation:f1:closed', 'f1', { type: 'notification', body: '已结束' });
    const closed = await storage.transitionConsultation('f1', 'close', closing);
    expect(closed?.consultation).toMatchObject({ status: 'closed', closedAt: expect.any(Number), followUp: { messages: 2, days: 1 } });
    await Promise.all([1, 2].map((i) => storage.appendMessage(text(patient.account, `f1-more-${i}`, 'f1'))));
    await expect(storage.appendMessage(text(patient.account, 'f1-more-3', 'f1'))).rejects.toMatchObject({ code: 'consultationClosed' });
    await storage.appendMessage(text(doctor.account, 'f1-answer', 'f1'));
    expect(await storage.consultation('f1')).toMatchObject({ patientMessages: 1, followUps: 2 });
  });

  test("doctors' identities, ratings once with the average and pages, quick replies replaced under a lock", async () => {
    expect(await storage.doctorProfile(doctor.account)).toBeUndefined();
    await storage.putDoctorProfile(doctor.account, { title: '主治医师', department: '内科', licence: 'L-000001' }, 1);
    await storage.putDoctorProfile(doctor.account, { title: '副主任医师', department: '内科', licence: 'L-000001' }, 2);
    expect(await storage.doctorProfile(doctor.account)).toEqual({ title: '副主任医师', department: '内科', licence: 'L-000001' });

    const rating = (consultationId: string, stars: number, ratedAt: number): Rating => ({ consultationId, doctor: doctor.account, patient: patient.account, stars, tags: ['回复及时'], ratedAt });
    expect(await storage.ratingSummary(doctor.account)).toEqual({ average: 0, count: 0 });
    expect(await storage.rate({ ...rating('k1', 5, 10), comment: '谢谢' })).toBe(true);
    expect(await storage.rate(rating('k1', 1, 11))).toBe(false);
    expect(await storage.rate(rating('k2', 4, 10))).toBe(true);
    expect(await storage.rate({ ...rating('k3', 4, 12), doctor: 'doc-z' })).toBe(true);
    expect(await storage.rating('k1')).toEqual({ ...rating('k1', 5, 10), comment: '谢谢' });
    expect(await storage.ratingSummary(doctor.account)).toEqual({ average: 4.5, count: 2 });
    const page1 = await storage.ratings({ limit: 2 });
    expect(page1.map((r) => r.consultationId)).toEqual(['k1', 'k2']);
    expect((await storage.ratings({ limit: 2, after: { ratedAt: 10, consultationId: 'k2' } })).map((r) => r.consultationId)).toEqual(['k3']);
    expect((await storage.ratings({ doctor: doctor.account, limit: 10 })).map((r) => r.consultationId)).toEqual(['k1', 'k2']);

    expect(await storage.quickReplies(doctor.account)).toEqual([]);
    await Promise.all(['a', 'b', 'c'].map((t) => storage.editQuickReplies(doctor.account, (list) => [...list, { id: t, text: t }], 1)));
    expect((await storage.quickReplies(doctor.account)).map((r) => r.id).sort()).toEqual(['a', 'b', 'c']);
    await expect(
      storage.editQuickReplies(doctor.account, () => {
        throw new Error('refused');
      }, 2),
    ).rejects.toThrow('refused');
    expect(await storage.quickReplies(doctor.account)).toHaveLength(3);
    expect(await storage.quickReplies(other.account)).toEqual([]);
  });
}
