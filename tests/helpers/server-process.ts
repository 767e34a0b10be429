import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(__dirname, '../..');

export interface ServerProcess {
  url: string;
  tokens: { patient: string; doctor: string };
  dbPath: string;
  child: ChildProcess;
  /** Stops the process (SIGTERM, or the given signal) and removes its data unless `keepData`. */
  stop(signal?: NodeJS.Signals, keepData?: boolean): Promise<void>;
}

/** The real server in its own Node process, on a free port with a fresh SQLite file. */
export async function spawnServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dir = env.DB_PATH ? undefined : mkdtempSync(join(tmpdir(), 'medchat-proc-'));
  const dbPath = env.DB_PATH ?? join(dir as string, 'chat.sqlite');
  // tsx as a loader, not its CLI: the CLI runs the script in a grandchild, which a SIGKILL to the CLI
  // would leave running (holding the port, the database and jest's pipes).
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'demo-server-main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DB_PATH: dbPath,
      JWT_SECRET: 'process-test-secret-process-test-secret',
      STATIC_DIR: join(ROOT, 'no-static-dir'),
      // These processes carry fault and simulator tests that send in bursts; the limit has its own test.
      RATE_LIMIT_PER_SEC: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<{ url: string; tokens: ServerProcess['tokens'] }>((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (line.startsWith('{"ready"')) resolvePromise(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before ready: ${stderr}`)));
  });
  return {
    ...ready,
    dbPath,
    child,
    async stop(signal = 'SIGTERM', keepData = false) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
      }
      if (dir && !keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}
