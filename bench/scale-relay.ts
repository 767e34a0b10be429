/**
 * The ceiling for the scale row: a raw `ws` relay for two-person conversations, with no auth, no
 * validation and no storage. Connection `?c=i` is paired with `i ^ 1`; each frame goes unchanged to the
 * partner and the sender gets an ack. Its own process (as the server is); prints its port.
 */
import { WebSocketServer, type WebSocket } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096 });
const byIndex = new Map<number, WebSocket>();
wss.on('connection', (ws, req) => {
  const i = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('c'));
  byIndex.set(i, ws);
  ws.on('close', () => byIndex.delete(i));
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    byIndex.get(i ^ 1)?.send(text);
    ws.send(`{"ack":${JSON.stringify((JSON.parse(text) as { id: string }).id)}}`);
  });
});
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ port: (wss.address() as { port: number }).port })}\n`));
process.once('SIGTERM', () => {
  for (const ws of byIndex.values()) ws.terminate();
  wss.close(() => process.exit(0));
});
