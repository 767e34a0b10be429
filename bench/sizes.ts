/**
 * Mini-program main-package sizes against the 2 MB limit, for default (local) and NIM builds: the main
 * package is everything outside the subpackage roots app.json lists, and the row says whether the NIM
 * SDK ended up in it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildApp, ROOT } from './build';

const LIMIT = 2 * 1024 * 1024;
/** A string only the NIM SDK's code contains. */
const SDK_MARK = 'V2NIMErrorCode';

function files(path: string): string[] {
  return statSync(path).isDirectory() ? readdirSync(path).flatMap((f) => files(join(path, f))) : [path];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

function measure(target: string, provider: 'local' | 'nim'): string {
  const dir = join(ROOT, 'dist', provider === 'nim' ? `${target}-nim` : target);
  const label = `${target}${provider === 'nim' ? ' (IM_PROVIDER=nim)' : ''}`;
  if (!buildApp(target, provider) || !existsSync(dir)) {
    return `${label}: build failed (IM_PROVIDER=${provider} npm run build:${target})`;
  }
  const app = JSON.parse(readFileSync(join(dir, 'app.json'), 'utf8')) as { subPackages?: Array<{ root: string }>; subpackages?: Array<{ root: string }> };
  const roots = (app.subPackages ?? app.subpackages ?? []).map((p) => p.root.replace(/\/?$/, '/'));
  let main = 0;
  let sub = 0;
  let sdkInMain = false;
  for (const f of files(dir)) {
    const bytes = statSync(f).size;
    if (roots.some((r) => relative(dir, f).startsWith(r))) sub += bytes;
    else {
      main += bytes;
      if (f.endsWith('.js') && readFileSync(f, 'utf8').includes(SDK_MARK)) sdkInMain = true;
    }
  }
  return `${label} main package: ${kb(main)} of 2048 KB, ratio ${(main / LIMIT).toFixed(2)} of the limit; subpackages ${kb(sub)}; NIM SDK in main package: ${sdkInMain ? 'YES' : 'no'}`;
}

export function benchSizes(): string[] {
  return ['weapp', 'alipay', 'tt'].flatMap((target) => [measure(target, 'local'), measure(target, 'nim')]);
}
