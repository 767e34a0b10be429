import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * Bytes of a mini-program build's files by package root ('' = the main package), as the platforms count
 * them: the licence .txt files are not uploaded with the code.
 */
export function bytesByRoot(dist: string, roots: string[]): Map<string, number> {
  const sums = new Map<string, number>([['', 0], ...roots.map((r) => [r, 0] as [string, number])]);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('.txt')) {
        const root = roots.find((r) => relative(dist, path).startsWith(`${r}${sep}`)) ?? '';
        sums.set(root, (sums.get(root) ?? 0) + statSync(path).size);
      }
    }
  };
  walk(dist);
  return sums;
}
