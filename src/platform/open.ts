/**
 * Opening what a message points to: a document (downloaded and opened by the system viewer on mini
 * programs, a new tab on H5) and a place (the platform's map on mini programs, a map page on H5).
 */
import Taro from '@tarojs/taro';
import type { GeoAttach } from '../../types/media';
import { PLATFORM } from './env';

export interface Opener {
  document(url: string, ext: string): Promise<void>;
  location(geo: GeoAttach): Promise<void>;
}

/** Formats the mini programs' document viewers open. */
const VIEWABLE = new Set(['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx']);

export function miniProgramOpener(api: Pick<typeof Taro, 'downloadFile' | 'openDocument' | 'openLocation' | 'previewImage'>): Opener {
  return {
    async document(url, ext) {
      if (!VIEWABLE.has(ext)) {
        // Images sent as files are still pictures to look at; anything else has no viewer here.
        if (['jpg', 'png', 'gif', 'webp'].includes(ext)) await api.previewImage({ urls: [url], current: url });
        else throw new Error('该文件格式无法在小程序中打开，请在电脑上查看');
        return;
      }
      const { tempFilePath, statusCode } = await api.downloadFile({ url });
      if (statusCode !== 200) throw new Error(statusCode === 403 ? '文件链接已过期，请重新进入会话' : '文件下载失败');
      await api.openDocument({ filePath: tempFilePath, fileType: ext as keyof Taro.openDocument.FileType, showMenu: true });
    },
    async location(geo) {
      await api.openLocation({ latitude: geo.lat, longitude: geo.lng, name: geo.title, scale: 16 });
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
  PLATFORM === 'h5' ? browserOpener((url) => window.open(url, '_blank', 'noopener')) : miniProgramOpener(Taro);
