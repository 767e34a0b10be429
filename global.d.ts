/// <reference types="@tarojs/taro" />

declare module '*.png';
declare module '*.scss';
declare module '*.css';

declare namespace NodeJS {
  interface ProcessEnv {
    TARO_ENV: 'weapp' | 'alipay' | 'tt' | 'h5' | undefined;
    /** Our IM server for mini programs (H5 uses the page's own origin). */
    TARO_APP_SERVER_URL?: string;
    /** 'off' where this target's build switched sending a location off (config/features.ts). */
    TARO_APP_LOCATION?: string;
  }
}
