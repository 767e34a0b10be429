import { buildCardDraft } from '../../src/chat/cardDraft';

test('lab request items split on Chinese and Latin separators; follow-up days become a time', () => {
  expect(buildCardDraft('labRequest', { items: '血常规、C反应蛋白, 尿常规；肝功能', reason: '复查' }, 0)).toEqual({
    draft: { card: 'labRequest', items: ['血常规', 'C反应蛋白', '尿常规', '肝功能'], reason: '复查' },
  });
  expect(buildCardDraft('followUp', { days: '7', note: '复诊' }, 1000)).toEqual({
    draft: { card: 'followUp', at: 1000 + 7 * 86_400_000, note: '复诊' },
  });
  expect(buildCardDraft('followUp', { days: 'abc', note: '复诊' }, 0)).toEqual({ error: '天数应为 1–365 的整数' });
  expect(buildCardDraft('summary', { complaint: 'a', diagnosis: 'b' }, 0)).toEqual({ error: '请填写建议' });
});
