/** Builds one target afresh for a bench row: output left from older sources would be measured otherwise. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

export function buildApp(target: string, provider: 'local' | 'nim' = 'local'): boolean {
  // A production build needs a release address (https on a domain); the sizes do not depend on which.
  const env = { TARO_APP_SERVER_URL: 'https://im.medchat.test', ...process.env, IM_PROVIDER: provider };
  return spawnSync('npx', ['taro', 'build', '--type', target], { cwd: ROOT, stdio: 'ignore', env }).status === 0;
}
