/**
 * @jest-environment node
 *
 * WeChat's own upload checks, run offline by its official `miniprogram-ci` on the built dist/weapp
 * (`npm test` builds it and installs the tool into tools/miniprogram-ci first): the code-quality
 * audit a reviewer sees in DevTools (package size, compression, lazy code loading, unused code and
 * components) and the size analysis of each package. The calls that need WeChat's servers (compile,
 * upload, preview) are not made.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../..');
/** WeChat's limit for the main package and for each subpackage. */
const PACKAGE_LIMIT = 2 * 1024 * 1024;

interface QualityCheck {
  name: string;
  success: boolean;
  text: string;
}

/** What tools/miniprogram-ci/check.js prints: the audit, and bytes per package (`__APP__` is the main one). */
interface CheckResult {
  quality: QualityCheck[];
  packages: Record<string, number>;
}

let dir: string;
let result: CheckResult;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'medchat-mpci-'));
  // The upload key is only read by calls that talk to WeChat; a throwaway one satisfies the constructor.
  const keyPath = join(dir, 'upload.key');
  writeFileSync(keyPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const out = execFileSync(process.execPath, [join(ROOT, 'tools/miniprogram-ci/check.js'), ROOT, keyPath], { encoding: 'utf8', timeout: 100_000 });
  result = JSON.parse(out.trim().split('\n').pop() ?? '') as CheckResult;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the build passes every check of WeChat’s code-quality audit', () => {
  const checks = result.quality;
  // The audit's own list: a release that drops a check should be noticed, not pass by having fewer.
  expect(checks.map((c) => c.name)).toEqual(expect.arrayContaining(['PACKAGE_SIZE_LIMIT', 'JS_COMPRESS_OPEN', 'WXML_COMPRESS_OPEN', 'WXSS_COMPRESS_OPEN', 'LAZYCODE_LOADING_OPEN', 'CONTAINS_UNUSED_CODES', 'CONTAINS_UNUSED_COMPONENTS']));
  expect(checks.filter((c) => !c.success).map((c) => `${c.name}: ${c.text}`)).toEqual([]);
});

test('the main package and the consult subpackage are each under WeChat’s 2 MB', () => {
  const sizes = result.packages;
  expect(Object.keys(sizes)).toEqual(expect.arrayContaining(['__APP__', 'consult/']));
  for (const [name, size] of Object.entries(sizes)) expect({ name, fits: size < PACKAGE_LIMIT }).toEqual({ name, fits: true });
});
