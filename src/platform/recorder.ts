/**
 * Voice recording: the RecorderManager of WeChat, ByteDance and Alipay (through Taro) on mini
 * programs, MediaRecorder on H5. `VoiceRecorder` adds what every platform shares: the microphone is
 * asked for before recording can start, clips under RECORD_MIN_MS are rejected as too short, and
 * recording stops by itself at RECORD_MAX_MS with a countdown before it.
 */
import Taro from '@tarojs/taro';
import { RECORD_MAX_MS, RECORD_MIN_MS } from '../../types/media';
import type { MiniProgram } from './env';
import { PLATFORM } from './env';
import { failureKind } from './failure';
import type { LocalFile } from './files';
import type { SettingsApi } from './permission';
import { PermissionDeniedError, taroSettings, withPermission } from './permission';
import { privacyFailure } from './privacy';

export type RecorderErrorCode = 'denied' | 'unsupported' | 'tooShort' | 'failed';

const MESSAGES: Record<RecorderErrorCode, string> = {
  denied: '没有麦克风权限：请在设置中允许使用麦克风后再录音',
  unsupported: '当前环境不支持录音，请改用文字或图片描述',
  tooShort: '说话时间太短',
  failed: '录音失败，请重试',
};

export class RecorderError extends Error {
  constructor(
    readonly code: RecorderErrorCode,
    detail?: string,
  ) {
    super(detail ? `${MESSAGES[code]}（${detail}）` : MESSAGES[code]);
    this.name = 'RecorderError';
  }
}

/** What a platform provides; `VoiceRecorder` drives it. */
export interface RecorderBackend {
  /** Asks for the microphone (throws RecorderError 'denied' / 'unsupported'). */
  prepare(): Promise<void>;
  start(): Promise<void>;
  /** The clip; `dur` when the platform measured it. */
  stop(): Promise<LocalFile>;
  cancel(): void;
}

export function miniProgramRecorder(
  api: Pick<typeof Taro, 'getRecorderManager' | 'authorize'>,
  platform: MiniProgram,
  /** Where a refused microphone is explained and the settings page offered; without it, just 'denied'. */
  settings?: SettingsApi,
): RecorderBackend {
  let manager: Taro.RecorderManager | undefined;
  let onStart: (() => void) | undefined;
  let onStop: ((res: Taro.RecorderManager.OnStopCallbackResult) => void) | undefined;
  let onError: ((err: RecorderError) => void) | undefined;
  // The manager is a singleton per app: its listeners are bound once and routed to the current call.
  const rm = (): Taro.RecorderManager => {
    if (!manager) {
      manager = api.getRecorderManager();
      manager.onStart(() => onStart?.());
      manager.onStop((res) => onStop?.(res));
      manager.onError((res) => {
        const kind = failureKind(res);
        onError?.(new RecorderError(kind === 'permission' || kind === 'declined' ? 'denied' : 'failed', res.errMsg));
      });
    }
    return manager;
  };
  const ext = platform === 'alipay' ? 'aac' : 'mp3';
  return {
    async prepare() {
      // Alipay has no scope for the microphone: the system asks on the first start.
      if (platform === 'alipay') return;
      const ask = () => api.authorize({ scope: 'scope.record' });
      await (settings ? withPermission('record', ask, settings) : ask()).catch((e: { errMsg?: string }) => {
        const privacy = privacyFailure(e, '录制语音');
        if (privacy) throw privacy;
        throw new RecorderError('denied', e instanceof PermissionDeniedError ? undefined : e?.errMsg);
      });
    },
    start() {
      return new Promise<void>((resolve, reject) => {
        onError = reject;
        onStart = resolve;
        // The platform's own cap is set past ours, so that VoiceRecorder's stop is the one that counts.
        rm().start({ duration: RECORD_MAX_MS + 2_000, format: ext, sampleRate: 16000, numberOfChannels: 1, encodeBitRate: 48000 });
      });
    },
    stop() {
      return new Promise<LocalFile>((resolve, reject) => {
        onError = reject;
        onStop = (res) => {
          onStop = undefined;
          resolve({ path: res.tempFilePath, name: `voice.${ext}`, size: res.fileSize, dur: res.duration });
        };
        rm().stop();
      });
    },
    cancel() {
      onStop = undefined;
      onError = undefined;
      rm().stop();
    },
  };
}

/** Chromium and Firefox record WebM/Opus, Safari MP4/AAC. */
const MIME_TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus'];

