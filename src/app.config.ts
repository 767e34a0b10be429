export default defineAppConfig({
  pages: ['pages/entry/index'],
  // The chat lives in a subpackage: the main package (2 MB limit) keeps only the SMS-link entry, and
  // whatever only the chat uses – the NIM SDK in NIM builds among it – downloads with the subpackage.
  subPackages: [{ root: 'consult', pages: ['sessions/index', 'chat/index'] }],
  window: {
    navigationBarTitleText: '在线问诊',
    navigationBarBackgroundColor: '#ffffff',
    navigationBarTextStyle: 'black',
    backgroundColor: '#f3f4f6',
  },
});
