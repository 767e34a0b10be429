export default definePageConfig({ navigationBarTitleText: '评价问诊' });