export function browserRecorder(env: { mediaDevices?: MediaDevices; MediaRecorder?: typeof MediaRecorder }): RecorderBackend {
  let stream: MediaStream | undefined;
  let recorder: MediaRecorder | undefined;
  let chunks: Blob[] = [];
  const release = () => {
    stream?.getTracks().forEach((t) => t.stop());
    stream = undefined;
    recorder = undefined;
  };
  const open = async (): Promise<MediaStream> => {
    if (!env.mediaDevices?.getUserMedia || !env.MediaRecorder) throw new RecorderError('unsupported');
    try {
      return await env.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      const name = (e as DOMException)?.name;
      throw new RecorderError(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unsupported', name);
    }
  };
  return {
    async prepare() {
      // Ask now (the panel just opened) and let go at once: the microphone is on only while recording.
      (await open()).getTracks().forEach((t) => t.stop());
    },
    async start() {
      stream = await open();
      const Recorder = env.MediaRecorder as typeof MediaRecorder;
      const mimeType = MIME_TYPES.find((t) => Recorder.isTypeSupported(t));
      recorder = new Recorder(stream, mimeType ? { mimeType } : undefined);
      chunks = [];
      recorder.ondataavailable = (e) => {
        if (e.data.size) chunks.push(e.data);
      };
      recorder.start(250);
    },
    stop() {
      return new Promise<LocalFile>((resolve, reject) => {
        const rec = recorder;
        if (!rec) return reject(new RecorderError('failed', 'not recording'));
        rec.onstop = () => {
          const type = rec.mimeType || 'audio/webm';
          const blob = new Blob(chunks, { type });
          release();
          const ext = type.includes('mp4') ? 'm4a' : type.includes('ogg') ? 'ogg' : 'webm';
          resolve({ path: URL.createObjectURL(blob), name: `voice.${ext}`, size: blob.size, blob });
        };
        rec.stop();
      });
    },
    cancel() {
      if (recorder && recorder.state !== 'inactive') {
        recorder.onstop = null;
        recorder.stop();
      }
      release();
    },
  };
}

export interface RecordingHandlers {
  /** Every second while recording: time left before the automatic stop. */
  onTick?: (leftMs: number) => void;
  /** The cap was reached and the clip stopped by itself. */
  onAutoStop?: (clip: Promise<LocalFile>) => void;
}

/** Minimum and maximum length and the countdown, over any backend. */
export class VoiceRecorder {
  private startedAt?: number;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly backend: RecorderBackend,
    private readonly now: () => number = Date.now,
    private readonly minMs = RECORD_MIN_MS,
    private readonly maxMs = RECORD_MAX_MS,
  ) {}

  get recording(): boolean {
    return this.startedAt !== undefined;
  }

  prepare(): Promise<void> {
    return this.backend.prepare();
  }

  async start(handlers: RecordingHandlers = {}): Promise<void> {
    if (this.recording) return;
    await this.backend.start();
    const startedAt = this.now();
    this.startedAt = startedAt;
    handlers.onTick?.(this.maxMs);
    this.timer = setInterval(() => {
      const left = this.maxMs - (this.now() - startedAt);
      if (left > 0) handlers.onTick?.(left);
      else handlers.onAutoStop?.(this.stop());
    }, 250);
  }

  /** The clip with its duration; RecorderError 'tooShort' (and nothing kept) under the minimum. */
  async stop(): Promise<LocalFile> {
    const startedAt = this.startedAt;
    this.clear();
    if (startedAt === undefined) throw new RecorderError('failed', 'not recording');
    const elapsed = this.now() - startedAt;
    if (elapsed < this.minMs) {
      this.backend.cancel();
      throw new RecorderError('tooShort');
    }
    const clip = await this.backend.stop();
    return { ...clip, dur: Math.min(clip.dur ?? elapsed, this.maxMs) };
  }

  cancel(): void {
    if (!this.recording) return;
    this.clear();
    this.backend.cancel();
  }

  private clear(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.startedAt = undefined;
  }
}

export const createVoiceRecorder = (): VoiceRecorder =>
  new VoiceRecorder(
    PLATFORM === 'h5'
      ? browserRecorder({ mediaDevices: navigator.mediaDevices, MediaRecorder: window.MediaRecorder })
      : miniProgramRecorder(Taro, PLATFORM, taroSettings),
  );
