import { startServer } from './app';
import { configFromEnv } from './config';
import { stopOnSignals } from './shutdown';

async function main(): Promise<void> {
  const config = configFromEnv();
  const server = await startServer(config);
  stopOnSignals(server, config.shutdownGraceSec ?? 10);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
