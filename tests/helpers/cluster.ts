/**
 * Two server processes of one deployment (PostgreSQL + Redis, one files directory) for the tests of a
 * file: started before them, one after the other (both seed the demo consultation), and stopped after
 * them with what the tests opened (`closing`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer, type ServerProcess } from './server-process';
import { clusterEnv, startPostgres, startRedis, type Service } from './services';

export function twoNodesPerFile(dirPrefix: string): { readonly a: ServerProcess; readonly b: ServerProcess; readonly dbUrl: string; closing(close: () => void): void } {
  let services: Service[] = [];
  let shared: string | undefined;
  const nodes: ServerProcess[] = [];
  const toClose: Array<() => void> = [];
  beforeAll(async () => {
    const [db, redis] = (services = await Promise.all([startPostgres(), startRedis()]));
    shared = mkdtempSync(join(tmpdir(), dirPrefix));
    const env = clusterEnv(db.url, redis.url, join(shared, 'files'));
    nodes.push(await spawnServer(env));
    nodes.push(await spawnServer(env));
  });
  afterAll(async () => {
    for (const close of toClose.splice(0)) close();
    for (const node of nodes) await node.stop();
    await Promise.all(services.map((s) => s.stop()));
    if (shared) rmSync(shared, { recursive: true, force: true });
  });
  return {
    get a() {
      return nodes[0];
    },
    get b() {
      return nodes[1];
    },
    get dbUrl() {
      return services[0].url;
    },
    closing: (close) => void toClose.push(close),
  };
}
