/**
 * Choosing what to send and looking at what was received: images and videos (chooseMedia on WeChat,
 * which replaced chooseImage/chooseVideo and gives a video's thumbnail; Taro's chooseImage/chooseVideo
 * elsewhere; an <input type=file> on H5), documents (WeChat's chooseMessageFile, a file input on H5;
 * Alipay and ByteDance have no document picker for users), image preview and location (the map picker
 * on mini programs, the browser's geolocation on H5; off where the build says so).
 *
 * A refused permission is explained with a way to the settings page; a refused privacy guide says so.
 */
import Taro from '@tarojs/taro';
import { DOCUMENT_EXTENSIONS, type GeoAttach } from '../../types/media';
import type { MiniProgram } from './env';
import { CancelledError, PLATFORM, UnsupportedError } from './env';
import type { AlipayCodes } from './failure';
import { failureKind } from './failure';
import type { LocalFile } from './files';
import { baseName } from './files';
import type { PermissionKind, SettingsApi } from './permission';
import { taroSettings, withPermission } from './permission';
import { privacyFailure } from './privacy';

export interface Pickers {
  images(source: 'album' | 'camera'): Promise<LocalFile[]>;
  video(): Promise<LocalFile>;
  /** Documents (PDF, Office, text); only where `canPickFile`. */
  file(): Promise<LocalFile>;
  readonly canPickFile: boolean;
  /** False where the build switched location off (TARO_APP_LOCATION…=off): the + panel hides 位置. */
  readonly canPickLocation: boolean;
  previewImage(urls: string[], current: string): void;
  location(): Promise<GeoAttach>;
}

type PickApi = Pick<typeof Taro, 'chooseImage' | 'chooseVideo' | 'getImageInfo' | 'previewImage'>;

/** Whether this build offers location (inlined per target by config/index.ts). */
export const LOCATION_ON = process.env.TARO_APP_LOCATION !== 'off';

/** Cancelling a picker is not an error; everything else passes through. */
const orCancel =
  (codes?: AlipayCodes) =>
  (e: unknown): never => {
    throw failureKind(e, codes) === 'cancel' ? new CancelledError() : e;
  };

/** my.chooseVideo reports a cancel as 10 on Android (11 on iOS, as every other picker does). */
const ALIPAY_CHOOSE_VIDEO: AlipayCodes = { 10: 'cancel' };

/** A privacy failure (refused guide, undeclared use) in words; everything else passes through. */
const privacyRefused =
  (what: string) =>
  (e: unknown): never => {
    throw privacyFailure(e, what) ?? e;
  };

/** A picker call with the refusals explained: the privacy guide, then the permission (with 去设置). */
function guarded<T>(kind: PermissionKind, what: string, call: () => Promise<T>, settings?: SettingsApi, codes?: AlipayCodes): Promise<T> {
  const run = () => call().catch(orCancel(codes));
  return (settings ? withPermission(kind, run, settings) : run()).catch(privacyRefused(what));
}

