/**
 * The SMS link's exchange that index.html's first script started (H5, src/h5/early-link.js): taken
 * once, by the sign-in for the same link. Elsewhere there is none.
 */
export interface LinkReply {
  status: number;
  data: unknown;
}

interface EarlyExchange {
  link: string;
  reply: Promise<LinkReply>;
}

export function takeEarlyExchange(link: string): Promise<LinkReply> | undefined {
  if (process.env.TARO_ENV !== 'h5') return undefined;
  const holder = window as unknown as { __medchatLinkExchange?: EarlyExchange };
  const early = holder.__medchatLinkExchange;
  if (!early || early.link !== link) return undefined;
  holder.__medchatLinkExchange = undefined;
  return early.reply;
}
