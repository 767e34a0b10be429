/**
 * Openids are personal data: bindings are found by an HMAC of (platform, appid, openid) and keep the
 * openid itself only sealed. The MAC keys come from the data keys (HKDF), so no new secret is needed;
 * a lookup tries every configured key, so bindings survive a rotation while the old key is kept.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { DataKeys } from '../crypto';

export class OpenidMacs {
  /** The active data key's first. */
  private readonly keys: Buffer[];

  constructor(dataKeys: DataKeys) {
    const ids = [dataKeys.active, ...[...dataKeys.keys.keys()].filter((id) => id !== dataKeys.active)];
    this.keys = ids.map((id) =>
      Buffer.from(hkdfSync('sha256', dataKeys.keys.get(id) as Buffer, 'medchat-miniapp', 'openid lookup v1', 32)),
    );
  }

  /** The lookup keys of one user, under the active key first. */
  of(platform: string, appid: string, openid: string): string[] {
    return this.keys.map((k) => createHmac('sha256', k).update(`${platform}\n${appid}\n${openid}`).digest('base64url'));
  }
}
