/**
 * What Alipay's open gateway checks of every request, whatever its method: the form encoding, the
 * common parameters, a Beijing-time timestamp within 15 minutes, and the RSA2 signature over the sorted
 * `key=value&…` of every non-empty parameter but `sign`, verified with the app's public key.
 */
import { createVerify, type KeyObject } from 'node:crypto';
import type { StubRequest } from './platform-stub';

/** How the gateway refuses (answered under `error_response`). */
export interface GatewayRefusal {
  code: string;
  msg: string;
  sub_code: string;
  sub_msg: string;
}

const invalid = (sub_code: string, sub_msg: string): { refusal: GatewayRefusal } => ({ refusal: { code: '40002', msg: 'Invalid Arguments', sub_code, sub_msg } });

function beijingTime(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5], +m[6]) : undefined;
}

/** The request's parameters and the string it signed, or the gateway's refusal. */
export function checkGatewayRequest(
  r: StubRequest,
  expect: { appId: string; method: string; required: readonly string[]; appPublicKey: KeyObject },
): { params: Record<string, string>; signed: string } | { refusal: GatewayRefusal } {
  if (r.method !== 'POST' || !String(r.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
    return invalid('isv.invalid-request', '请求格式错误');
  }
  const p = Object.fromEntries(new URLSearchParams(r.body));
  for (const name of ['app_id', 'method', 'charset', 'sign_type', 'sign', 'timestamp', 'version', ...expect.required]) {
    if (!p[name]) return { refusal: { code: '40001', msg: 'Missing Required Arguments', sub_code: `isv.missing-${name.replace('_', '-')}`, sub_msg: `缺少参数 ${name}` } };
  }
  if (p.app_id !== expect.appId) return invalid('isv.invalid-app-id', '无效的AppID参数');
  if (p.method !== expect.method) return invalid('isv.invalid-method', '不存在的方法名');
  if (p.format !== undefined && p.format.toUpperCase() !== 'JSON') return invalid('isv.invalid-format', '无效的数据格式');
  if (p.charset.toLowerCase() !== 'utf-8') return invalid('isv.invalid-charset', '字符集错误');
  if (p.sign_type !== 'RSA2') return invalid('isv.invalid-signature-type', '无效的签名类型');
  if (p.version !== '1.0') return invalid('isv.invalid-version', '版本号错误');
  const at = beijingTime(p.timestamp);
  if (at === undefined || Math.abs(at - Date.now()) > 15 * 60_000) return invalid('isv.invalid-timestamp', '非法的时间戳参数');
  const signed = Object.keys(p)
    .filter((k) => k !== 'sign' && p[k] !== '')
    .sort()
    .map((k) => `${k}=${p[k]}`)
    .join('&');
  if (!createVerify('RSA-SHA256').update(signed, 'utf8').verify(expect.appPublicKey, p.sign, 'base64')) return invalid('isv.invalid-signature', '验签出错');
  return { params: p, signed };
}
