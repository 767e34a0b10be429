/**
 * The app's chat stack without Taro: store + controller + a provider (by default the local one over the
 * `ws` package), with a persisted outbox in a plain map and a network switch the test controls. What
 * runs here is the code the pages run.
 */
import { WebSocket } from 'ws';
import { ChatController } from '../../src/chat/controller';
import { LocalProvider } from '../../src/im/local/provider';
import type { ImProvider } from '../../src/im/types';
import type { LocalFile } from '../../src/platform/files';
import type { FileKeeper, Kept } from '../../src/platform/keep';
import type { NetworkListener } from '../../src/platform/network';
import { type OpenSocket, openWebSocket } from '../../src/platform/socket-web';
import type { KeyValueStorage } from '../../src/platform/storage';
import { createChatStore, orderedMessages, type ChatStore } from '../../src/store';
import type { UploadFn } from '../../src/platform/upload-http';
import { nodeUpload } from './node-upload';

export class MapStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  get<T>(key: string): T | undefined {
    const raw = this.map.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }
  set(key: string, value: unknown): void {
    this.map.set(key, JSON.stringify(value));
  }
  remove(key: string): void {
    this.map.delete(key);
  }
}

/**
 * The device's kept files: like MapStorage, a new controller on the same one is a reload. Like H5's
 * IndexedDB keeper (ids as keys, `list` naming them with no file name); `refusing` makes the platform
 * refuse listing or removing, as a browser with storage blocked or a mini program's file system may.
 */
export class MapKeeper implements FileKeeper {
  readonly files = new Map<string, LocalFile>();
  readonly refusing = new Set<'list' | 'drop'>();
  async keep(id: string, file: LocalFile): Promise<void> {
    this.files.set(id, file);
  }
  async restore(id: string): Promise<Pick<LocalFile, 'path' | 'blob'> | undefined> {
    const f = this.files.get(id);
    return f && { path: f.path, ...(f.blob ? { blob: f.blob } : {}) };
  }
  async drop(id: string): Promise<void> {
    if (this.refusing.has('drop')) throw new DOMException('refused', 'UnknownError');
    this.files.delete(id);
  }
  async list(): Promise<Kept[]> {
    if (this.refusing.has('list')) throw new DOMException('refused', 'UnknownError');
    return [...this.files.keys()].map((id) => ({ id, name: '' }));
  }
}

export interface ClientOptions {
  /** http://host:port of the server (or of a proxy in front of it). */
  url: string;
  token: string;
  storage?: MapStorage;
  deviceId?: string;
  requestTimeoutMs?: number;
  pingIntervalMs?: number;
  upload?: UploadFn;
  /** Another provider than the local one (the NIM provider over a fake SDK). */
  provider?: ImProvider;
  /** How the local provider opens its sockets, for a test that watches them (default: nodeSocket). */
  openSocket?: OpenSocket;
}

/** A socket over the `ws` package, shaped as the app's WebSocket shim. */
export const nodeSocket: OpenSocket = (url, h) => openWebSocket(url, h, WebSocket as unknown as typeof globalThis.WebSocket);

export class ChatClient {
  readonly store: ChatStore = createChatStore();
  readonly storage: MapStorage;
  readonly provider: ImProvider;
  readonly controller: ChatController;
  private readonly network = new Set<NetworkListener>();

  constructor(readonly opts: ClientOptions) {
    this.storage = opts.storage ?? new MapStorage();
    this.provider = opts.provider ?? new LocalProvider({
      url: `${opts.url.replace('http', 'ws')}/ws`,
      openSocket: opts.openSocket ?? nodeSocket,
      requestTimeoutMs: opts.requestTimeoutMs ?? 5_000,
      pingIntervalMs: opts.pingIntervalMs ?? 5_000,
      deviceId: opts.deviceId,
      upload: opts.upload ?? nodeUpload,
      baseUrl: opts.url,
      watchNetwork: (listener) => {
        this.network.add(listener);
        return () => this.network.delete(listener);
      },
    });
    this.controller = new ChatController(this.store, this.provider, this.storage, new MapKeeper());
  }

  start(): Promise<void> {
    return this.controller.start(this.opts.token);
  }

  /** Starts and waits until the first sync is done, as a person opening the app waits for the list. */
  async startSynced(): Promise<this> {
    await this.start();
    await until(() => this.store.getState().connection === 'synced', `${this.opts.deviceId ?? 'client'} synced`);
    return this;
  }

  setOnline(online: boolean): void {
    for (const l of this.network) l(online);
  }

  messages(sessionId: string) {
    return orderedMessages(this.store.getState(), sessionId);
  }

  /** Own messages not yet acknowledged, as persisted. */
  outbox(): string[] {
    return [...this.storage.map.keys()].filter((k) => k.startsWith('medchat.outbox.') && k.split('.').length > 3);
  }

  stop(): void {
    this.controller.stop();
  }
}

export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