/** Images with their size known before upload, so the pending bubble already has its final box. */
async function chooseImages(api: PickApi, source: 'album' | 'camera', settings?: SettingsApi): Promise<LocalFile[]> {
  const res = await guarded(source, '选择照片', () => api.chooseImage({ count: 9, sizeType: ['compressed'], sourceType: [source] }), settings);
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

async function chooseVideo(api: PickApi, settings?: SettingsApi): Promise<LocalFile> {
  const v = await guarded(
    'album',
    '选择视频',
    () => api.chooseVideo({ sourceType: ['album', 'camera'], maxDuration: 60, compressed: true }),
    settings,
    ALIPAY_CHOOSE_VIDEO,
  );
  return {
    path: v.tempFilePath,
    name: baseName(v.tempFilePath),
    size: v.size,
    w: v.width,
    h: v.height,
    dur: Math.round(v.duration * 1000),
  };
}

/** WeChat's chooseMedia: sizes known for images, duration, size and a thumbnail (the poster) for video. */
async function chooseMedia(
  api: Pick<typeof Taro, 'chooseMedia'>,
  option: { mediaType: 'image' | 'video'; source: 'album' | 'camera' | 'both' },
  settings?: SettingsApi,
): Promise<LocalFile[]> {
  const sourceType: Array<'album' | 'camera'> = option.source === 'both' ? ['album', 'camera'] : [option.source];
  const res = await guarded(
    option.source === 'camera' ? 'camera' : 'album',
    option.mediaType === 'image' ? '选择照片' : '选择视频',
    // Taro 4.2 does not promisify chooseMedia on WeChat (it returns undefined): callbacks it is.
    () =>
      new Promise<Taro.chooseMedia.SuccessCallbackResult>((resolve, reject) => {
        void api.chooseMedia({
          count: option.mediaType === 'image' ? 9 : 1,
          mediaType: [option.mediaType],
          sourceType,
          sizeType: ['compressed'],
          maxDuration: 60,
          success: resolve,
          fail: reject,
        });
      }),
    settings,
  );
  return res.tempFiles.map((f) => ({
    path: f.tempFilePath,
    name: baseName(f.tempFilePath),
    size: f.size,
    ...(f.width && f.height ? { w: f.width, h: f.height } : {}),
    ...(option.mediaType === 'video' ? { dur: Math.round(f.duration * 1000), ...(f.thumbTempFilePath ? { poster: f.thumbTempFilePath } : {}) } : {}),
  }));
}

/** chooseMedia gives image sizes on recent clients only; the rest are measured before upload. */
function withSizes(api: Pick<PickApi, 'getImageInfo'>, files: LocalFile[]): Promise<LocalFile[]> {
  return Promise.all(
    files.map(async (f) => {
      if (f.w && f.h) return f;
      const info = await api.getImageInfo({ src: f.path }).catch(() => undefined);
      return info ? { ...f, w: info.width, h: info.height } : f;
    }),
  );
}

export function miniProgramPickers(
  api: PickApi & Pick<typeof Taro, 'chooseMessageFile' | 'chooseLocation'> & Partial<Pick<typeof Taro, 'chooseMedia'>>,
  platform: MiniProgram,
  options: { location?: boolean; settings?: SettingsApi } = {},
): Pickers {
  const canPickFile = platform === 'weapp';
  const canPickLocation = options.location ?? true;
  const { settings } = options;
  // chooseMedia where WeChat has it; Alipay and Douyin keep the older pickers.
  const media = platform === 'weapp' && api.chooseMedia ? (api as Pick<typeof Taro, 'chooseMedia'>) : undefined;
  return {
    images: (source) =>
      media ? chooseMedia(media, { mediaType: 'image', source }, settings).then((files) => withSizes(api, files)) : chooseImages(api, source, settings),
    video: () =>
      media ? chooseMedia(media, { mediaType: 'video', source: 'both' }, settings).then((files) => files[0]) : chooseVideo(api, settings),
    canPickFile,
    canPickLocation,
    async file() {
      if (!canPickFile) throw new UnsupportedError('发送文件');
      // 选中的文件 is a privacy API of its own (no permission scope): only the guide can refuse it.
      // Only what the server takes, so a legacy .doc is not offered only to be refused after its upload.
      // Some WeChat clients ignore the filter; the server's check by content is what holds.
      const res = await api
        .chooseMessageFile({ count: 1, type: 'file', extension: [...DOCUMENT_EXTENSIONS] })
        .catch(orCancel())
        .catch(privacyRefused('选择文件'));
      const f = res.tempFiles[0];
      return { path: f.path, name: f.name, size: f.size };
    },
    previewImage: (urls, current) => void api.previewImage({ urls, current }),
    async location() {
      if (!canPickLocation) throw new UnsupportedError('发送位置');
      const p = await guarded('location', '发送位置', () => api.chooseLocation({}), settings);
      return { lat: p.latitude, lng: p.longitude, title: p.name || p.address || '位置' };
    },
  };
}

/** Accepted documents: what the server accepts for the `file` kind (a photo goes as a file too). */
export const DOCUMENT_ACCEPT = [...DOCUMENT_EXTENSIONS.map((e) => `.${e}`), 'image/*'].join(',');

/**
 * Files from an <input type=file> of the page, or CancelledError when it is dismissed. Photos and videos
 * come this way too, not through Taro's H5 chooseImage/chooseVideo: those drop a file the browser cannot
 * decode without a word (a phone's HEIC photo, a damaged file), and the video one hands the clip back as
 * a data: URL that the page's CSP does not let it read for the upload. Here the File itself goes up, and
 * what the server refuses is said under the bubble like any other refused upload.
 */
function chooseFromInput(doc: Document, accept: string, opts: { multiple?: boolean; camera?: boolean } = {}): Promise<File[]> {
  return new Promise<File[]>((resolve, reject) => {
    const input = doc.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.multiple = Boolean(opts.multiple);
    if (opts.camera) input.setAttribute('capture', 'environment');
    input.style.display = 'none';
    input.className = 'file-picker';
    input.addEventListener('change', () => {
      const files = Array.from(input.files ?? []);
      input.remove();
      if (!files.length) return reject(new CancelledError());
      resolve(files);
    });
    input.addEventListener('cancel', () => {
      input.remove();
      reject(new CancelledError());
    });
    doc.body.appendChild(input);
    input.click();
  });
}

const localFile = (f: File): LocalFile => ({ path: URL.createObjectURL(f), name: f.name, size: f.size, blob: f });

/**
 * A video's size and length as this browser reads them, so the bubble has its box and duration; nothing
 * for a clip it cannot read (the server decides on its content). A recorded WebM has no duration.
 */
function videoInfo(doc: Document, url: string): Promise<Pick<LocalFile, 'w' | 'h' | 'dur'>> {
  return new Promise((resolve) => {
    const video = doc.createElement('video');
    // A browser that never answers (some load nothing of a video not on screen) still gets the clip sent.
    const unanswered = setTimeout(() => resolve({}), 3000);
    const done = (info: Pick<LocalFile, 'w' | 'h' | 'dur'>) => {
      clearTimeout(unanswered);
      resolve(info);
    };
    video.preload = 'metadata';
    video.muted = true;
    video.onloadedmetadata = () =>
      done({
        ...(video.videoWidth && video.videoHeight ? { w: video.videoWidth, h: video.videoHeight } : {}),
        ...(Number.isFinite(video.duration) ? { dur: Math.round(video.duration * 1000) } : {}),
      });
    video.onerror = () => done({});
    video.src = url;
  });
}

type BrowserPickApi = Pick<PickApi, 'getImageInfo' | 'previewImage'>;

export function browserPickers(api: BrowserPickApi, doc: Document, geolocation?: Geolocation): Pickers {
  return {
    async images(source) {
      const files = await chooseFromInput(doc, 'image/*', source === 'camera' ? { camera: true } : { multiple: true });
      return Promise.all(
        files.map(async (f) => {
          const local = localFile(f);
          const info = await api.getImageInfo({ src: local.path }).catch(() => undefined);
          return info ? { ...local, w: info.width, h: info.height } : local;
        }),
      );
    },
    async video() {
      const [f] = await chooseFromInput(doc, 'video/*');
      const local = localFile(f);
      return { ...local, ...(await videoInfo(doc, local.path)) };
    },
    canPickFile: true,
    canPickLocation: Boolean(geolocation) && LOCATION_ON,
    async file() {
      const [f] = await chooseFromInput(doc, DOCUMENT_ACCEPT);
      return localFile(f);
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
const taroPick: BrowserPickApi = {
  getImageInfo: (o) => Taro.getImageInfo(o),
  // Taro's H5 viewer brings Swiper (about half of the chat's code on the wire): its own chunk, fetched
  // on the first tap on a photo rather than with the chat. Taro inlines TARO_ENV: mini programs, which
  // never use these, keep no import of it.
  previewImage: (o) =>
    process.env.TARO_ENV === 'h5'
      ? import(/* webpackChunkName: "image-viewer" */ '@tarojs/taro-h5/dist/api/media/image/previewImage').then((m) => m.previewImage(o))
      : Taro.previewImage(o),
};

export const pickers: Pickers =
  PLATFORM === 'h5'
    ? browserPickers(taroPick, document, navigator.geolocation)
    : miniProgramPickers(Taro, PLATFORM, { location: LOCATION_ON, settings: taroSettings });
