/**
 * Choosing what to send and looking at what was received: images and videos (Taro's pickers exist on
 * all targets, an <input type=file> on H5), documents (WeChat's chooseMessageFile, a file input on
 * H5; Alipay and ByteDance have no document picker for users), image preview and location (the map
 * picker on mini programs, the browser's geolocation on H5).
 */
import Taro from '@tarojs/taro';
import type { GeoAttach } from '../../types/media';
import type { MiniProgram } from './env';
import { CancelledError, isCancel, PLATFORM, UnsupportedError } from './env';
import type { LocalFile } from './files';
import { baseName } from './files';

export interface Pickers {
  images(source: 'album' | 'camera'): Promise<LocalFile[]>;
  video(): Promise<LocalFile>;
  /** Documents (PDF, Office, text); only where `canPickFile`. */
  file(): Promise<LocalFile>;
  readonly canPickFile: boolean;
  previewImage(urls: string[], current: string): void;
  location(): Promise<GeoAttach>;
}

type PickApi = Pick<typeof Taro, 'chooseImage' | 'chooseVideo' | 'getImageInfo' | 'previewImage'>;

/** Cancelling a picker is not an error; everything else passes through. */
const orCancel = (e: unknown): never => {
  throw isCancel(e) ? new CancelledError() : e;
};

/** Images with their size known before upload, so the pending bubble already has its final box. */
async function chooseImages(api: PickApi, source: 'album' | 'camera'): Promise<LocalFile[]> {
  const res = await api.chooseImage({ count: 9, sizeType: ['compressed'], sourceType: [source] }).catch(orCancel);
  const files = res.tempFiles?.length ? res.tempFiles : res.tempFilePaths.map((path) => ({ path, size: 0 }));
  return Promise.all(
    files.map(async (f): Promise<LocalFile> => {
      const info = await api.getImageInfo({ src: f.path }).catch(() => undefined);
      const original = (f as Taro.chooseImage.ImageFile).originalFileObj;
      return {
        path: f.path,
        name: original?.name ?? baseName(f.path),
        size: f.size,
        ...(original ? { blob: original } : {}),
        ...(info ? { w: info.width, h: info.height } : {}),
      };
    }),
  );
}

async function chooseVideo(api: PickApi): Promise<LocalFile> {
  const v = await api.chooseVideo({ sourceType: ['album', 'camera'], maxDuration: 60, compressed: true }).catch(orCancel);
  return {
    path: v.tempFilePath,
    name: baseName(v.tempFilePath),
    size: v.size,
    w: v.width,
    h: v.height,
    dur: Math.round(v.duration * 1000),
  };
}

export function miniProgramPickers(
  api: PickApi & Pick<typeof Taro, 'chooseMessageFile' | 'chooseLocation'>,
  platform: MiniProgram,
): Pickers {
  const canPickFile = platform === 'weapp';
  return {
    images: (source) => chooseImages(api, source),
    video: () => chooseVideo(api),
    canPickFile,
    async file() {
      if (!canPickFile) throw new UnsupportedError('发送文件');
      const res = await api.chooseMessageFile({ count: 1, type: 'file' }).catch(orCancel);
      const f = res.tempFiles[0];
      return { path: f.path, name: f.name, size: f.size };
    },
    previewImage: (urls, current) => void api.previewImage({ urls, current }),
    async location() {
      const p = await api.chooseLocation({}).catch(orCancel);
      return { lat: p.latitude, lng: p.longitude, title: p.name || p.address || '位置' };
    },
  };
}

/** Accepted documents: what the server accepts for the `file` kind. */
export const DOCUMENT_ACCEPT = '.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt,image/*';

export function browserPickers(api: PickApi, doc: Document, geolocation?: Geolocation): Pickers {
  return {
    images: (source) => chooseImages(api, source),
    video: () => chooseVideo(api),
    canPickFile: true,
    file() {
      return new Promise<LocalFile>((resolve, reject) => {
        const input = doc.createElement('input');
        input.type = 'file';
        input.accept = DOCUMENT_ACCEPT;
        input.style.display = 'none';
        input.className = 'file-picker';
        input.addEventListener('change', () => {
          const f = input.files?.[0];
          input.remove();
          if (!f) return reject(new CancelledError());
          resolve({ path: URL.createObjectURL(f), name: f.name, size: f.size, blob: f });
        });
        input.addEventListener('cancel', () => {
          input.remove();
          reject(new CancelledError());
        });
        doc.body.appendChild(input);
        input.click();
      });
    },
    previewImage: (urls, current) => void api.previewImage({ urls, current }),
    location() {
      return new Promise<GeoAttach>((resolve, reject) => {
        if (!geolocation) return reject(new UnsupportedError('定位'));
        geolocation.getCurrentPosition(
          (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude, title: '我的位置' }),
          (e) => reject(e.code === e.PERMISSION_DENIED ? new Error('没有定位权限：请在浏览器设置中允许定位') : new Error('无法获取位置')),
          { enableHighAccuracy: true, timeout: 15_000 },
        );
      });
    },
  };
}

// Called as `Taro.x(...)`: on H5 Taro's Babel plugin turns those calls into imports of the H5
// implementation; the `Taro` object itself does not carry every API there.
const taroPick: PickApi = {
  chooseImage: (o) => Taro.chooseImage(o),
  chooseVideo: (o) => Taro.chooseVideo(o),
  getImageInfo: (o) => Taro.getImageInfo(o),
  previewImage: (o) => Taro.previewImage(o),
};

export const pickers: Pickers =
  PLATFORM === 'h5' ? browserPickers(taroPick, document, navigator.geolocation) : miniProgramPickers(Taro, PLATFORM);
