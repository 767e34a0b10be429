/**
 * What an upload really is, decided by its bytes (file-type reads the magic numbers), never by the
 * name or the content type the client sent. Each message kind accepts a short list of formats.
 */
import { fileTypeFromFile } from 'file-type';
import { open } from 'node:fs/promises';
import type { DocumentExtension, MediaKind } from '../../types/media';
import { extOfName } from '../../types/media';
import { ClientError } from '../errors';

interface Format {
  ext: string;
  mime: string;
}

const IMAGE: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp' };
const AUDIO: Record<string, string> = {
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  amr: 'audio/amr',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  // MediaRecorder in Chromium records voice as WebM/Opus, which file-type reports as video/webm.
  webm: 'audio/webm',
};
const VIDEO: Record<string, string> = { mp4: 'video/mp4', mov: 'video/quicktime', m4v: 'video/mp4', webm: 'video/webm', '3gp': 'video/3gpp' };
/** DOCUMENT_EXTENSIONS by content; plain text has no magic number (isPlainText). */
const DOCUMENT: Record<Exclude<DocumentExtension, 'txt'>, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

const ALLOWED: Record<MediaKind, Record<string, string>> = {
  image: IMAGE,
  audio: AUDIO,
  video: VIDEO,
  file: { ...DOCUMENT, ...IMAGE, mp4: 'video/mp4', mp3: 'audio/mpeg' },
};

/**
 * Office files that may carry macros, as file-type names them: the legacy formats (.doc/.xls/.ppt are
 * OLE compound files, 'cfb') and the macro-enabled Open XML ones (their [Content_Types].xml says so).
 */
const MAY_CARRY_MACROS = new Set(['cfb', 'docm', 'dotm', 'xlsm', 'xltm', 'pptm', 'ppsm', 'potm']);

const LABEL: Record<MediaKind, string> = { image: '图片', audio: '语音', video: '视频', file: '文件' };
const EXT_ALIASES: Record<string, string[]> = {
  jpg: ['jpg', 'jpeg'],
};

/** Plain text has no magic number: accept it only as a .txt file of valid UTF-8 without NUL bytes. */
async function isPlainText(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    // A multi-byte character may be cut at the end of the sample; drop up to 3 trailing bytes.
    for (let cut = 0; cut < 4 && cut <= head.length; cut++) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
        return true;
      } catch {
        /* try a shorter sample */
      }
    }
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * The format of the file at `path` if `kind` accepts it, else a ClientError('invalidUpload'). A file
 * sent as a document must also carry an extension that matches its content (a PDF named x.jpg is
 * refused), so that what the recipient downloads opens as what it says.
 */
export async function sniff(path: string, kind: MediaKind, name: string): Promise<Format> {
  const detected = await fileTypeFromFile(path);
  const declared = extOfName(name);
  if (!detected) {
    if (kind === 'file' && declared === 'txt' && (await isPlainText(path))) return { ext: 'txt', mime: 'text/plain; charset=utf-8' };
    throw new ClientError('invalidUpload', `不支持的${LABEL[kind]}格式：无法识别文件内容`);
  }
  const ext = detected.ext === 'jpeg' ? 'jpg' : detected.ext;
  if (MAY_CARRY_MACROS.has(ext)) {
    throw new ClientError('invalidUpload', '旧版 Office 文件（.doc、.xls、.ppt）和启用宏的 Office 文件可能带有宏，不能发送：请另存为 PDF 或 .docx、.xlsx、.pptx 后再发送');
  }
  const mime = ALLOWED[kind][ext];
  if (!mime) throw new ClientError('invalidUpload', `不支持的${LABEL[kind]}格式：内容是 ${ext}`);
  if (kind === 'file') {
    const names = EXT_ALIASES[ext] ?? [ext];
    if (!names.includes(declared)) {
      throw new ClientError('invalidUpload', `文件扩展名 .${declared || '(无)'} 与内容（${ext}）不符`);
    }
  }
  return { ext, mime };
}
