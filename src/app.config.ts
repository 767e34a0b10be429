export default defineAppConfig({
  pages: ['pages/entry/index', 'pages/sessions/index', 'pages/chat/index'],
  window: {
    navigationBarTitleText: '在线问诊',
    navigationBarBackgroundColor: '#ffffff',
    navigationBarTextStyle: 'black',
    backgroundColor: '#f3f4f6',
  },
});
