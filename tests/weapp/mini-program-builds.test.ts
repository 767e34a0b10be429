/**
 * @jest-environment node
 *
 * What Douyin and Alipay read of the built dist/tt and dist/alipay (`npm test` builds both with
 * --mode test): the privacy switch and permission texts in app.json, Alipay's project file, and
 * Alipay's package limits (no offline tool of Alipay's can measure them: minidev fetches its builder
 * from Alipay's CDN first).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bytesByRoot } from '../helpers/package-sizes';

const DIST = resolve(__dirname, '../../dist');
const appJson = (target: string) => JSON.parse(readFileSync(join(DIST, target, 'app.json'), 'utf8')) as Record<string, unknown>;

/**
 * Alipay's limits (opendocs.alipay.com, 分包加载 / 分包大小限制): the main package and each subpackage
 * ≤ 2 MB, all together ≤ 8 MB.
 */
const PACKAGE_LIMIT = 2 * 1024 * 1024;
const ALIPAY_TOTAL_LIMIT = 8 * 1024 * 1024;

test('Douyin: the privacy check is on (apps created before 2024-03-25 need the key), with every permission explained', () => {
  const app = appJson('tt');
  expect(app.__usePrivacyCheck__).toBe(true);
  expect(Object.keys(app.permission as object).sort()).toEqual(['scope.album', 'scope.camera', 'scope.record', 'scope.userLocation']);
  for (const { desc } of Object.values(app.permission as Record<string, { desc: string }>)) expect(desc).toMatch(/医生/);
  expect(app.requiredPrivateInfos).toEqual(['chooseLocation']);
});

test('Alipay: the privacy check is on, WeChat-only keys stay out, the project file is emitted', () => {
  const app = appJson('alipay');
  expect(app.__usePrivacyCheck__).toBe(true);
  for (const key of ['permission', 'requiredPrivateInfos', 'sitemapLocation', 'darkmode']) expect(app).not.toHaveProperty(key);
  expect(app.pages).toEqual(appJson('tt').pages);
  expect(JSON.parse(readFileSync(join(DIST, 'alipay/mini.project.json'), 'utf8'))).toMatchObject({ component2: true });
});

test('Alipay: the main package and the consult subpackage within 2 MB each, all within 8 MB', () => {
  const root = join(DIST, 'alipay');
  const roots = (appJson('alipay').subPackages as Array<{ root: string }>).map((p) => p.root);
  expect(roots).toEqual(['consult']);
  const sizes = bytesByRoot(root, roots);
  for (const [pkg, size] of sizes) expect({ pkg, size, over: size > PACKAGE_LIMIT }).toMatchObject({ over: false });
  expect(sizes.get('consult')).toBeGreaterThan(0);
  expect([...sizes.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(ALIPAY_TOTAL_LIMIT);
});
