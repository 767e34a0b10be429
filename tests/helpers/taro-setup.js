// Load order matters: see jest.config.js.
process.env.TARO_PLATFORM = 'web';
require('@tarojs/taro');
global.React = require('react');
global.defineAppConfig = (c) => c;
global.definePageConfig = (c) => c;
