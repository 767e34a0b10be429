// Evaluated at build time, once per target (TARO_ENV): each platform's app.json gets only its own keys.
const target = process.env.TARO_ENV;
/** Per target by configuration (config/features.ts sets it before this file is read). */
const location = process.env.TARO_APP_LOCATION !== 'off';

/** WeChat and Douyin refuse chooseLocation unless app.json declares it (and, on WeChat, it is approved). */
const privateInfos = location ? { requiredPrivateInfos: ['chooseLocation' as const] } : {};

/** Why we ask, shown in the platform's own permission prompt (Douyin shows each; WeChat only location). */
const PERMISSION_DESC = {
  'scope.userLocation': { desc: '用于在问诊中向医生发送您所在的位置' },
  'scope.record': { desc: '用于在问诊中向医生发送语音' },
  'scope.camera': { desc: '用于拍摄照片或视频发给医生' },
  'scope.album': { desc: '用于从相册选择照片或视频发给医生' },
};
const permission =
  target === 'weapp'
    ? location
      ? { permission: { 'scope.userLocation': PERMISSION_DESC['scope.userLocation'] } }
      : {}
    : target === 'tt'
      ? {
          permission: Object.fromEntries(
            Object.entries(PERMISSION_DESC).filter(([scope]) => location || scope !== 'scope.userLocation'),
          ),
        }
      : {};

const weappOnly =
  target === 'weapp'
    ? {
        // Chat pages hold medical conversations: keep every page out of WeChat search (sitemap.json).
        sitemapLocation: 'sitemap.json',
        // Only the components a page uses are injected when it opens (WeChat's quality check asks for it).
        lazyCodeLoading: 'requiredComponents' as const,
        ...privateInfos,
        // Colours follow the system's dark mode: the window's from theme.json, the pages' from app.css.
        darkmode: true,
        themeLocation: 'theme.json',
      }
    : target === 'tt'
      ? privateInfos
      : {};

/**
 * The platform holds every privacy API (photos, camera, microphone, location, clipboard, files) until the
 * person agreed to the mini program's privacy guide. Douyin (apps created before 2024-03-25) and Alipay
 * do so only with this key; WeChat always has since 2023-10-17 and accepts it.
 */
const privacyCheck = target === 'h5' ? {} : { __usePrivacyCheck__: true };

/**
 * H5 pages switch without Taro's slide: its router (4.2) hides the page left behind on a timer that a
 * quick back does not cancel, so a chat returned to within that time stayed hidden (display: none).
 */
const h5Only = target === 'h5' ? { animation: false } : {};

export default defineAppConfig({
  // entry: sign-in (platform code, SMS link); settings: unbinding and permissions; privacy: the
  // privacy guide when a page without its own popup needs consent.
  pages: ['pages/entry/index', 'pages/settings/index', 'pages/privacy/index'],
  // The chat lives in a subpackage: the main package (2 MB limit) keeps only the SMS-link entry, and
  // whatever only the chat uses – the NIM SDK in NIM builds among it – downloads with the subpackage.
  // The encounter's pages (issue 17) go with the chat: identity → consent → intake before it, the rating
  // after; the doctor's prescription form and 常用语; the pharmacist's review.
  subPackages: [
    {
      root: 'consult',
      pages: [
        'sessions/index',
        'chat/index',
        'identity/index',
        'consent/index',
        'intake/index',
        'rate/index',
        'prescribe/index',
        'replies/index',
        'review/index',
        'transfer/index',
      ],
    },
  ],
  // The entry page leads straight into the chat: fetch the subpackage while it signs in.
  preloadRule: { 'pages/entry/index': { network: 'all', packages: ['consult'] } },
  window: {
    navigationBarTitleText: '在线问诊',
    ...(target === 'weapp'
      ? { navigationBarBackgroundColor: '@navBgColor', navigationBarTextStyle: '@navTextStyle', backgroundColor: '@bgColor' }
      : { navigationBarBackgroundColor: '#ffffff', navigationBarTextStyle: 'black', backgroundColor: '#f3f4f6' }),
  },
  ...privacyCheck,
  ...h5Only,
  ...permission,
  ...weappOnly,
});
