/**
 * Every branch of the platform shims against fakes of the platform APIs, typed from @tarojs/taro so a
 * shim that calls an API with the wrong shape fails to compile. The H5 branches run for real in
 * Chromium as well (tests/e2e/media.test.ts).
 */
import type Taro from '@tarojs/taro';
import { createAlipayFake } from '../helpers/alipay-my';
import { confirmed } from '../helpers/taro-modal';
import { createAudioPlayer } from '../../src/platform/audio';
import { captureGuard } from '../../src/platform/capture';
import { clipboardCopier, CopyFailedError } from '../../src/platform/clipboard';
import { CancelledError, UnsupportedError } from '../../src/platform/env';
import type { LocalFile } from '../../src/platform/files';
import { browserOpener, MapUnavailableError, miniProgramOpener } from '../../src/platform/open';
import { PermissionDeniedError } from '../../src/platform/permission';
import { browserPickers, miniProgramPickers } from '../../src/platform/pick';
import { PrivacyRefusedError, PrivacyUndeclaredError } from '../../src/platform/privacy';
import type { RecorderBackend } from '../../src/platform/recorder';
import { browserRecorder, miniProgramRecorder, RecorderError, VoiceRecorder } from '../../src/platform/recorder';
import { resolveUrl } from '../../src/platform/server';
import { HttpError } from '../../src/platform/http-error';
import { browserUpload, miniProgramUpload, parseUploadReply, UPLOAD_STALL_MS, uploadUrl } from '../../src/platform/upload';
import type { FileAttach } from '../../types/media';

const attach: FileAttach = { fileId: 'f1', url: '/api/files/f1?sig=x', name: 'a.png', size: 3, ext: 'png', mime: 'image/png' };
const voice: LocalFile = { path: 'wxfile://tmp_1.mp3', name: 'voice.mp3', size: 10, dur: 3200 };

