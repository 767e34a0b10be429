/**
 * The audit chain against someone who can write the audit table (its triggers dropped) but holds
 * neither the audit key nor the anchor file: removing the newest records, editing one and re-chaining
 * the rest with plain SHA-256, editing or forging checkpoints. Also: a database from before the key
 * keeps verifying and chains on. Real server, real SQLite file, and `npm run audit:verify` as run.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../server/app';
import { Audit, GENESIS, verifyAudit } from '../../server/audit';
import type { ServerConfig } from '../../server/config';
import { Cipher } from '../../server/crypto';
import { SqliteStorage } from '../../server/storage/sqlite';
import { teamConvId, type AuditRecord, type NewMessage } from '../../server/storage/types';
import { CONSENTED, doctor, patient, startConsultationServer, TEAM } from '../helpers/consultation';
import { testConfig, WsClient } from '../helpers/server';
import { until } from '../helpers/notify';
import { expectError } from '../helpers/ws-client';
import type { AuditRow } from '../../server/storage/rows';

const ROOT = resolve(__dirname, '../..');
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  server: RunningServer;
  config: ServerConfig;
}

async function consultationServer(): Promise<Setup> {
  const server = await startConsultationServer();
  cleanups.push(() => server.dispose());
  return { server, config: testConfig(server.dir) };
}

/** One login and `sends` messages: 1 + sends audit records. */
async function activity(server: RunningServer, sends: number): Promise<void> {
  const c = await WsClient.login(server, patient);
  try {
    for (let i = 0; i < sends; i++) {
      await c.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: `第${i}条`, idClient: `chain-${i}-${Date.now()}` } });
    }
  } finally {
    c.close();
  }
}

const verify = (s: Setup, anchorFiles = [s.config.auditAnchorFile]) => verifyAudit(s.server.storage, s.config.auditKey, anchorFiles);

/** `npm run audit:verify` as an auditor runs it on the server's files. */
function cli(config: ServerConfig, anchorFiles: string[] = [], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/audit-verify.ts'), ...anchorFiles], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: undefined,
      DB_PATH: config.dbPath,
      AUDIT_KEY: new TextDecoder().decode(config.auditKey),
      AUDIT_ANCHOR_FILE: config.auditAnchorFile,
      ...env,
    },
    encoding: 'utf8',
  });
}

/** The table as someone with write access to the database file sees it. */
function openUnguarded(config: ServerConfig): Database.Database {
  const db = new Database(config.dbPath);
  db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  return db;
}

/** How versions before the audit key chained records, and what the reviewer recomputed. */
const plainHash = (r: Omit<AuditRecord, 'hash'>) =>
  createHash('sha256')
    .update(JSON.stringify([r.seq, r.at, r.actor, r.action, r.target, r.detail, r.prevHash]))
    .digest('hex');

/** Re-links records `fromSeq`..`toSeq` with plain SHA-256, as if no key were needed. */
function rechainPlain(db: Database.Database, fromSeq: number, toSeq = Infinity): void {
  const rows = db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq').all();
  let prevHash = fromSeq === 1 ? GENESIS : rows[fromSeq - 2].hash;
  const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?');
  for (const r of rows.slice(fromSeq - 1, toSeq)) {
    const hash = plainHash({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, target: r.target, detail: r.detail, prevHash });
    update.run(prevHash, hash, r.seq);
    prevHash = hash;
  }
}

