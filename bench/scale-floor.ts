/**
 * The floor for the scale row: the relay (bench/scale-relay.ts, same protocol) plus the least any
 * server must do that stores every message as ours does, and nothing else: no auth, no validation,
 * no membership, consultation or quota check, no moderation, no notification outbox. Each frame's body
 * is sealed with the server's own Cipher and inserted into SQLite (WAL, synchronous NORMAL, as ours)
 * with the conversation's next seq and a time-ordered idServer; an audit record chained by HMAC goes
 * into the same transaction; the frames of one turn of the loop commit together, and the ack and the
 * push leave after the commit. What ours costs above this row is what its checks and its design cost;
 * what this row cannot hold no server that stores each message can. Its own process; prints its port.
 */
import { createHmac, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { WebSocketServer, type WebSocket } from 'ws';
import { Cipher } from '../server/crypto';

const path = process.env.FLOOR_DB;
if (!path) throw new Error('FLOOR_DB: the SQLite file to store into');
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_time INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS messages (
    conv_id TEXT NOT NULL, seq INTEGER NOT NULL, id_server TEXT NOT NULL UNIQUE, id_client TEXT NOT NULL,
    from_account TEXT NOT NULL, body TEXT NOT NULL, time INTEGER NOT NULL,
    PRIMARY KEY (conv_id, seq), UNIQUE (from_account, id_client));
  CREATE TABLE IF NOT EXISTS audit_log (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, target TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);`);
const bump = db.prepare(
  'INSERT INTO conversations (id, last_seq, last_time) VALUES (?, 1, ?) ON CONFLICT (id) DO UPDATE SET last_seq = last_seq + 1, last_time = MAX(last_time, excluded.last_time) RETURNING last_seq',
);
const insert = db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)');
const record = db.prepare('INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)');
const cipher = new Cipher({ keys: new Map([['floor', randomBytes(32)]]), active: 'floor' });
const chainKey = randomBytes(32);
let head = { seq: 0, hash: '0'.repeat(64) };

interface Frame {
  from: number;
  id: string;
  text: string;
}

function store(f: Frame): void {
  const conv = `c${f.from >> 1}`;
  const account = `a${f.from}`;
  const now = Date.now();
  const { last_seq: seq } = bump.get(conv, now) as { last_seq: number };
  insert.run(conv, seq, uuidv7(), f.id, account, cipher.seal(f.text), now);
  const target = `${conv}:${seq}`;
  const hash = createHmac('sha256', chainKey).update(JSON.stringify([head.seq + 1, now, account, target, head.hash])).digest('hex');
  record.run(head.seq + 1, now, account, target, head.hash, hash);
  head = { seq: head.seq + 1, hash };
}

const commit = db.transaction((frames: Frame[]) => frames.forEach(store));
const byIndex = new Map<number, WebSocket>();
let turn: Frame[] = [];

function flush(): void {
  const frames = turn;
  turn = [];
  commit(frames);
  for (const f of frames) {
    byIndex.get(f.from ^ 1)?.send(f.text);
    byIndex.get(f.from)?.send(`{"ack":${JSON.stringify(f.id)}}`);
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096 });
wss.on('connection', (ws, req) => {
  const from = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('c'));
  byIndex.set(from, ws);
  ws.on('close', () => byIndex.delete(from));
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    turn.push({ from, id: (JSON.parse(text) as { id: string }).id, text });
    if (turn.length === 1) setImmediate(flush);
  });
});
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ port: (wss.address() as { port: number }).port })}\n`));
process.once('SIGTERM', () => {
  for (const ws of byIndex.values()) ws.terminate();
  wss.close(() => {
    if (turn.length) flush();
    db.close();
    process.exit(0);
  });
});
