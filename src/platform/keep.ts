/**
 * A picked file whose upload waits for the connection, kept until that upload is done so that a
 * reload (H5) or a restart (mini programs) does not lose it; the message itself is in the outbox.
 * - H5: the Blob in IndexedDB (the object URL dies with the page; localStorage holds strings of a few MB);
 * - mini programs: a copy among the mini program's user files (USER_DATA_PATH). Temp files do not
 *   outlive the run (WeChat: "仅在当前生命周期内有效"; Alipay my.saveFile: "临时文件一般会在退出小程序后删除");
 *   copyFile rather than saveFile, which moves the temp file the bubble is showing. The platforms cap
 *   these files (Alipay: 10 MB a file, 50 MB in all; WeChat: 200 MB with the cached files): a copy that
 *   fails leaves the file not kept, and what nothing waits for any more is swept (`list`, src/chat/uploads.ts).
 */
import Taro from '@tarojs/taro';
import { extOfName } from '../../types/media';
import { PLATFORM } from './env';
import type { LocalFile } from './files';

export interface FileKeeper {
  /** `id` ends in nothing like an extension (`.png`): the mini programs' `list` reads the extension off the file name. */
  keep(id: string, file: LocalFile): Promise<void>;
  /** Where the file `name` kept under `id` (by this run or an earlier one) is now; undefined when it was not kept. */
  restore(id: string, name: string): Promise<Pick<LocalFile, 'path' | 'blob'> | undefined>;
  drop(id: string, name: string): Promise<void>;
  /** Every file kept, by this run or an earlier one, each as `drop` takes it. */
  list(): Promise<Kept[]>;
}

export interface Kept {
  id: string;
  name: string;
}

/** Mini programs: a kept file is `outbox-<id>` among the user files, with the picked file's extension. */
const PREFIX = 'outbox-';

const DB = 'medchat-files';
const STORE = 'waiting';

const done = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

/** The database is opened on first use (in most runs the sweep after sign-in), not at load. */
export function browserKeeper(idb: () => IDBFactory, urls: Pick<typeof URL, 'createObjectURL'>): FileKeeper {
  let db: Promise<IDBDatabase> | undefined;
  const store = async (mode: IDBTransactionMode): Promise<IDBObjectStore> => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = idb().open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return (await db).transaction(STORE, mode).objectStore(STORE);
  };
  return {
    async keep(id, file) {
      if (file.blob) await done((await store('readwrite')).put(file.blob, id));
    },
    async restore(id) {
      const blob: unknown = await done((await store('readonly')).get(id));
      return blob instanceof Blob ? { path: urls.createObjectURL(blob), blob } : undefined;
    },
    async drop(id) {
      await done((await store('readwrite')).delete(id));
    },
    async list() {
      const ids = await done((await store('readonly')).getAllKeys());
      return ids.filter((id): id is string => typeof id === 'string').map((id) => ({ id, name: '' }));
    },
  };
}

export function miniProgramKeeper(api: Pick<typeof Taro, 'getFileSystemManager' | 'env'>): FileKeeper {
  // The extension stays: the upload's file name is the path's.
  const dir = () => api.env.USER_DATA_PATH ?? '';
  const at = (id: string, name: string) => `${dir()}/${PREFIX}${id}${extOfName(name) ? `.${extOfName(name)}` : ''}`;
  // Asked for on use, not at load: the chat loads before anything is kept.
  const fs = () => api.getFileSystemManager();
  return {
    keep: (id, file) =>
      new Promise((resolve, reject) => {
        fs().copyFile({ srcPath: file.path, destPath: at(id, file.name), success: () => resolve(), fail: reject });
      }),
    restore: (id, name) =>
      new Promise((resolve) => {
        fs().access({ path: at(id, name), success: () => resolve({ path: at(id, name) }), fail: () => resolve(undefined) });
      }),
    drop: (id, name) =>
      new Promise((resolve) => {
        // Already gone is as good as removed.
        fs().unlink({ filePath: at(id, name), complete: () => resolve() });
      }),
    // The directory's file names (WeChat, Alipay and Douyin document `files` alike); each is its own
    // `name`, whose extension is the one `at` gave it.
    list: () =>
      new Promise((resolve, reject) => {
        fs().readdir({
          dirPath: dir(),
          success: ({ files }) =>
            resolve(
              files
                .filter((f) => f.startsWith(PREFIX))
                .map((f) => {
                  const ext = extOfName(f);
                  return { id: f.slice(PREFIX.length, ext ? -ext.length - 1 : undefined), name: f };
                }),
            ),
          fail: reject,
        });
      }),
  };
}

export const fileKeeper: FileKeeper =
  PLATFORM === 'h5' ? browserKeeper(() => indexedDB, URL) : miniProgramKeeper(Taro);
