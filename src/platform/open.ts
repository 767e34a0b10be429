/**
 * Opening what a message points to: a document (downloaded and opened by the system viewer on mini
 * programs, a new tab on H5) and a place (the platform's map on mini programs, a map page on H5).
 *
 * The map can be refused: Douyin's openLocation needs scope.userLocation and, for apps registered since
 * 2024-04-23, the 打开地理位置 capability granted in its console. A refused permission is explained with
 * 去设置; any other failure says so, and the bubble still shows the place's name and coordinates.
 */
import Taro from '@tarojs/taro';
import type { GeoAttach } from '../../types/media';
import { PLATFORM } from './env';
import type { SettingsApi } from './permission';
import { taroSettings, withPermission } from './permission';
import { privacyFailure } from './privacy';

export class MapUnavailableError extends Error {
  constructor() {
    super('无法打开地图，请按消息中的地点名称和坐标查找');
    this.name = 'MapUnavailableError';
  }
}

export interface Opener {
  document(url: string, ext: string): Promise<void>;
  location(geo: GeoAttach): Promise<void>;
}

/** Formats the mini programs' document viewers open. */
const VIEWABLE = new Set(['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx']);

export function miniProgramOpener(
  api: Pick<typeof Taro, 'downloadFile' | 'openDocument' | 'openLocation' | 'previewImage'>,
  settings?: SettingsApi,
): Opener {
  return {
    async document(url, ext) {
      if (!VIEWABLE.has(ext)) {
        // Images sent as files are still pictures to look at; anything else has no viewer here.
        if (['jpg', 'png', 'gif', 'webp'].includes(ext)) await api.previewImage({ urls: [url], current: url });
        else throw new Error('该文件格式无法在小程序中打开，请在电脑上查看');
        return;
      }
      // The platforms reject with { errMsg } objects (no network, no viewer): the bubble shows words.
      const { tempFilePath, statusCode } = await api.downloadFile({ url }).catch(() => {
        throw new Error('文件下载失败，请检查网络后重试');
      });
      if (statusCode !== 200) throw new Error(statusCode === 403 ? '文件链接已过期，请重新进入会话' : '文件下载失败');
      await api.openDocument({ filePath: tempFilePath, fileType: ext as keyof Taro.openDocument.FileType, showMenu: true }).catch(() => {
        throw new Error('该文件无法在小程序中打开，请在电脑上查看');
      });
    },
    async location(geo) {
      const open = () => api.openLocation({ latitude: geo.lat, longitude: geo.lng, name: geo.title, scale: 16 });
      await (settings ? withPermission('location', open, settings) : open()).catch((e: unknown) => {
        if (e instanceof Error) throw e; // PermissionDeniedError: already in words
        throw privacyFailure(e, '查看位置') ?? new MapUnavailableError();
      });
    },
  };
}

export function browserOpener(open: (url: string) => unknown): Opener {
  return {
    async document(url) {
      open(url);
    },
    async location(geo) {
      open(`https://uri.amap.com/marker?position=${geo.lng},${geo.lat}&name=${encodeURIComponent(geo.title)}&coordinate=wgs84`);
    },
  };
}

export const opener: Opener =
  PLATFORM === 'h5' ? browserOpener((url) => window.open(url, '_blank', 'noopener')) : miniProgramOpener(Taro, taroSettings);