describe('a message and its audit record', () => {
  test('are stored together or not at all: a send or a consultation change whose record cannot be written is refused, and its retry stores both once', async () => {
    const s = await consultationServer();
    const c = await WsClient.login(s.server, patient);
    const d = await WsClient.login(s.server, doctor);
    cleanups.push(async () => (c.close(), d.close()));
    const msg = { scene: 'team', to: TEAM, type: 'text', body: '头痛三天', idClient: 'atomic-1' } as const;
    const close = () => d.request('consultation', { sessionId: `team-${TEAM}`, action: 'close' });
    // Another connection to the file makes the audit table refuse new records, as a full or broken disk would.
    const db = new Database(s.config.dbPath);
    db.exec("CREATE TRIGGER audit_log_refuse BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END;");
    await expectError(c.request('send', { msg }), 'internal');
    await expectError(close(), 'internal');
    expect(await s.server.storage.findMessage(teamConvId(TEAM), patient.account, msg.idClient)).toBeUndefined();
    expect(await s.server.storage.consultation(TEAM)).toMatchObject({ status: 'inProgress' });
    expect(await s.server.storage.history(teamConvId(TEAM), undefined, 10)).toEqual([]);

    db.exec('DROP TRIGGER audit_log_refuse');
    db.close();
    const ack = await c.request('send', { msg });
    expect(await c.request('send', { msg })).toEqual(ack);
    expect(await close()).toMatchObject({ consultation: { status: 'closed' } });
    const records = (await s.server.storage.auditRecords(0, 1000)).filter((r) => r.action !== 'login');
    expect(records.map((r) => [r.action, JSON.parse(r.detail) as unknown])).toEqual([
      ['message.send', { seq: ack.seq, type: 'text', idClient: msg.idClient }],
      ['consultation.close', { from: 'inProgress', to: 'closed' }],
    ]);
    await expect(verify(s)).resolves.toMatchObject({ ok: true });
  });

  test('records stored in one commit share one checkpoint, in the anchor file before any of their callers goes on', async () => {
    const s = await consultationServer();
    await activity(s.server, 1);
    const audit = new Audit(s.server.storage, Date.now, s.config);
    cleanups.push(async () => audit.close());
    const anchored = () =>
      readFileSync(s.config.auditAnchorFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq);
    const before = anchored().length;
    const conv = { id: teamConvId(TEAM), scene: 'team' as const, teamId: TEAM };
    const message = (i: number): NewMessage => ({ conv, idClient: `together-${i}`, from: doctor.account, scene: 'team', to: TEAM, type: 'text', body: `第${i}条`, members: [] });
    // Appended in one turn: SQLite commits them together.
    const heard = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const { audit: rec } = await s.server.storage.appendMessage(message(i), (m) => audit.entry(doctor.account, 'message.send', conv.id, { seq: m.seq }));
        audit.committed(rec as AuditRecord);
        // The caller's next step (its reply, in the gateway) finds the record anchored.
        await null;
        return { seq: (rec as AuditRecord).seq, anchoredThen: Math.max(...anchored()) };
      }),
    );
    for (const h of heard) expect(h.anchoredThen).toBeGreaterThanOrEqual(h.seq);
    expect(anchored().slice(before)).toEqual([Math.max(...heard.map((h) => h.seq))]);
    await expect(verify(s)).resolves.toMatchObject({ ok: true, anchoredSeq: Math.max(...heard.map((h) => h.seq)) });
  });
});

describe('a failing anchor file', () => {
  test('fails no one: messages are acked and pushed, /readyz is unready until the checkpoint, tried again without new records, is written and synced', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'medchat-anchor-'));
    cleanups.push(async () => rmSync(outside, { recursive: true, force: true }));
    // A file where the anchor file's directory should be: every checkpoint fails while it is there.
    const blocker = join(outside, 'blocked');
    writeFileSync(blocker, '');
    const auditAnchorFile = join(blocker, 'anchors.log');
    const server = await startConsultationServer({ auditAnchorFile });
    cleanups.push(() => server.dispose());
    const readyz = async () => (await (await fetch(`${server.url}/readyz`)).json()) as { ready: boolean; checks: { auditAnchor: string } };
    const p = await WsClient.login(server, patient);
    const d = await WsClient.login(server, doctor);
    cleanups.push(async () => (p.close(), d.close()));
    const send = (i: number) => p.request('send', { msg: { scene: 'team', to: TEAM, type: 'text', body: `第${i}条`, idClient: `blocked-${i}` } });

    for (let i = 0; i < 3; i++) await send(i);
    for (let i = 0; i < 3; i++) await d.waitFor((f) => f.type === 'msg' && f.msg.idClient === `blocked-${i}`);
    expect(await readyz()).toMatchObject({ ready: false, checks: { auditAnchor: 'failing' } });

    // Nothing new is recorded after the file can be written again: the newest record's checkpoint is retried.
    rmSync(blocker);
    await until(async () => (await readyz()).ready);
    expect(await readyz()).toMatchObject({ checks: { auditAnchor: 'ok' } });
    const anchors = readFileSync(auditAnchorFile, 'utf8').trim().split('\n');
    expect(anchors).toHaveLength(1);
    await expect(verifyAudit(server.storage, testConfig(server.dir).auditKey, [auditAnchorFile])).resolves.toMatchObject({ ok: true, records: 5, anchoredSeq: 5 });
    await send(3);
    await until(() => readFileSync(auditAnchorFile, 'utf8').trim().split('\n').length === 2);
    expect(await readyz()).toMatchObject({ ready: true });
  });
});

