/** Mini-program package sizes against WeChat's 2 MB main-package limit. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const LIMIT = 2 * 1024 * 1024;
const ROOT = resolve(__dirname, '..');

function size(path: string): number {
  const st = statSync(path);
  return st.isDirectory() ? readdirSync(path).reduce((n, f) => n + size(join(path, f)), 0) : st.size;
}

export function benchSizes(): string[] {
  return ['weapp', 'alipay', 'tt'].map((target) => {
    const dir = join(ROOT, 'dist', target);
    // A clean clone has built nothing (npm test builds h5 and weapp only): build what is measured.
    if (!existsSync(dir) && spawnSync('npx', ['taro', 'build', '--type', target], { cwd: ROOT, stdio: 'ignore' }).status !== 0) {
      return `${target}: build failed (npm run build:${target})`;
    }
    const bytes = size(dir);
    return `${target} package: ${(bytes / 1024).toFixed(0)} KB of 2048 KB, ratio ${(bytes / LIMIT).toFixed(2)} of the limit`;
  });
}
