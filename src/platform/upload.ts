/**
 * File upload with progress: Taro.uploadFile (wx/tt.uploadFile; my.uploadFile on Alipay, which names
 * the field `fileName` – Taro renames it – and wants a `fileType`) on mini programs, XMLHttpRequest with
 * FormData on H5 (fetch cannot report upload progress).
 */
import Taro from '@tarojs/taro';
import type { MediaKind } from '../../types/media';
import type { MiniProgram } from './env';
import { PLATFORM } from './env';
import type { UploadFn } from './upload-http';
import { HttpError } from './http-error';
import { browserUpload, parseUploadReply, uploadUrl } from './upload-http';

export type { UploadFn, UploadRequest } from './upload-http';
export { browserUpload, parseUploadReply, UPLOAD_STALL_MS, uploadUrl } from './upload-http';

/** Alipay's my.uploadFile only knows these three. */
const ALIPAY_FILE_TYPE: Record<MediaKind, 'image' | 'audio' | 'video'> = {
  image: 'image',
  audio: 'audio',
  video: 'video',
  file: 'image',
};

export function miniProgramUpload(api: Pick<typeof Taro, 'uploadFile'>, platform: MiniProgram): UploadFn {
  return async (req) => {
    const option: Taro.uploadFile.Option & { fileType?: string } = {
      url: uploadUrl(req),
      filePath: req.file.path,
      name: 'file',
      header: { authorization: `Bearer ${req.token}` },
      ...(platform === 'alipay' ? { fileType: ALIPAY_FILE_TYPE[req.kind] } : {}),
    };
    const task = api.uploadFile(option);
    task.onProgressUpdate((p) => req.onProgress?.(p.progress / 100));
    let res: Taro.uploadFile.SuccessCallbackResult;
    try {
      res = await task;
    } catch (e) {
      throw new HttpError('network', `上传失败：${(e as { errMsg?: string }).errMsg ?? '网络错误'}`);
    }
    return parseUploadReply(res.statusCode, typeof res.data === 'string' ? res.data : JSON.stringify(res.data));
  };
}

export const upload: UploadFn = PLATFORM === 'h5' ? browserUpload() : miniProgramUpload(Taro, PLATFORM);
