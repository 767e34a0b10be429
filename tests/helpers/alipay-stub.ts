/**
 * Alipay's open gateway for alipay.system.oauth.token, with real RSA keys: it checks the common
 * parameters (app_id, method, format, charset=utf-8, sign_type=RSA2, a Beijing-time timestamp
 * `yyyy-MM-dd HH:mm:ss` within 15 minutes, version=1.0), then the signature (SHA256withRSA over the
 * sorted `key=value&…` of every parameter but sign) against the app's public key, then grant_type and
 * the one-time code; refusals come as `error_response` with code/sub_code as Alipay documents them.
 * Answers are signed with "Alipay's" private key over the exact text of the response member.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { checkGatewayRequest } from './alipay-gateway';
import { Codes, startStub, type Stub } from './platform-stub';

export const ALIPAY_APPID = '2021000000000001';
const RESPONSE = 'alipay_system_oauth_token_response';

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

export interface AlipayStub extends Stub {
  codes: Codes;
  /** The app's key pair (the private key goes to our server) and Alipay's (the public key does). */
  app: { privateKey: KeyObject; publicKey: KeyObject };
  alipay: { privateKey: KeyObject; publicKey: KeyObject };
  /** Answers are signed with a key that is not Alipay's (a man in the middle). */
  forgeSignatures: boolean;
  /** The signed strings of accepted requests. */
  signed: string[];
}

export async function startAlipayStub(): Promise<AlipayStub> {
  const forger = pair().privateKey;
  // eslint-disable-next-line prefer-const
  let state: AlipayStub;
  const signedAnswer = (member: string, body: string) => {
    const sign = createSign('RSA-SHA256').update(body, 'utf8').sign(state.forgeSignatures ? forger : state.alipay.privateKey, 'base64');
    return `{"${member}":${body},"sign":"${sign}"}`;
  };
  const refuse = (code: string, msg: string, sub_code: string, sub_msg: string) =>
    signedAnswer('error_response', JSON.stringify({ code, msg, sub_code, sub_msg }));
  const invalid = (sub: string, sub_msg: string) => refuse('40002', 'Invalid Arguments', sub, sub_msg);

  const stub = await startStub((r) => {
    const checked = checkGatewayRequest(r, { appId: ALIPAY_APPID, method: 'alipay.system.oauth.token', required: [], appPublicKey: state.app.publicKey });
    if ('refusal' in checked) {
      const { code, msg, sub_code, sub_msg } = checked.refusal;
      return refuse(code, msg, sub_code, sub_msg);
    }
    const { params: p, signed: content } = checked;
    state.signed.push(content);
    if (p.grant_type !== 'authorization_code') return invalid('isv.grant-type-invalid', 'grant_type参数不正确');
    const openid = p.code ? state.codes.spend(p.code) : undefined;
    if (openid === undefined || openid === 'used') return invalid('isv.code-invalid', '授权码code无效');
    // Alipay writes its answer with non-ASCII as is and a slash escaped: verification must use these bytes.
    const body = `{"code":"10000","msg":"Success","open_id":"${openid}","access_token":"authusrB\\/stub","expires_in":1296000,"refresh_token":"authusrB\\/refresh","re_expires_in":2592000,"auth_start":"2024-01-01 00:00:00","note":"授权"}`;
    return signedAnswer(RESPONSE, body);
  });
  state = Object.assign(stub, { codes: new Codes(), app: pair(), alipay: pair(), forgeSignatures: false, signed: [] as string[] });
  return state;
}