describe('a torn anchor line', () => {
  test('a line cut short (a full disk, a crash in mid-write) is reported alone: the checkpoints after it start on lines of their own', async () => {
    const s = await consultationServer();
    appendFileSync(s.config.auditAnchorFile, '{"seq":1,"hash":"ab');
    await activity(s.server, 2);
    const lines = readFileSync(s.config.auditAnchorFile, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('{"seq":1,"hash":"ab');
    expect(lines.slice(1).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3]);
    const result = await verify(s);
    expect(result).toMatchObject({ ok: false, records: 3, anchoredSeq: 3, badAnchor: { where: `${s.config.auditAnchorFile}:1` } });
    expect(result.brokenAt).toBeUndefined();
  });

  test('a write the disk cuts short turns the process unready, and the next checkpoint, in this process or the next, starts on a line of its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medchat-torn-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const anchorFile = join(dir, 'anchors.log');
    const script = join(dir, 'commit.ts');
    // Checkpoints of records `from`..`to`, one per turn; the file size limit's signal (SIGXFSZ) would end
    // the process, so it is ignored and writes past the limit come back short, then fail.
    writeFileSync(
      script,
      `import { Audit } from ${JSON.stringify(join(ROOT, 'server/audit'))};
      process.on('SIGXFSZ', () => {});
      const [file, from, to] = process.argv.slice(2);
      const audit = new Audit({} as never, Date.now, { auditKey: new TextEncoder().encode('k'.repeat(32)), auditAnchorFile: file });
      void (async () => {
        for (let seq = Number(from); seq <= Number(to); seq++) {
          audit.committed({ seq, hash: String(seq).padStart(64, '0'), at: 0, actor: 'a', action: 'x', target: 't', detail: '{}', prevHash: '' });
          await new Promise((r) => setImmediate(r));
        }
        console.log(JSON.stringify({ healthy: audit.anchorHealthy() }));
        process.exit(0);
      })();`,
    );
    const run = (limit: string, from: number, to: number) =>
      spawnSync('bash', ['-c', `${limit} exec "${process.execPath}" --import tsx "${script}" "${anchorFile}" ${from} ${to}`], { cwd: ROOT, encoding: 'utf8' });
    // 1 KiB: five checkpoint lines and part of the sixth.
    expect(JSON.parse(run('ulimit -f 1;', 1, 8).stdout)).toEqual({ healthy: false });
    expect(JSON.parse(run('', 9, 9).stdout)).toEqual({ healthy: true });
    const seqs = readFileSync(anchorFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (l.endsWith('}') ? (JSON.parse(l) as { seq: number }).seq : 'torn'));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 'torn', 9]);
  });
});

describe('a missing tail', () => {
  test('removing the newest 20 records is reported, also once the server has appended again after the cut', async () => {
    const s = await consultationServer();
    await activity(s.server, 29);
    expect(cli(s.config).status).toBe(0);

    const db = openUnguarded(s.config);
    expect(db.prepare('DELETE FROM audit_log WHERE seq > 10').run().changes).toBe(20);
    db.close();

    const run = cli(s.config);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('audit chain BROKEN at record 11: record 11 is missing: the table ends at record 10');
    await expect(verify(s)).resolves.toMatchObject({
      ok: false,
      records: 10,
      brokenAt: { seq: 11, reason: expect.stringContaining('its tail was removed') },
    });

    // The server chains on from record 10 with the key; the checkpoints of the removed records remain.
    await activity(s.server, 24);
    await expect(verify(s)).resolves.toMatchObject({ ok: false, records: 10, brokenAt: { seq: 11, reason: expect.stringContaining('rewritten') } });
  });
});

