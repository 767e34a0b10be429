/** Notification templates from the environment: each platform's data keys as the platform names them. */
import { notifyFromEnv } from '../../server/notify/config';

test('Douyin keys by keyword titles, WeChat by thing1 …; a value not among the notice fields is refused', () => {
  const { notify } = notifyFromEnv({
    NOTIFY_TT_TEMPLATE_ID: 'tpl-tt',
    NOTIFY_TT_FIELDS: '回复医生:doctor,回复时间:time',
    TT_APPID: 'tt-app',
    NOTIFY_WECHAT_TEMPLATE_ID: 'tpl-wx',
    WECHAT_APPID: 'wx-app',
  });
  expect(notify?.tt?.fields).toEqual([
    ['回复医生', 'doctor'],
    ['回复时间', 'time'],
  ]);
  expect(notify?.weapp?.fields[0]).toEqual(['thing1', 'title']);
  expect(() => notifyFromEnv({ NOTIFY_TT_TEMPLATE_ID: 'x', TT_APPID: 'a', NOTIFY_TT_FIELDS: '回复医生:diagnosis' })).toThrow('NOTIFY_TT_FIELDS');
  expect(() => notifyFromEnv({ NOTIFY_TT_TEMPLATE_ID: 'x', TT_APPID: 'a', NOTIFY_TT_FIELDS: 'a b:doctor' })).toThrow('NOTIFY_TT_FIELDS');
});
