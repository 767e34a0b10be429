/**
 * Precompresses the H5 build: beside every text asset of 1 KiB or more, `<file>.br` (brotli, quality
 * 11) and `<file>.gz` (gzip, level 9), both skipped when they would not be smaller. The server
 * (server/static.ts) sends them to clients that accept them, so no request pays for compression.
 *
 * Runs after every H5 build as a webpack plugin (`CompressAssets`, config/index.ts), so `npm start`,
 * scripts/test.sh and the bench all get it; `tsx scripts/compress-h5.ts [dir]` does it by hand.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Compiler } from 'webpack';

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|xml|wasm|map|ttf|otf|ico)$/i;
const MIN_BYTES = 1024;

export interface CompressStats {
  files: number;
  bytes: number;
  br: number;
  gz: number;
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

export function compressDir(dir: string): CompressStats {
  const stats: CompressStats = { files: 0, bytes: 0, br: 0, gz: 0 };
  for (const path of walk(dir, [])) {
    if (!COMPRESSIBLE.test(path)) continue;
    const raw = readFileSync(path);
    if (raw.length < MIN_BYTES) continue;
    const br = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      },
    });
    const gz = gzipSync(raw, { level: 9 });
    stats.files += 1;
    stats.bytes += raw.length;
    if (br.length < raw.length) {
      writeFileSync(`${path}.br`, br);
      stats.br += br.length;
    }
    if (gz.length < raw.length) {
      writeFileSync(`${path}.gz`, gz);
      stats.gz += gz.length;
    }
  }
  return stats;
}

/** Webpack plugin: compresses the output directory once the build has written it. */
export class CompressAssets {
  apply(compiler: Compiler): void {
    compiler.hooks.afterEmit.tap('CompressAssets', (compilation) => {
      const out = compilation.outputOptions.path;
      if (out) compressDir(out);
    });
  }
}

