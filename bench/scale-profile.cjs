/**
 * Preloaded into the scale row's server when SCALE_PROFILE=<dir> is set (node refuses --cpu-prof in
 * NODE_OPTIONS; CommonJS, because it loads before tsx): profiles the whole process and writes a
 * .cpuprofile (Chrome DevTools, speedscope) into <dir> when it exits. The in-thread inspector session answers synchronously, so an exit
 * handler can still collect it.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: preloaded with --require, before tsx */
/* global require, process */
const { writeFileSync } = require('node:fs');
const { Session } = require('node:inspector');
const { join } = require('node:path');

const dir = process.env.SCALE_PROFILE;
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.once('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(join(dir, `server-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
});
