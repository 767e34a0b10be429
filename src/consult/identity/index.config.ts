export default definePageConfig({ navigationBarTitleText: '确认就诊人' });
