/**
 * The SQLite storage's checkpointer (sqlite.ts): on a worker thread with a connection of its own, it
 * copies the write-ahead log into the database file every so often. A checkpoint writes every page the
 * log holds and then fsyncs the file; on the event loop's thread that stalled every socket for its
 * duration, so the main connection's automatic checkpoints are off. PASSIVE never waits for the writer:
 * what a checkpoint cannot copy yet, the next one does, and the writer starts the log over once a
 * checkpoint has copied it all. Plain CommonJS, because a worker thread loads it without the TS loader.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, loaded by worker_threads */
/* global require, setTimeout, clearTimeout */
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.path, { fileMustExist: true });
// A checkpoint that meets the writer restarting the log waits this long instead of failing.
db.pragma('busy_timeout = 1000');

let timer;
const tick = () => {
  db.pragma('wal_checkpoint(PASSIVE)');
  timer = setTimeout(tick, workerData.everyMs);
};

parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