describe('upload', () => {
  function fakeUploadFile(res: { statusCode: number; data: string } | { errMsg: string }, progress: number[] = []) {
    const calls: Taro.uploadFile.Option[] = [];
    const uploadFile: typeof Taro.uploadFile = (option) => {
      calls.push(option);
      const settled = 'errMsg' in res ? Promise.reject(res) : Promise.resolve({ ...res, errMsg: 'uploadFile:ok' });
      const task: Taro.UploadTask = {
        abort: () => undefined,
        onProgressUpdate: (cb) =>
          progress.forEach((p) => cb({ progress: p, totalBytesSent: p, totalBytesExpectedToSend: 100 })),
        offProgressUpdate: () => undefined,
        onHeadersReceived: () => undefined,
        offHeadersReceived: () => undefined,
      };
      return Object.assign(settled, task, { headersReceive: task.onHeadersReceived, progress: task.onProgressUpdate });
    };
    return { api: { uploadFile }, calls };
  }

  const req = { baseUrl: 'https://im.test', token: 'tok', kind: 'audio' as const, file: voice };

  test('weapp: multipart field "file", bearer token, name and duration in the query, progress as fractions', async () => {
    const { api, calls } = fakeUploadFile({ statusCode: 200, data: JSON.stringify(attach) }, [10, 60, 100]);
    const seen: number[] = [];
    await expect(miniProgramUpload(api, 'weapp')({ ...req, onProgress: (p) => seen.push(p) })).resolves.toEqual(attach);
    expect(calls[0]).toEqual({
      url: 'https://im.test/api/upload?kind=audio&name=voice.mp3&dur=3200',
      filePath: voice.path,
      name: 'file',
      header: { authorization: 'Bearer tok' },
    });
    expect(seen).toEqual([0.1, 0.6, 1]);
  });

  test('alipay: my.uploadFile needs a fileType', async () => {
    const { api, calls } = fakeUploadFile({ statusCode: 200, data: JSON.stringify(attach) });
    await miniProgramUpload(api, 'alipay')(req);
    await miniProgramUpload(api, 'alipay')({ ...req, kind: 'file', file: { path: 'x', name: '报告.pdf', size: 1 } });
    expect(calls.map((c) => (c as { fileType?: string }).fileType)).toEqual(['audio', 'image']);
    expect(calls[1].url).toContain(`name=${encodeURIComponent('报告.pdf')}`);
  });

  test("tt: the server's refusal comes back with its code and message", async () => {
    const body = JSON.stringify({ error: { code: 'fileTooLarge', message: '语音不能超过 6 MB' } });
    const { api } = fakeUploadFile({ statusCode: 413, data: body });
    const err = await miniProgramUpload(api, 'tt')(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ code: 'fileTooLarge', message: '语音不能超过 6 MB' });
  });

  test('a failed request (no network) and a non-JSON reply are network errors', async () => {
    const { api } = fakeUploadFile({ errMsg: 'uploadFile:fail timeout' });
    await expect(miniProgramUpload(api, 'weapp')(req)).rejects.toMatchObject({ code: 'network', message: expect.stringContaining('timeout') });
    expect(() => parseUploadReply(502, '<html>Bad Gateway</html>')).toThrow('HTTP 502');
    expect(uploadUrl({ baseUrl: 'http://a', kind: 'image', file: { path: 'p', name: 'x y.png', size: 1 } })).toBe('http://a/api/upload?kind=image&name=x%20y.png');
  });

  test('h5: XMLHttpRequest with FormData and upload progress', async () => {
    const sent: { url?: string; headers: Record<string, string>; body?: FormData } = { headers: {} };
    class FakeXhr {
      status = 0;
      responseText = '';
      upload: { onprogress?: (e: { lengthComputable: boolean; loaded: number; total: number }) => void } = {};
      onload?: () => void;
      onerror?: () => void;
      open(_m: string, url: string) {
        sent.url = url;
      }
      setRequestHeader(k: string, v: string) {
        sent.headers[k] = v;
      }
      send(body: FormData) {
        sent.body = body;
        this.upload.onprogress?.({ lengthComputable: true, loaded: 50, total: 200 });
        this.status = 415;
        this.responseText = JSON.stringify({ error: { code: 'invalidUpload', message: '不支持的图片格式' } });
        this.onload?.();
      }
    }
    const seen: number[] = [];
    const blob = new Blob(['abc']);
    const up = browserUpload(FakeXhr as unknown as typeof XMLHttpRequest);
    const err = await up({ ...req, kind: 'image', file: { path: 'blob:x', name: 'a.png', size: 3, blob }, onProgress: (p) => seen.push(p) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalidUpload', message: '不支持的图片格式' });
    expect(seen).toEqual([0.25]);
    expect(sent.headers).toEqual({ authorization: 'Bearer tok' });
    expect((sent.body?.get('file') as File).name).toBe('a.png');
  });

  test('h5: an upload that moves no byte for UPLOAD_STALL_MS is aborted as a network failure; progress keeps it going', async () => {
    const xhrs: StalledXhr[] = [];
    class StalledXhr {
      aborted = false;
      upload: { onprogress?: (e: { lengthComputable: boolean; loaded: number; total: number }) => void } = {};
      onprogress?: () => void;
      onload?: () => void;
      onerror?: () => void;
      constructor() {
        xhrs.push(this);
      }
      open() {}
      setRequestHeader() {}
      send() {}
      abort() {
        this.aborted = true;
      }
    }
    jest.useFakeTimers();
    try {
      const up = browserUpload(StalledXhr as unknown as typeof XMLHttpRequest);
      const outcome = up({ ...req, kind: 'image', file: { path: 'blob:x', name: 'a.png', size: 3, blob: new Blob(['abc']) } }).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(0);
      const [xhr] = xhrs;
      // Bytes still moving, just slowly: not given up.
      for (let i = 0; i < 3; i++) {
        await jest.advanceTimersByTimeAsync(UPLOAD_STALL_MS - 1_000);
        xhr.upload.onprogress?.({ lengthComputable: true, loaded: i + 1, total: 10 });
      }
      expect(xhr.aborted).toBe(false);
      await jest.advanceTimersByTimeAsync(UPLOAD_STALL_MS);
      expect(xhr.aborted).toBe(true);
      await expect(outcome).resolves.toMatchObject({ code: 'network', message: '上传中断：网络长时间无响应' });
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('recorder', () => {
  function fakeRecorderManager() {
    const handlers: {
      start?: () => void;
      stop?: (r: Taro.RecorderManager.OnStopCallbackResult) => void;
      error?: (r: TaroGeneral.CallbackResult) => void;
    } = {};
    const starts: Taro.RecorderManager.StartOption[] = [];
    let bound = 0;
    const manager = {
      start: (o: Taro.RecorderManager.StartOption) => {
        starts.push(o);
        queueMicrotask(() => handlers.start?.());
      },
      stop: () => queueMicrotask(() => handlers.stop?.({ tempFilePath: 'wxfile://tmp_v.mp3', duration: 2400, fileSize: 9000 })),
      onStart: (cb: () => void) => ((handlers.start = cb), bound++),
      onStop: (cb: (r: Taro.RecorderManager.OnStopCallbackResult) => void) => ((handlers.stop = cb), bound++),
      onError: (cb: (r: TaroGeneral.CallbackResult) => void) => ((handlers.error = cb), bound++),
    } as unknown as Taro.RecorderManager;
    return { manager, handlers, starts, bound: () => bound };
  }

  test('weapp: asks scope.record first, records mp3, listeners bound once across clips', async () => {
    const fake = fakeRecorderManager();
    const scopes: string[] = [];
    const api: Pick<typeof Taro, 'getRecorderManager' | 'authorize'> = {
      getRecorderManager: () => fake.manager,
      authorize: async (o) => {
        scopes.push(o.scope);
        return { errMsg: 'authorize:ok' };
      },
    };
    const rec = miniProgramRecorder(api, 'weapp');
    await rec.prepare();
    expect(scopes).toEqual(['scope.record']);
    for (let i = 0; i < 2; i++) {
      await rec.start();
      await expect(rec.stop()).resolves.toEqual({ path: 'wxfile://tmp_v.mp3', name: 'voice.mp3', size: 9000, dur: 2400 });
    }
    expect(fake.starts[0]).toMatchObject({ format: 'mp3', duration: 62_000, numberOfChannels: 1 });
    expect(fake.bound()).toBe(3);
  });

  test('weapp: a refused permission is explained', async () => {
    const api: Pick<typeof Taro, 'getRecorderManager' | 'authorize'> = {
      getRecorderManager: () => fakeRecorderManager().manager,
      authorize: () => Promise.reject({ errMsg: 'authorize:fail auth deny' }),
    };
    const err = await miniProgramRecorder(api, 'tt').prepare().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecorderError);
    expect(err).toMatchObject({ code: 'denied', message: expect.stringContaining('麦克风') });
  });

  test('alipay: no authorize scope; the system prompt refusal surfaces from start as denied; aac', async () => {
    const fake = fakeRecorderManager();
    let asked = false;
    const api: Pick<typeof Taro, 'getRecorderManager' | 'authorize'> = {
      getRecorderManager: () => fake.manager,
      authorize: async () => {
        asked = true;
        return { errMsg: 'ok' };
      },
    };
    const rec = miniProgramRecorder(api, 'alipay');
    await rec.prepare();
    expect(asked).toBe(false);
    // RecorderManager.onError as Alipay documents a refused microphone: error 10, 获取权限失败.
    fake.manager.start = () => queueMicrotask(() => fake.handlers.error?.({ error: 10, errMsg: '获取权限失败。' } as TaroGeneral.CallbackResult));
    await expect(rec.start()).rejects.toMatchObject({ code: 'denied' });
    const rec2 = miniProgramRecorder({ ...api, getRecorderManager: () => fakeRecorderManager().manager }, 'alipay');
    await rec2.start();
    await expect(rec2.stop()).resolves.toMatchObject({ name: 'voice.aac' });
  });

  test('h5: no MediaRecorder or mediaDevices is unsupported; a refused microphone is denied; prepare lets go of it', async () => {
    await expect(browserRecorder({}).prepare()).rejects.toMatchObject({ code: 'unsupported' });
    const refuse = { getUserMedia: () => Promise.reject(Object.assign(new Error('no'), { name: 'NotAllowedError' })) } as unknown as MediaDevices;
    await expect(browserRecorder({ mediaDevices: refuse, MediaRecorder: {} as typeof MediaRecorder }).prepare()).rejects.toMatchObject({ code: 'denied' });
    let stopped = 0;
    const grant = { getUserMedia: async () => ({ getTracks: () => [{ stop: () => stopped++ }] }) } as unknown as MediaDevices;
    await browserRecorder({ mediaDevices: grant, MediaRecorder: {} as typeof MediaRecorder }).prepare();
    expect(stopped).toBe(1);
  });

  describe('VoiceRecorder limits', () => {
    let now = 0;
    const backend = () => {
      const calls: string[] = [];
      const b: RecorderBackend = {
        prepare: async () => void calls.push('prepare'),
        start: async () => void calls.push('start'),
        stop: async () => (calls.push('stop'), { path: 'p', name: 'voice.webm', size: 5 }),
        cancel: () => void calls.push('cancel'),
      };
      return { b, calls };
    };
    beforeEach(() => {
      jest.useFakeTimers();
      now = 0;
    });
    afterEach(() => jest.useRealTimers());

    test('under one second is too short and nothing is kept', async () => {
      const { b, calls } = backend();
      const r = new VoiceRecorder(b, () => now);
      await r.start();
      now = 900;
      await expect(r.stop()).rejects.toMatchObject({ code: 'tooShort', message: '说话时间太短' });
      expect(calls).toEqual(['start', 'cancel']);
      expect(r.recording).toBe(false);
    });

    test('a clip gets its measured duration; the countdown ticks; the cap stops it by itself', async () => {
      const { b, calls } = backend();
      const r = new VoiceRecorder(b, () => now);
      const ticks: number[] = [];
      let auto: Promise<LocalFile> | undefined;
      await r.start({ onTick: (left) => ticks.push(left), onAutoStop: (clip) => (auto = clip) });
      now = 50_000;
      jest.advanceTimersByTime(250);
      now = 60_000;
      jest.advanceTimersByTime(250);
      expect(ticks).toEqual([60_000, 10_000]);
      await expect(auto).resolves.toEqual({ path: 'p', name: 'voice.webm', size: 5, dur: 60_000 });
      expect(calls).toEqual(['start', 'stop']);
      expect(r.recording).toBe(false);
      await r.start();
      now = 63_500;
      await expect(r.stop()).resolves.toMatchObject({ dur: 3_500 });
    });

    test('cancel stops without a clip; stop without start fails', async () => {
      const { b, calls } = backend();
      const r = new VoiceRecorder(b, () => now);
      await r.start();
      r.cancel();
      expect(calls).toEqual(['start', 'cancel']);
      await expect(r.stop()).rejects.toMatchObject({ code: 'failed' });
    });
  });
});

describe('audio player', () => {
  function fakeAudio() {
    const made: Array<{ src: string; log: string[]; ended?: () => void }> = [];
    const createInnerAudioContext: typeof Taro.createInnerAudioContext = () => {
      const rec: { src: string; log: string[]; ended?: () => void } = { src: '', log: [] };
      made.push(rec);
      return {
        set src(v: string) {
          rec.src = v;
        },
        play: () => rec.log.push('play'),
        stop: () => rec.log.push('stop'),
        destroy: () => rec.log.push('destroy'),
        onEnded: (cb: () => void) => (rec.ended = cb),
        onError: () => undefined,
      } as unknown as Taro.InnerAudioContext;
    };
    return { api: { createInnerAudioContext }, made };
  }

  test('one clip at a time; the same clip again stops it; the end of a clip clears the state', () => {
    const { api, made } = fakeAudio();
    const player = createAudioPlayer(api);
    const states: Array<string | undefined> = [];
    player.subscribe((id) => states.push(id));
    player.toggle('a', '/a.webm');
    player.toggle('b', '/b.webm');
    expect(made.map((m) => [m.src, m.log])).toEqual([
      ['/a.webm', ['play', 'stop', 'destroy']],
      ['/b.webm', ['play']],
    ]);
    expect(player.playingId).toBe('b');
    player.toggle('b', '/b.webm');
    expect(player.playingId).toBeUndefined();
    player.toggle('a', '/a.webm');
    made[2].ended?.();
    expect(player.playingId).toBeUndefined();
    expect(states).toEqual([undefined, 'a', undefined, 'b', undefined, undefined, 'a', undefined]);
  });
});

describe('pickers', () => {
  const base = {
    chooseImage: (async () => ({
      tempFilePaths: ['wxfile://tmp_a.jpg'],
      tempFiles: [{ path: 'wxfile://tmp_a.jpg', size: 2048 }],
      errMsg: 'ok',
    })) as typeof Taro.chooseImage,
    getImageInfo: (async () => ({ width: 800, height: 600, path: '', orientation: 'up', type: 'jpeg', errMsg: 'ok' })) as unknown as typeof Taro.getImageInfo,
    chooseVideo: (async () => ({ tempFilePath: 'wxfile://v.mp4', duration: 12.4, size: 5e6, width: 720, height: 1280, thumbTempFilePath: '', errMsg: 'ok' })) as typeof Taro.chooseVideo,
    previewImage: (async () => ({ errMsg: 'ok' })) as typeof Taro.previewImage,
    chooseMessageFile: (async () => ({ tempFiles: [{ path: 'wxfile://d.pdf', name: '化验单.pdf', size: 3000, type: 'file', time: 0 }], errMsg: 'ok' })) as typeof Taro.chooseMessageFile,
    chooseLocation: (async () => ({ name: '市第一医院', address: '解放路 1 号', latitude: 30.1, longitude: 120.2, errMsg: 'ok' })) as typeof Taro.chooseLocation,
  };

  test('weapp: images with their size known, video in ms, documents from chats (only kinds the server takes), the map picker', async () => {
    const asked: Array<Parameters<typeof Taro.chooseMessageFile>[0]> = [];
    const p = miniProgramPickers({ ...base, chooseMessageFile: ((o: Parameters<typeof Taro.chooseMessageFile>[0]) => (asked.push(o), base.chooseMessageFile(o))) as typeof Taro.chooseMessageFile }, 'weapp');
    await expect(p.images('album')).resolves.toEqual([{ path: 'wxfile://tmp_a.jpg', name: 'tmp_a.jpg', size: 2048, w: 800, h: 600 }]);
    await expect(p.video()).resolves.toMatchObject({ dur: 12_400, w: 720, h: 1280 });
    expect(p.canPickFile).toBe(true);
    await expect(p.file()).resolves.toEqual({ path: 'wxfile://d.pdf', name: '化验单.pdf', size: 3000 });
    expect(asked[0].extension).toEqual(['pdf', 'docx', 'xlsx', 'pptx', 'txt']);
    await expect(p.location()).resolves.toEqual({ lat: 30.1, lng: 120.2, title: '市第一医院' });
  });

  test('alipay: image picker gives only paths; no document picker', async () => {
    const alipay = miniProgramPickers(
      { ...base, chooseImage: (async () => ({ tempFilePaths: ['https://resource/apml1.png'], tempFiles: [], errMsg: 'ok' })) as typeof Taro.chooseImage },
      'alipay',
    );
    await expect(alipay.images('camera')).resolves.toMatchObject([{ path: 'https://resource/apml1.png', name: 'apml1.png', size: 0 }]);
    expect(alipay.canPickFile).toBe(false);
    await expect(alipay.file()).rejects.toBeInstanceOf(UnsupportedError);
    expect(miniProgramPickers(base, 'tt').canPickFile).toBe(false);
  });

  test('alipay, failing as documented: a dismissed picker is a cancel (11; the video picker’s 10 on Android)', async () => {
    const fake = createAlipayFake();
    const alipay = miniProgramPickers(fake.api, 'alipay', { settings: fake.settings });
    fake.person.picks = false;
    await expect(alipay.images('album')).rejects.toBeInstanceOf(CancelledError);
    await expect(alipay.video()).rejects.toBeInstanceOf(CancelledError);
    fake.android = true;
    await expect(alipay.video()).rejects.toBeInstanceOf(CancelledError);
    await expect(alipay.location()).rejects.toBeInstanceOf(CancelledError);
    expect(fake.modals).toEqual([]);
  });

  test('alipay, failing as documented: an album refused when asked (2001) is asked again after 再试一次, not sent to the settings page', async () => {
    const fake = createAlipayFake();
    const alipay = miniProgramPickers(fake.api, 'alipay', { settings: fake.settings });
    // Refused, then allowed when the system asks again.
    fake.person.prompts = ['refuse'];
    await expect(alipay.images('album')).resolves.toMatchObject([{ path: 'https://resource/apml1.png' }]);
    expect(fake.person.asked).toBe(2);
    expect(fake.modals).toEqual(['需要相册权限|再试一次']);
    // Refused, and 暂不 in our explanation: the words say to try again, not to look in the settings page.
    const other = createAlipayFake();
    other.person.prompt = 'refuse';
    other.person.confirms = false;
    const refused = miniProgramPickers(other.api, 'alipay', { settings: other.settings }).images('camera');
    await expect(refused).rejects.toEqual(new PermissionDeniedError('camera', true));
    await expect(refused).rejects.toThrow('需要时请再试一次');
    expect(other.person.asked).toBe(1);
    expect(other.modals).toEqual(['需要相机权限|再试一次']);
  });

  test('alipay, failing as documented: refused for good (2003, then 2002) is explained with 去设置; switched on there, the photo comes', async () => {
    const fake = createAlipayFake();
    const alipay = miniProgramPickers(fake.api, 'alipay', { settings: fake.settings });
    // Refused when asked (2001); asked again after 再试一次 and refused for good (2003); 暂不 in our 去设置.
    fake.person.prompts = ['refuse', 'refuseForever'];
    fake.person.taps = [true, false];
    await expect(alipay.images('album')).rejects.toEqual(new PermissionDeniedError('album'));
    expect(fake.auth.album).toBe(false);
    expect(fake.modals).toEqual(['需要相册权限|再试一次', '需要相册权限|去设置']);
    // From then on the picker fails at once (2002), without asking, until the settings page switches the album on.
    fake.person.inSettings = (auth) => (auth.album = true);
    await expect(alipay.images('album')).resolves.toMatchObject([{ path: 'https://resource/apml1.png', w: 800, h: 600 }]);
    expect(fake.person.asked).toBe(2);
    expect(fake.modals.slice(2)).toEqual(['需要相册权限|去设置']);
  });

  test('weapp: a document or a copy refused by the privacy guide says so (选中的文件 and 剪切板 are privacy APIs)', async () => {
    const refused = (api: string) => () => Promise.reject({ errMsg: `${api}:fail privacy permission is not authorized`, errno: 104 });
    const p = miniProgramPickers({ ...base, chooseMessageFile: refused('chooseMessageFile') as typeof Taro.chooseMessageFile }, 'weapp');
    await expect(p.file()).rejects.toBeInstanceOf(PrivacyRefusedError);
    await expect(p.file()).rejects.toThrow('无法选择文件');

    await expect(clipboardCopier({ setClipboardData: refused('setClipboardData') as typeof Taro.setClipboardData })('血压 130/85')).rejects.toThrow(
      new PrivacyRefusedError('复制消息'),
    );
    const copied: string[] = [];
    const clipboard = { setClipboardData: (async (o: { data: string }) => (copied.push(o.data), { errMsg: 'setClipboardData:ok' })) as typeof Taro.setClipboardData };
    await clipboardCopier(clipboard)('血压 130/85');
    expect(copied).toEqual(['血压 130/85']);
    // Any other failure is a plain, readable one (not the platform's errMsg).
    await expect(clipboardCopier({ setClipboardData: (() => Promise.reject({ errMsg: 'setClipboardData:fail' })) as typeof Taro.setClipboardData })('x')).rejects.toBeInstanceOf(
      CopyFailedError,
    );
  });

  test('weapp: a use the privacy guide does not declare (errno 112) is the hospital’s to fix: said so, with no trip to the settings page', async () => {
    const undeclared = (api: string) => () => Promise.reject({ errMsg: `${api}:fail api scope is not declared in the privacy agreement`, errno: 112 });
    const modals: string[] = [];
    const settings = {
      showModal: (async (o: Taro.showModal.Option) => (modals.push(o.title ?? ''), confirmed(o))) as typeof Taro.showModal,
      openSetting: (async () => ({ authSetting: {}, errMsg: 'ok' })) as unknown as typeof Taro.openSetting,
    };
    const p = miniProgramPickers({ ...base, chooseLocation: undeclared('chooseLocation') as typeof Taro.chooseLocation }, 'weapp', { settings });
    await expect(p.location()).rejects.toThrow(new PrivacyUndeclaredError('发送位置'));
    const recorder = miniProgramRecorder({ getRecorderManager: () => ({}) as Taro.RecorderManager, authorize: undeclared('authorize') as typeof Taro.authorize }, 'weapp', settings);
    await expect(recorder.prepare()).rejects.toBeInstanceOf(PrivacyUndeclaredError);
    await expect(clipboardCopier({ setClipboardData: undeclared('setClipboardData') as typeof Taro.setClipboardData })('x')).rejects.toThrow('请告知医院');
    expect(modals).toEqual([]);
  });

  test('h5: documents through a file input (chosen and dismissed); location from the browser', async () => {
    const geo = {
      getCurrentPosition: (ok: PositionCallback) => ok({ coords: { latitude: 31.2, longitude: 121.5 } } as GeolocationPosition),
    } as unknown as Geolocation;
    const p = browserPickers(base, document, geo);
    const chosen = p.file();
    const input = document.querySelector('input.file-picker') as HTMLInputElement;
    expect(input.accept).toBe('.pdf,.docx,.xlsx,.pptx,.txt,image/*');
    const file = new File(['%PDF-1.4'], '检查报告.pdf', { type: 'application/pdf' });
    Object.defineProperty(input, 'files', { value: [file] });
    URL.createObjectURL = () => 'blob:local/1';
    input.dispatchEvent(new Event('change'));
    await expect(chosen).resolves.toEqual({ path: 'blob:local/1', name: '检查报告.pdf', size: 8, blob: file });
    expect(document.querySelector('input.file-picker')).toBeNull();
    const dismissed = p.file();
    document.querySelector('input.file-picker')?.dispatchEvent(new Event('cancel'));
    await expect(dismissed).rejects.toBeInstanceOf(CancelledError);
    await expect(p.location()).resolves.toEqual({ lat: 31.2, lng: 121.5, title: '我的位置' });
    await expect(browserPickers(base, document).location()).rejects.toBeInstanceOf(UnsupportedError);
  });

  test('h5: photos through a file input, every one chosen kept (one the browser cannot read goes without a size)', async () => {
    const readable = new Set(['blob:local/1']);
    const p = browserPickers(
      {
        ...base,
        getImageInfo: ((o: { src: string }) =>
          readable.has(o.src)
            ? Promise.resolve({ width: 800, height: 600 })
            : Promise.reject({ errMsg: 'getImageInfo:fail' })) as unknown as typeof Taro.getImageInfo,
      },
      document,
    );
    let n = 0;
    URL.createObjectURL = () => `blob:local/${++n}`;
    const choose = (files: File[]) => {
      const input = document.querySelector('input.file-picker') as HTMLInputElement;
      Object.defineProperty(input, 'files', { value: files });
      input.dispatchEvent(new Event('change'));
      return input;
    };
    const album = p.images('album');
    const jpeg = new File(['jpeg'], '舌苔.jpg', { type: 'image/jpeg' });
    const heic = new File(['heic!'], 'IMG_0001.HEIC', { type: 'image/heic' });
    const input = choose([jpeg, heic]);
    expect([input.accept, input.multiple, input.hasAttribute('capture')]).toEqual(['image/*', true, false]);
    await expect(album).resolves.toEqual([
      { path: 'blob:local/1', name: '舌苔.jpg', size: 4, blob: jpeg, w: 800, h: 600 },
      { path: 'blob:local/2', name: 'IMG_0001.HEIC', size: 5, blob: heic },
    ]);

    const camera = p.images('camera');
    expect(choose([jpeg]).getAttribute('capture')).toBe('environment');
    await expect(camera).resolves.toHaveLength(1);
    const dismissed = p.images('album');
    document.querySelector('input.file-picker')?.dispatchEvent(new Event('cancel'));
    await expect(dismissed).rejects.toBeInstanceOf(CancelledError);
    expect(document.querySelector('input.file-picker')).toBeNull();
  });
});

describe('opener', () => {
  function fakeOpenApi(downloadStatus = 200) {
    const calls: string[] = [];
    const api: Pick<typeof Taro, 'downloadFile' | 'openDocument' | 'openLocation' | 'previewImage'> = {
      downloadFile: (async (o: Taro.downloadFile.Option) => {
        calls.push(`download ${o.url}`);
        return { tempFilePath: 'wxfile://tmp_doc', statusCode: downloadStatus, errMsg: 'ok' };
      }) as unknown as typeof Taro.downloadFile,
      openDocument: (async (o: Taro.openDocument.Option) => {
        calls.push(`open ${o.filePath} ${o.fileType}`);
        return { errMsg: 'ok' };
      }) as typeof Taro.openDocument,
      openLocation: (async (o: Taro.openLocation.Option) => {
        calls.push(`map ${o.latitude},${o.longitude} ${o.name}`);
        return { errMsg: 'ok' };
      }) as typeof Taro.openLocation,
      previewImage: (async (o: Taro.previewImage.Option) => {
        calls.push(`preview ${o.current}`);
        return { errMsg: 'ok' };
      }) as typeof Taro.previewImage,
    };
    return { api, calls };
  }

  test('mini programs: documents are downloaded and opened by the system viewer; pictures previewed; others explained', async () => {
    const { api, calls } = fakeOpenApi();
    const o = miniProgramOpener(api);
    await o.document('https://im.test/api/files/1?sig=a', 'pdf');
    await o.document('https://im.test/api/files/2?sig=b', 'png');
    await expect(o.document('https://im.test/api/files/3', 'txt')).rejects.toThrow('无法在小程序中打开');
    await o.location({ lat: 30, lng: 120, title: '门诊楼' });
    expect(calls).toEqual([
      'download https://im.test/api/files/1?sig=a',
      'open wxfile://tmp_doc pdf',
      'preview https://im.test/api/files/2?sig=b',
      'map 30,120 门诊楼',
    ]);
  });

  test('mini programs: a map that cannot open says so; a refused location permission is explained with 去设置', async () => {
    const failing = (errMsg: string) => ({ ...fakeOpenApi().api, openLocation: (() => Promise.reject({ errMsg })) as typeof Taro.openLocation });
    const geo = { lat: 30, lng: 120, title: '门诊楼' };
    // Douyin without the 打开地理位置 capability, or any other failure of the map.
    await expect(miniProgramOpener(failing('openLocation:fail no permission to call this api')).location(geo)).rejects.toBeInstanceOf(MapUnavailableError);
    await expect(miniProgramOpener(failing('openLocation:fail privacy permission is not authorized')).location(geo)).rejects.toThrow(new PrivacyRefusedError('查看位置'));

    const modals: string[] = [];
    const settings = {
      showModal: (async (o: Taro.showModal.Option) => (modals.push(o.title ?? ''), confirmed(o))) as typeof Taro.showModal,
      openSetting: (async () => ({ authSetting: { 'scope.userLocation': false }, errMsg: 'ok' })) as unknown as typeof Taro.openSetting,
    };
    await expect(miniProgramOpener(failing('openLocation:fail auth deny'), settings).location(geo)).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(modals).toEqual(['需要位置权限']);
  });

  test('mini programs: an expired link, a failed download and a document the viewer refuses say so in words', async () => {
    const { api } = fakeOpenApi(403);
    await expect(miniProgramOpener(api).document('https://im.test/x', 'pdf')).rejects.toThrow('已过期');
    // Taro rejects with WeChat's { errMsg } object, which has no message for the toast.
    const offline = { ...api, downloadFile: (() => Promise.reject({ errMsg: 'downloadFile:fail timeout' })) as unknown as typeof Taro.downloadFile };
    await expect(miniProgramOpener(offline).document('https://im.test/x', 'pdf')).rejects.toThrow('文件下载失败，请检查网络后重试');
    const ok = fakeOpenApi().api;
    const noViewer = { ...ok, openDocument: (() => Promise.reject({ errMsg: 'openDocument:fail filetype not supported' })) as typeof Taro.openDocument };
    await expect(miniProgramOpener(noViewer).document('https://im.test/x', 'docx')).rejects.toThrow('无法在小程序中打开');
  });

  test('h5: documents and maps open in a new tab', async () => {
    const opened: string[] = [];
    const o = browserOpener((url) => opened.push(url));
    await o.document('http://h/api/files/1', 'pdf');
    await o.location({ lat: 31.2, lng: 121.5, title: '我的位置' });
    expect(opened).toEqual([
      'http://h/api/files/1',
      `https://uri.amap.com/marker?position=121.5,31.2&name=${encodeURIComponent('我的位置')}&coordinate=wgs84`,
    ]);
  });

  test('server paths become absolute on mini programs; local previews pass through', () => {
    expect(resolveUrl('/api/files/1?sig=x', 'https://im.test')).toBe('https://im.test/api/files/1?sig=x');
    expect(resolveUrl('blob:http://h/abc', 'https://im.test')).toBe('blob:http://h/abc');
    expect(resolveUrl('wxfile://tmp_1.jpg', 'https://im.test')).toBe('wxfile://tmp_1.jpg');
  });
});

describe('capture guard', () => {
  test('WeChat hides the chat from captures and restores it; other platforms do nothing; a missing API is tolerated', async () => {
    const effects: Array<string | undefined> = [];
    const api: Pick<typeof Taro, 'setVisualEffectOnCapture'> = {
      setVisualEffectOnCapture: async (o) => {
        effects.push(o.visualEffect);
        return { errMsg: 'ok' };
      },
    };
    const weapp = captureGuard(api, 'weapp');
    weapp(true);
    weapp(false);
    for (const p of ['alipay', 'tt', 'h5'] as const) captureGuard(api, p)(true);
    expect(effects).toEqual(['hidden', 'none']);
    const old = captureGuard({ setVisualEffectOnCapture: undefined as unknown as typeof Taro.setVisualEffectOnCapture }, 'weapp');
    expect(() => old(true)).not.toThrow();
    const refusing = captureGuard({ setVisualEffectOnCapture: () => Promise.reject(new Error('fail')) }, 'weapp');
    expect(() => refusing(true)).not.toThrow();
  });
});
