/**
 * Alipay mini-program sign-in: alipay.system.oauth.token through the open gateway. The request is
 * signed with the app's private key (RSA2: SHA256withRSA); the answer is trusted only if Alipay's
 * signature over the exact text of its response member verifies against Alipay's public key.
 */
import { createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';
import { ClientError } from '../errors';
import { callPlatform, refused } from './http';
import type { PlatformIdentity, SignInPlatform } from './types';

export interface AlipayConfig {
  appid: string;
  /** The app's private key (PKCS#8 or PKCS#1, PEM or bare base64 as Alipay's key tool writes it). */
  privateKey: KeyObject;
  /** Alipay's public key from the open platform console (SPKI, PEM or bare base64). */
  publicKey: KeyObject;
  /** https://openapi.alipay.com/gateway.do (tests point it at a stub). */
  gatewayUrl: string;
}

const NAME = '支付宝';
const METHOD = 'alipay.system.oauth.token';
const RESPONSE = 'alipay_system_oauth_token_response';
const REFUSALS = { codeInvalid: ['isv.code-invalid'] };

const der = (value: string) => Buffer.from(value.replace(/\s+/g, ''), 'base64');
const isPem = (value: string) => value.includes('-----BEGIN');

/** A key as configured: PEM (`\n` escapes allowed, for one-line variables) or bare base64 DER. */
export function alipayKey(kind: 'private' | 'public', value: string): KeyObject {
  const pem = value.replace(/\\n/g, '\n');
  if (kind === 'public') return isPem(pem) ? createPublicKey(pem) : createPublicKey({ key: der(pem), format: 'der', type: 'spki' });
  if (isPem(pem)) return createPrivateKey(pem);
  try {
    return createPrivateKey({ key: der(pem), format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der(pem), format: 'der', type: 'pkcs1' });
  }
}

/** What is signed: every parameter but `sign` with a value, sorted by name, `key=value` joined by `&`. */
export function signContent(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** The gateway's timestamp: `yyyy-MM-dd HH:mm:ss` in Beijing time, whatever this server's zone. */
export function gatewayTimestamp(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The exact text of a top-level member's object value: Alipay signs those bytes, so re-serialising
 * the parsed value (key order, escapes) would not verify.
 */
export function memberText(json: string, name: string): string | undefined {
  const key = json.indexOf(`"${name}"`);
  if (key < 0) return undefined;
  const start = json.indexOf('{', key + name.length + 2);
  if (start < 0 || json.slice(key + name.length + 2, start).trim() !== ':') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return json.slice(start, i + 1);
  }
  return undefined;
}

interface Member {
  code?: string;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
  open_id?: string;
  user_id?: string;
}

export class AlipayApi implements SignInPlatform {
  readonly name = NAME;

  constructor(
    private readonly config: AlipayConfig,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get appid(): string {
    return this.config.appid;
  }

  /** The signed form of one gateway call. */
  signedParams(code: string): Record<string, string> {
    const params: Record<string, string> = {
      app_id: this.config.appid,
      method: METHOD,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: gatewayTimestamp(this.now()),
      version: '1.0',
      grant_type: 'authorization_code',
      code,
    };
    const sign = createSign('RSA-SHA256').update(signContent(params), 'utf8').sign(this.config.privateKey, 'base64');
    return { ...params, sign };
  }

  async identify(code: string): Promise<PlatformIdentity> {
    const { text, body } = await callPlatform<Record<string, Member | string | undefined>>(
      NAME,
      this.config.gatewayUrl,
      { method: 'POST', form: this.signedParams(code) },
      this.timeoutMs,
    );
    const ok = body[RESPONSE] as Member | undefined;
    const openid = ok?.open_id ?? ok?.user_id;
    // A refusal is not verified: a forged one could only make this sign-in fail, which it does anyway.
    if (!openid) {
      const e = (body.error_response ?? ok ?? {}) as Member;
      throw refused(NAME, e.sub_code ?? e.code ?? 'unknown', e.sub_msg ?? e.msg ?? '', REFUSALS);
    }
    const signed = memberText(text, RESPONSE);
    const sign = typeof body.sign === 'string' ? body.sign : '';
    if (!signed || !createVerify('RSA-SHA256').update(signed, 'utf8').verify(this.config.publicKey, sign, 'base64')) {
      throw new ClientError('platformError', '支付宝应答的签名无效（ALIPAY_PUBLIC_KEY 是否为支付宝公钥？）');
    }
    return { openid };
  }
}
