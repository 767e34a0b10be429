// Load order matters: see jest.config.js.
process.env.TARO_PLATFORM = 'web';
require('@tarojs/taro');
global.React = require('react');
global.defineAppConfig = (c) => c;
global.definePageConfig = (c) => c;
// Register Taro's Stencil components, so that <Input> renders its native <input> inside jsdom.
require('@tarojs/components/loader').defineCustomElements(global.window);
global.IS_REACT_ACT_ENVIRONMENT = true;
// What Taro's H5 entry does with config/index.ts before any page renders (Taro.pxTransform needs it).
require('@tarojs/taro').initPxTransform({ designWidth: 750, deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 } });
// Browsers have it and Taro's lazy-loading <Image> uses it; jsdom has none. Nothing scrolls here.
global.IntersectionObserver = class {
  observe() {}
  unobserve() {}
  disconnect() {}
};
