import { startServer } from './app';
import { configFromEnv } from './config';

async function main(): Promise<void> {
  const server = await startServer(configFromEnv());
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
