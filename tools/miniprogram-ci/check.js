// Runs WeChat's offline checks on a mini-program project and prints them as one JSON line:
// `node tools/miniprogram-ci/check.js <projectPath> <privateKeyPath>`. A process of its own because
// miniprogram-ci leaves a file watcher running that nothing in its API closes.
const ci = require('miniprogram-ci');

const [projectPath, privateKeyPath] = process.argv.slice(2);
const project = new ci.Project({ appid: 'wx0000000000000000', type: 'miniProgram', projectPath, privateKeyPath, ignores: ['node_modules/**/*'] });

(async () => {
  const quality = await ci.checkCodeQuality(project);
  const { files } = await ci.analyseCode(project);
  const packages = {};
  for (const f of files) packages[f.subPackage ?? '__APP__'] = (packages[f.subPackage ?? '__APP__'] ?? 0) + f.size;
  process.stdout.write(`${JSON.stringify({ quality, packages })}\n`);
  process.exit(0);
})().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
