/**
 * Key-value storage. Taro's sync storage API exists on every target (localStorage on H5); mini programs
 * cap a key at 1 MB and the total at 10 MB, so callers store small records per key, never one blob.
 */
import Taro from '@tarojs/taro';

export interface KeyValueStorage {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

export const storage: KeyValueStorage = {
  get<T>(key: string): T | undefined {
    try {
      const value = Taro.getStorageSync(key) as T | '';
      return value === '' ? undefined : value;
    } catch {
      return undefined;
    }
  },
  set(key, value) {
    Taro.setStorageSync(key, value);
  },
  remove(key) {
    Taro.removeStorageSync(key);
  },
};

/**
 * Storage of one browser tab on H5 (sessionStorage), so that a patient link and a doctor link opened in
 * two tabs of one browser stay two people. Mini programs have one page stack: the same as `storage`.
 */
export const tabStorage: KeyValueStorage =
  process.env.TARO_ENV === 'h5'
    ? {
        get<T>(key: string): T | undefined {
          const raw = window.sessionStorage.getItem(key);
          return raw === null ? undefined : (JSON.parse(raw) as T);
        },
        set(key, value) {
          window.sessionStorage.setItem(key, JSON.stringify(value));
        },
        remove(key) {
          window.sessionStorage.removeItem(key);
        },
      }
    : storage;
