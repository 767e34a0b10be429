/**
 * `npm run server`: the server from the environment (see README's variables), stopped gracefully on
 * SIGTERM. `npm run server -- --check-config` only checks the environment: every problem at once, exit
 * 0 when it would start, 2 when not.
 */
import { startServer } from './app';
import { ConfigError, configFromEnv, type ServerConfig } from './config';
import { stopOnSignals } from './shutdown';

/** What the configuration amounts to, without any secret. */
function summary(c: ServerConfig): string {
  return [
    `listen ${c.host}:${c.port}${c.publicUrl ? `, public ${c.publicUrl}` : ''}`,
    `storage ${c.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite ${c.dbPath}`}, files ${c.filesDir}`,
    `fan-out ${c.redisUrl ? 'Redis (REDIS_URL)' : 'this process only'}`,
    `data keys ${[...c.dataKeys.keys.keys()].join(', ')} (active ${c.dataKeys.active})`,
    `hospital API ${c.adminApiKey ? 'on' : 'off'}, metrics ${c.metricsToken ? 'on (METRICS_TOKEN)' : 'off'}, NIM ${c.nim ? 'on' : 'off'}`,
    `H5 app ${c.staticDir ?? 'not built (API and WebSocket only)'}`,
  ].join('\n  ');
}

async function main(args: string[]): Promise<void> {
  if (args.includes('--check-config')) {
    const config = configFromEnv(process.env, { dryRun: true });
    console.log(`configuration OK${process.env.NODE_ENV === 'production' ? ' for production' : ''}:\n  ${summary(config)}`);
    return;
  }
  const config = configFromEnv();
  const server = await startServer(config);
  stopOnSignals(server, config.shutdownGraceSec ?? 10);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
