/// <reference types="@tarojs/taro" />

declare module '*.png';
declare module '*.scss';
declare module '*.css';

declare namespace NodeJS {
  interface ProcessEnv {
    TARO_ENV: 'weapp' | 'alipay' | 'tt' | 'h5' | undefined;
    /** Our IM server for mini programs (H5 uses the page's own origin). */
    TARO_APP_SERVER_URL?: string;
  }
}
