/**
 * A file on this device, ready to upload: a temp path on mini programs, an object URL plus the Blob
 * itself on H5 (where a path cannot be read back).
 */
export interface LocalFile {
  path: string;
  name: string;
  /** Bytes; 0 where the platform does not tell (Alipay's image picker). */
  size: number;
  blob?: Blob;
  /** Known before upload for images and videos: lets the bubble keep its size from the first frame. */
  w?: number;
  h?: number;
  /** Audio and video, ms. */
  dur?: number;
  /** A video's first-frame thumbnail on this device (WeChat's chooseMedia): the bubble's poster. */
  poster?: string;
}

/** The name of a temp path (`wxfile://tmp_abc.jpg` -> `tmp_abc.jpg`). */
export const baseName = (path: string): string => path.split(/[\\/]/).pop()?.split('?')[0] || 'file';
