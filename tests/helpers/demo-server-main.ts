/**
 * Child-process entry for tests that need the server in its own process (a jsdom test environment,
 * or a test that kills the server): starts it from the environment, seeds the demo accounts and
 * prints one JSON line with its address and a token for each demo account.
 */
import pino from 'pino';
import { startServer } from '../../server/app';
import { configFromEnv } from '../../server/config';
import { DEMO, seedDemo } from '../../server/demo';
import { stopOnSignals } from '../../server/shutdown';

async function main(): Promise<void> {
  const config = configFromEnv();
  const server = await startServer(config, pino({ level: 'silent' }));
  await seedDemo(server.storage);
  const tokens = {
    patient: await server.auth.issue(DEMO.patient),
    doctor: await server.auth.issue(DEMO.doctor),
  };
  process.stdout.write(`${JSON.stringify({ ready: true, url: server.url, tokens })}\n`);
  // As the real server does (server/main.ts): drain, tell clients to reconnect elsewhere, exit.
  stopOnSignals(server, config.shutdownGraceSec ?? 10);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
