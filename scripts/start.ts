/**
 * `npm start`: build the H5 app when its sources are newer than the build, start the server on SQLite,
 * seed a demo doctor, patient and consultation, and print one link for each.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startServer } from '../server/app';
import { configFromEnv } from '../server/config';
import { entryLink } from '../server/api';
import { DEMO, seedDemo } from '../server/demo';
import { stopOnSignals } from '../server/shutdown';

const ROOT = resolve(__dirname, '..');
const BUILT = join(ROOT, 'dist/h5/index.html');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * The build's own output is pages of webpack progress: it goes to a log, and the person sees one line
 * (updated in place on a terminal) and, if the build fails, the end of that log.
 */
async function buildH5IfNeeded(): Promise<void> {
  const sources = ['src', 'types', 'config', 'babel.config.js', 'package.json'].map((p) => join(ROOT, p));
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  const log = join(ROOT, 'data', 'build-h5.log');
  mkdirSync(dirname(log), { recursive: true });
  const out = openSync(log, 'w');
  const started = Date.now();
  const line = (state: string) => `构建 H5 页面 / building the H5 app… ${state}`;
  const tty = process.stdout.isTTY;
  process.stdout.write(tty ? line('') : `${line('')}\n`);
  const ticker = tty ? setInterval(() => process.stdout.write(`\r${line(`${Math.round((Date.now() - started) / 1000)} s`)}`), 1000) : undefined;
  const code = await new Promise<number | null>((done) =>
    spawn('npx', ['taro', 'build', '--type', 'h5'], { cwd: ROOT, stdio: ['ignore', out, out] }).once('exit', done),
  );
  clearInterval(ticker);
  closeSync(out);
  const result = code === 0 ? `done in ${Math.round((Date.now() - started) / 1000)} s` : 'failed';
  process.stdout.write(tty ? `\r${line(result)}\n` : `${line(result)}\n`);
  if (code !== 0) throw new Error(`H5 build failed; the end of ${log}:\n${readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}`);
}

async function main(): Promise<void> {
  await buildH5IfNeeded();
  // SMS links are one-time; for the demo they stay valid a day instead of 15 minutes.
  const config = configFromEnv({ LOG_LEVEL: 'warn', LINK_TTL_SEC: '86400', STATIC_DIR: join(ROOT, 'dist/h5'), ...process.env });
  const server = await startServer(config);
  await seedDemo(server.storage);
  const session = `team-${DEMO.consultationId}`;
  const patient = await entryLink(server.url, server.auth, DEMO.patient, session);
  const doctor = await entryLink(server.url, server.auth, DEMO.doctor, session);
  console.log(`\nmedchat is running at ${server.url} (database ${config.dbPath})\n`);
  console.log(`患者 ${DEMO.patient.name} / patient link:\n  ${patient}\n`);
  console.log(`医生 ${DEMO.doctor.name} / doctor link:\n  ${doctor}\n`);
  // Each link signs in once, so the mini program in WeChat DevTools gets one of its own.
  const forDevTools = (await entryLink(server.url, server.auth, DEMO.patient, session)).split('?')[1];
  console.log(`WeChat DevTools launch parameters (patient):\n  ${forDevTools}\n`);
  console.log('Open the two links in two tabs: each tab keeps its own sign-in. Each link signs in once');
  console.log('(reopening it in the same tab continues); run npm start again for fresh links. Ctrl+C stops.');
  stopOnSignals(server, config.shutdownGraceSec ?? 10);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
