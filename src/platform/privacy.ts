/**
 * The privacy guide (隐私保护指引) before the first privacy API call: WeChat (and Douyin where it has
 * the same API) calls onNeedPrivacyAuthorization and holds the API call pending until we answer with
 * resolve({ event: 'agree', buttonId }) – after the person tapped our <button
 * open-type="agreePrivacyAuthorization" id=buttonId> – or resolve({ event: 'disagree' }), which fails the
 * call with "…:fail privacy permission is not authorized".
 *
 * Our popup lives on a page of its own (pages/privacy) unless a page shows <PrivacyPopup> itself: a
 * request that arrives while no popup is mounted opens that page, which answers and goes back.
 */
import Taro from '@tarojs/taro';
import type { Platform } from './env';
import { PLATFORM } from './env';
import { failureKind } from './failure';

export const AGREE_BUTTON_ID = 'privacy-agree';
export const PRIVACY_PAGE = '/pages/privacy/index';

type Resolve = (option: { event: 'exposureAuthorization' | 'agree' | 'disagree'; buttonId?: string }) => void;

export interface PrivacyApi {
  onNeedPrivacyAuthorization?: (listener: (resolve: Resolve, info: { referrer: string }) => void) => void;
  openPrivacyContract?: (option?: object) => unknown;
  /**
   * The platform documents resolve({ event: 'exposureAuthorization' }) (WeChat). Douyin documents only
   * agree and disagree, and what it does with another event first is unknown: it is not sent there.
   */
  reportsExposure?: boolean;
}

/** What the popup shows: the API that asked (e.g. "chooseMedia"), or nothing pending. */
export type PrivacyRequest = { referrer: string } | undefined;

export class PrivacyGate {
  private pending: Resolve[] = [];
  private referrer = '';
  private readonly popups = new Set<(req: PrivacyRequest) => void>();

  constructor(
    private readonly api: PrivacyApi,
    /** Shows the privacy page when no popup is mounted to answer. */
    private readonly openPage: () => void,
  ) {}

  /** Registers with the platform once, at launch; a platform without the API has nothing to ask. */
  start(): void {
    this.api.onNeedPrivacyAuthorization?.((resolve, info) => {
      this.pending.push(resolve);
      this.referrer = info?.referrer ?? '';
      if (this.popups.size === 0) this.openPage();
      else this.notify();
    });
  }

  /** A popup mounts: it hears about requests (at once if one is waiting). Returns the unsubscribe. */
  subscribe(popup: (req: PrivacyRequest) => void): () => void {
    this.popups.add(popup);
    popup(this.request());
    return () => void this.popups.delete(popup);
  }

  request(): PrivacyRequest {
    return this.pending.length ? { referrer: this.referrer } : undefined;
  }

  /** The popup is on screen: the platform is told (its exposure count), once per request, where it asks to be. */
  shown(): void {
    if (!this.api.reportsExposure) return;
    for (const r of this.pending) r({ event: 'exposureAuthorization' });
  }

  /** After the agree button's agreeprivacyauthorization event: every waiting call proceeds. */
  agree(buttonId: string = AGREE_BUTTON_ID): void {
    this.answer({ event: 'agree', buttonId });
  }

  /** Refused (or the popup was left): every waiting call fails with "privacy permission is not authorized". */
  disagree(): void {
    this.answer({ event: 'disagree' });
  }

  /** Whether this platform shows the mini program's privacy guide (settings offers it only then). */
  get hasContract(): boolean {
    return Boolean(this.api.openPrivacyContract);
  }

  openContract(): void {
    void this.api.openPrivacyContract?.({});
  }

  private answer(option: Parameters<Resolve>[0]): void {
    for (const r of this.pending.splice(0)) r(option);
    this.notify();
  }

  private notify(): void {
    const req = this.request();
    for (const p of this.popups) p(req);
  }
}

export class PrivacyRefusedError extends Error {
  constructor(what: string) {
    super(`您未同意《隐私保护指引》，无法${what}。需要时可在「设置 → 隐私保护指引」中查看并同意`);
    this.name = 'PrivacyRefusedError';
  }
}

export class PrivacyUndeclaredError extends Error {
  constructor(what: string) {
    super(`小程序的《隐私保护指引》尚未声明此项用途，暂时无法${what}，请告知医院`);
    this.name = 'PrivacyUndeclaredError';
  }
}

/**
 * A privacy API's failure in words, or undefined when it is neither: the guide refused, or a use the
 * guide does not declare (WeChat: "api scope is not declared in the privacy agreement", errno 112;
 * "privacy api banned"), which only the hospital can fix in the platform's console.
 */
export function privacyFailure(e: unknown, what: string): Error | undefined {
  const kind = failureKind(e);
  if (kind === 'privacyRefused') return new PrivacyRefusedError(what);
  if (kind === 'privacyUndeclared') return new PrivacyUndeclaredError(what);
  return undefined;
}

/**
 * What each platform offers: WeChat and Douyin ask through our popup; Alipay documents the same listener
 * but no exposure report, so its own popup asks there (app.json's __usePrivacyCheck__), and only the
 * guide itself (my.openPrivacyContract) is ours to open. H5 has neither.
 */
export function privacyApiOf(platform: Platform, taro: PrivacyApi): PrivacyApi {
  if (platform === 'h5') return {};
  const openPrivacyContract = taro.openPrivacyContract ? (o?: object) => taro.openPrivacyContract?.(o) : undefined;
  if (platform === 'alipay') return { openPrivacyContract };
  return {
    onNeedPrivacyAuthorization: taro.onNeedPrivacyAuthorization ? (l) => taro.onNeedPrivacyAuthorization?.(l) : undefined,
    openPrivacyContract,
    reportsExposure: platform === 'weapp',
  };
}

export const privacy = new PrivacyGate(privacyApiOf(PLATFORM, Taro as unknown as PrivacyApi), () => void Taro.navigateTo({ url: PRIVACY_PAGE }));
