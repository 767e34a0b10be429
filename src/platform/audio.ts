/**
 * Voice playback, one clip at a time: starting one stops the other, as in every chat app. Taro's
 * InnerAudioContext exists on all four targets (an <audio> element on H5).
 */
import Taro from '@tarojs/taro';

type Listener = (playingId: string | undefined) => void;

export interface AudioPlayer {
  /** Plays `url` as clip `id`; the same id again stops it. */
  toggle(id: string, url: string): void;
  stop(): void;
  readonly playingId: string | undefined;
  subscribe(listener: Listener): () => void;
}

export function createAudioPlayer(api: Pick<typeof Taro, 'createInnerAudioContext'>): AudioPlayer {
  let ctx: Taro.InnerAudioContext | undefined;
  let playingId: string | undefined;
  const listeners = new Set<Listener>();
  const set = (id: string | undefined) => {
    playingId = id;
    for (const l of listeners) l(id);
  };
  const stop = () => {
    ctx?.stop();
    ctx?.destroy();
    ctx = undefined;
    set(undefined);
  };
  return {
    get playingId() {
      return playingId;
    },
    toggle(id, url) {
      const same = playingId === id;
      stop();
      if (same) return;
      const c = api.createInnerAudioContext();
      ctx = c;
      c.src = url;
      const done = () => {
        if (ctx === c) stop();
      };
      c.onEnded(done);
      c.onError(done);
      set(id);
      c.play();
    },
    stop,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

// Called as `Taro.x(...)`: on H5 Taro's Babel plugin turns those calls into imports of the H5
// implementation; the `Taro` object itself does not carry every API there.
export const audioPlayer = createAudioPlayer({ createInnerAudioContext: () => Taro.createInnerAudioContext() });