describe('a re-chained log', () => {
  test('editing one record and recomputing every later SHA-256 is reported', async () => {
    const s = await consultationServer();
    await activity(s.server, 9);
    const db = openUnguarded(s.config);
    db.prepare(`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5`).run();
    rechainPlain(db, 5);

    const run = cli(s.config);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('audit chain BROKEN at record 5: plain SHA-256 hash after keyed records: the log was re-chained without the key');
    await expect(verify(s)).resolves.toMatchObject({ ok: false, records: 4, brokenAt: { seq: 5 } });

    // From the first record on, no keyed record comes before the plain ones: the checkpoints catch it.
    rechainPlain(db, 1);
    db.close();
    await expect(verify(s)).resolves.toMatchObject({ ok: false, records: 0, brokenAt: { seq: 1, reason: expect.stringContaining('rewritten') } });
    expect(cli(s.config).status).toBe(1);
  });

  test('an edited record is reported as edited, and a removed one as missing', async () => {
    const s = await consultationServer();
    await activity(s.server, 5);
    const db = openUnguarded(s.config);
    db.prepare(`UPDATE audit_log SET detail = '{}' WHERE seq = 3`).run();
    await expect(verify(s)).resolves.toMatchObject({ ok: false, brokenAt: { seq: 3, reason: 'content does not match its hash (edited)' } });
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    db.close();
    await expect(verify(s)).resolves.toMatchObject({ ok: false, brokenAt: { seq: 2, reason: 'record 2 is missing' } });
  });
});

describe('a database from before the audit key', () => {
  test('keeps verifying, chains on with the key, and its plain part can no longer be rewritten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medchat-legacy-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const config = testConfig(dir);
    const old = new SqliteStorage(config.dbPath, new Cipher(config.dataKeys));
    for (let i = 1; i <= 5; i++) {
      await old.appendAudit((prev) => {
        const base = { seq: i, at: 1_700_000_000_000 + i, actor: doctor.account, action: 'login', target: doctor.account, detail: '{}', prevHash: prev?.hash ?? GENESIS };
        return { ...base, hash: plainHash(base) };
      });
    }
    // Unanchored, it cannot be told from a log someone re-chained as plain SHA-256 and whose anchor
    // file they deleted: not verified until the server has anchored it.
    await expect(verifyAudit(old, config.auditKey, [config.auditAnchorFile])).resolves.toMatchObject({
      ok: false,
      records: 5,
      legacy: 5,
      checkpoints: 0,
      badAnchor: { reason: expect.stringContaining('records but no checkpoint') },
    });
    await old.close();
    // Checking changes nothing: the database the auditor looks at is the one that was there.
    // (An older schema version, which opening it for writing would migrate.)
    const raw = new Database(config.dbPath);
    const version = raw.pragma('user_version', { simple: true }) as number;
    raw.pragma('user_version = 3');
    raw.close();
    const before = readFileSync(config.dbPath);
    expect(cli(config).status).toBe(1);
    expect(readFileSync(config.dbPath).equals(before)).toBe(true);
    const restore = new Database(config.dbPath);
    restore.pragma(`user_version = ${version}`);
    restore.close();

    const server = await startServer(config, pino({ level: 'silent' }));
    cleanups.push(() => server.close());
    for (const a of [doctor, patient]) await server.storage.upsertAccount(a);
    await server.storage.createConsultation({ id: TEAM, patient: patient.account, doctor: doctor.account, teamName: '问诊', ...CONSENTED });
    await activity(server, 4);
    const s = { server, config };
    await expect(verify(s)).resolves.toEqual({ ok: true, records: 10, legacy: 5, checkpoints: 5, anchoredSeq: 10 });
    expect(cli(config).stdout).toContain('audit chain OK: 10 records, the first 5 chained with plain SHA-256 before the audit key; anchored up to record 10 by 5 checkpoints');

    const db = openUnguarded(config);
    db.prepare(`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2`).run();
    rechainPlain(db, 2, 5);
    // The first keyed record covers the hash of the last plain one…
    await expect(verify(s)).resolves.toMatchObject({ ok: false, records: 5, brokenAt: { seq: 6, reason: 'does not link to the record before it' } });
    // …and making every record plain, the keyed ones too, contradicts their checkpoints.
    rechainPlain(db, 6);
    db.close();
    await expect(verify(s)).resolves.toMatchObject({ ok: false, records: 5, brokenAt: { seq: 6, reason: expect.stringContaining('rewritten') } });
  });
});

