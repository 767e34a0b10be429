/**
 * The ceiling for the server row: a raw `ws` relay with no auth, no validation and no storage. Each
 * frame goes unchanged to every other connection, and the sender gets an ack. Runs as its own process
 * (as the server does) and prints its port.
 */
import { WebSocketServer, type WebSocket } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const peers = new Set<WebSocket>();
wss.on('connection', (ws) => {
  peers.add(ws);
  ws.on('close', () => peers.delete(ws));
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    for (const p of peers) if (p !== ws) p.send(text);
    ws.send(`{"ack":${JSON.stringify((JSON.parse(text) as { id: string }).id)}}`);
  });
});
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ port: (wss.address() as { port: number }).port })}\n`));
process.once('SIGTERM', () => wss.close(() => process.exit(0)));
