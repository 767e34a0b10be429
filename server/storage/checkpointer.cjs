/**
 * The SQLite storage's checkpointer (sqlite.ts): on a worker thread with a connection of its own, it
 * copies the write-ahead log into the database file every so often. A checkpoint writes every page the
 * log holds and then fsyncs the file; on the event loop's thread that stalled every socket for its
 * duration, so the main connection checkpoints only when its log has grown large (sqlite.ts says why it
 * still must), and then finds little left to copy. PASSIVE never waits for the writer: what one
 * checkpoint cannot copy yet, the next one does (a checkpoint already running elsewhere is reported in
 * its result, not thrown). Plain CommonJS, because a worker thread loads it without the TS loader.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, loaded by worker_threads */
/* global require, setTimeout, clearTimeout */
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.path, { fileMustExist: true });

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
