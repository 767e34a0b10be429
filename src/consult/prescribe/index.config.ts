export default definePageConfig({ navigationBarTitleText: '开具处方' });