describe('the anchor file', () => {
  test('an edited or forged checkpoint, a wrong key and missing checkpoints are reported', async () => {
    const s = await consultationServer();
    await activity(s.server, 4);
    const file = s.config.auditAnchorFile;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    await expect(verify(s)).resolves.toMatchObject({ ok: true, checkpoints: 5, anchoredSeq: 5 });

    // Moving a checkpoint back to hide later records breaks its signature.
    const edited = [...lines];
    edited[4] = edited[4].replace('"seq":5', '"seq":4');
    writeFileSync(file, edited.join('\n') + '\n');
    await expect(verify(s)).resolves.toMatchObject({ ok: false, badAnchor: { where: `${file}:5`, reason: 'signature does not match (forged or edited checkpoint)' } });
    const run = cli(s.config);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`audit anchors BROKEN at ${file}:5: signature does not match (forged or edited checkpoint)`);

    // A checkpoint for a record that never was, signed without the key.
    writeFileSync(file, lines.join('\n') + '\n');
    const forged = { seq: 6, hash: 'a'.repeat(64), at: Date.now() };
    const mac = createHmac('sha256', 'guess').update(JSON.stringify([forged.seq, forged.hash, forged.at])).digest('hex');
    appendFileSync(file, JSON.stringify({ ...forged, mac }) + '\n');
    await expect(verify(s)).resolves.toMatchObject({ ok: false, anchoredSeq: 5, badAnchor: { where: `${file}:6` } });

    writeFileSync(file, lines.join('\n') + '\n');
    const wrongKey = new TextEncoder().encode('another-audit-key-another-audit-key!');
    await expect(verifyAudit(s.server.storage, wrongKey, [file])).resolves.toMatchObject({
      ok: false,
      brokenAt: { seq: 1, reason: expect.stringContaining('edited') },
      badAnchor: { reason: 'none of 5 anchor lines is signed with this key (wrong AUDIT_KEY?)' },
    });
    await expect(verify(s, [join(dirname(s.config.dbPath), 'elsewhere.log')])).resolves.toMatchObject({
      ok: false,
      badAnchor: { reason: expect.stringContaining('records but no checkpoint') },
    });
  });

  test('checkpoints split over several processes’ files are read together; the script exits 0, 1, or 2 on usage errors', async () => {
    const s = await consultationServer();
    await activity(s.server, 5);
    const lines = readFileSync(s.config.auditAnchorFile, 'utf8').trimEnd().split('\n');
    const dir = dirname(s.config.dbPath);
    const a = join(dir, 'node-a.anchors');
    const b = join(dir, 'node-b.anchors');
    writeFileSync(a, lines.filter((_, i) => i % 2 === 0).join('\n') + '\n');
    writeFileSync(b, lines.filter((_, i) => i % 2 === 1).join('\n') + '\n');

    const ok = cli(s.config, [a, b]);
    expect(ok.stdout).toContain('audit chain OK: 6 records; anchored up to record 6 by 6 checkpoints');
    expect(ok.status).toBe(0);
    await expect(verify(s, [a, b])).resolves.toMatchObject({ ok: true, checkpoints: 6, anchoredSeq: 6 });

    // Record 6's checkpoint is only in b.
    const db = openUnguarded(s.config);
    db.prepare('DELETE FROM audit_log WHERE seq = 6').run();
    db.close();
    expect(cli(s.config, [a, b]).status).toBe(1);

    expect(cli(s.config, [join(dir, 'nowhere.anchors')])).toMatchObject({ status: 2, stderr: expect.stringContaining('no anchor file at') });
    expect(cli(s.config, ['--all'])).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown option --all') });
    expect(cli(s.config, [], { DB_PATH: join(dir, 'none.sqlite') })).toMatchObject({ status: 2, stderr: expect.stringContaining('no database at') });
  });
});
