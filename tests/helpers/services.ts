/**
 * Private PostgreSQL and Redis instances from the Debian packages (`.ci/run` installs them), each on a
 * free port in a temp directory, started and removed by the test that needs them. PostgreSQL refuses
 * to run as root, so under root (CI) its commands run as the `postgres` user.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Service {
  url: string;
  stop(): Promise<void>;
}

/** PostgreSQL can also go away and come back on the same port and data (a database restart). */
export interface PostgresService extends Service {
  halt(): void;
  resume(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  if (!version) throw new Error('PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)');
  return join(root, version, 'bin');
}

function asPostgres(cmd: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: 'pipe' });
}

export async function startPostgres(): Promise<PostgresService> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'medchat-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'medchat', '--no-sync', '-E', 'UTF8']);
  // Durability is not under test here (the fault test kills server processes, not the database).
  const start = () =>
    asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  start();
  return {
    url: `postgres://medchat@127.0.0.1:${port}/postgres`,
    halt: () => asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-w', '-m', 'fast', 'stop']),
    resume: start,
    async stop() {
      asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startRedis(): Promise<Service> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What every node of one deployment shares: database, bus, keys and the files directory. */
export function clusterEnv(dbUrl: string, redisUrl: string, filesDir: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl,
    DATA_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
    AUDIT_KEY: 'cluster-audit-key-cluster-audit-key!',
    FILES_DIR: filesDir,
  };
}
