/**
 * deploy/nginx.conf run by Debian's nginx (`.ci/run` installs it) in front of test servers, in a temp
 * directory. The file is the one compose mounts; only what names compose's machines changes: the
 * backends' host names, the TLS files' directory and the port. Each change must find its line, so a
 * config that no longer has it fails here instead of being tested as something else.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type Service } from './services';

const ROOT = join(__dirname, '..', '..');

export interface Nginx extends Service {
  /** The self-signed certificate deploy/local-cert.sh made for it, to trust as a CA. */
  ca: Buffer;
}

/** Replaces every match of `from`, and fails when there is none. */
function replace(text: string, from: RegExp, to: (match: string, ...groups: string[]) => string): string {
  if (!from.test(text)) throw new Error(`deploy/nginx.conf no longer matches ${from}`);
  return text.replace(from, to);
}

/** `http2 on;` came with nginx 1.25.1; Debian 12 has 1.22, which takes it as a flag of `listen`. */
function hasHttp2Directive(): boolean {
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '');
  if (!version) throw new Error('nginx is not installed (apt-get install nginx-light; .ci/run does it)');
  const [major, minor, patch] = version.slice(1).map(Number);
  return major > 1 || minor > 25 || (minor === 25 && patch >= 1);
}

function adapt(conf: string, backends: number[], port: number, tls: string): string {
  let i = 0;
  let site = replace(conf, /server medchat-\w+:8787/g, () => `server 127.0.0.1:${backends[i++ % backends.length]}`);
  const http2 = hasHttp2Directive();
  site = replace(site, /listen 443 ssl;/, () => `listen 127.0.0.1:${port} ssl${http2 ? '' : ' http2'};`);
  if (!http2) site = replace(site, /^\s*http2 on;\n/m, () => '');
  return replace(site, /\/etc\/nginx\/tls\/(cert|key)\.pem/g, (_, name) => `${tls}/${name}.pem`);
}

/** nginx's process and everything it writes in its own directory; the http block as Debian's wraps conf.d. */
function mainConf(dir: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${dir}/temp/${k};`).join('\n');
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${process.getuid?.() === 0 ? 'user root;\n' : ''}events { worker_connections 1024; }
http {
  access_log off;
${temp}
  include ${dir}/site.conf;
}
`;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNginx(backends: number[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'medchat-nginx-'));
  const tls = join(dir, 'tls');
  execFileSync('sh', [join(ROOT, 'deploy', 'local-cert.sh'), tls], { stdio: 'pipe' });
  mkdirSync(join(dir, 'temp'));
  const port = await freePort();
  writeFileSync(join(dir, 'site.conf'), adapt(readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8'), backends, port, tls));
  writeFileSync(join(dir, 'nginx.conf'), mainConf(dir));
  const child = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (exited || Date.now() > deadline) {
      const log = readFileSync(join(dir, 'error.log'), 'utf8');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://127.0.0.1:${port}`,
    ca: readFileSync(join(tls, 'cert.pem')),
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
