/**
 * `npm start`: build the H5 app when its sources are newer than the build, start the server on SQLite,
 * seed a demo doctor, patient and consultation, and print one link for each.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

function buildH5IfNeeded(): void {
  const sources = ['src', 'types', 'config', 'babel.config.js', 'package.json'].map((p) => join(ROOT, p));
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  console.log('构建 H5 页面（约 20 秒）… / building the H5 app…');
  const run = spawnSync('npx', ['taro', 'build', '--type', 'h5'], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) throw new Error('H5 build failed');
}

async function main(): Promise<void> {
  buildH5IfNeeded();
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
