import type { RunningServer } from './app';

/**
 * SIGTERM / SIGINT: a graceful stop (see RunningServer.shutdown), then exit 0. A second signal, or the
 * grace period plus a few seconds without the shutdown finishing, exits at once.
 */
export function stopOnSignals(server: Pick<RunningServer, 'shutdown'>, graceSec: number): void {
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(1), (graceSec + 5) * 1000).unref();
    server.shutdown(graceSec * 1000).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
