/** `tsx scripts/compress-h5.ts [dir]`: precompress an H5 build by hand (the build does it itself, config/compress-assets.ts). */
import { resolve } from 'node:path';
import { compressDir } from '../config/compress-assets';

{
  const dir = resolve(process.argv[2] ?? 'dist/h5');
  const s = compressDir(dir);
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`${dir}: ${s.files} files, ${kib(s.bytes)} → brotli ${kib(s.br)}, gzip ${kib(s.gz)}`);
}
