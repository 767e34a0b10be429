export default definePageConfig({ navigationBarTitleText: '问诊单' });
