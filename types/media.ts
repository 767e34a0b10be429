/**
 * Attachments of non-text messages, shaped like NIM's `file` / `geo` fields. Files are uploaded first
 * (POST /api/upload); the message then names the upload by `fileId` and the server fills in the rest
 * from what it measured, so a client cannot claim another size, type or duration than the file has.
 */

export const MEDIA_KINDS = ['image', 'audio', 'video', 'file'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** Message types whose attach is an uploaded file. */
export const isMediaKind = (type: string): type is MediaKind => (MEDIA_KINDS as readonly string[]).includes(type);

/** The lower-case extension of a file name, or '' (`报告.PDF` -> `pdf`). */
export const extOfName = (name: string): string => /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1].toLowerCase() ?? '';

/**
 * Documents a file message carries besides photos, by extension: PDF, Office's formats that cannot hold
 * macros, plain text. Legacy Office files (.doc/.xls/.ppt: OLE compound files) and the macro-enabled
 * ones (.docm, .xlsm, .pptm …) may carry macros and are refused by the server: sent as PDF or
 * .docx/.xlsx/.pptx instead. The server checks uploads against this list; the document picker offers it.
 */
export const DOCUMENT_EXTENSIONS = ['pdf', 'docx', 'xlsx', 'pptx', 'txt'] as const;
export type DocumentExtension = (typeof DOCUMENT_EXTENSIONS)[number];

const MB = 1024 * 1024;

/** Upload limits per kind, as ZIM and NIM set them for chat. */
export const UPLOAD_LIMITS: Record<MediaKind, number> = {
  image: 10 * MB,
  audio: 6 * MB,
  video: 100 * MB,
  file: 100 * MB,
};

/**
 * The most pixels a photo may have (width × height, every frame of an animation counted): the server
 * decodes photos to strip their metadata and make thumbnails, and a 16,000 × 16,000 PNG of a few
 * kilobytes took 1.4 s and 100 MB. 40 MP is above any phone camera's photo.
 */
export const IMAGE_MAX_PIXELS = 40_000_000;

/** The longest voice message the server stores; the recorder itself stops at RECORD_MAX_MS. */
export const MAX_AUDIO_MS = 300_000;
export const RECORD_MAX_MS = 60_000;
export const RECORD_MIN_MS = 1_000;

/** What the server answers an upload with, and what a media message's attach holds. */
export interface FileAttach {
  fileId: string;
  /** Signed, expiring path on our server (`/api/files/<id>?…`); clients resolve it against the server. */
  url: string;
  /** Display name: the original name with path parts and control characters removed. */
  name: string;
  /** Bytes. */
  size: number;
  /** Lower-case extension that matches the content (not the name the client gave). */
  ext: string;
  mime: string;
}

export interface ImageAttach extends FileAttach {
  w: number;
  h: number;
  thumbUrl: string;
}

export interface AudioAttach extends FileAttach {
  /** Milliseconds, as reported by the recorder (capped at MAX_AUDIO_MS). */
  dur: number;
}

export interface VideoAttach extends FileAttach {
  /** On the sender's own device only: the picker's first-frame thumbnail until the video plays (never sent). */
  poster?: string;
  dur?: number;
  w?: number;
  h?: number;
}

export interface GeoAttach {
  lat: number;
  lng: number;
  title: string;
}

/** What a client puts into the attach of a media message it sends. */
export interface MediaRef {
  fileId: string;
}

/** Upload fields besides the file itself (multipart form data). */
export interface UploadForm {
  kind: MediaKind;
  dur?: number;
}

export const UPLOAD_PATH = '/api/upload';
export const FILE_PATH = '/api/files/';
