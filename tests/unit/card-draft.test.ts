import { buildCardDraft, emptyDrug } from '../../src/chat/cardDraft';

const drug = (over: Partial<ReturnType<typeof emptyDrug>>) => ({ ...emptyDrug(), ...over });

test('prescription: trimmed fields, blank drug rows ignored, optional spec/days/note', () => {
  expect(
    buildCardDraft(
      'prescription',
      { diagnosis: ' 过敏性皮炎 ', note: '' },
      [drug({ name: '氯雷他定片', spec: '10mg', dosage: '每次 10mg', frequency: '每日 1 次', days: '5' }), emptyDrug()],
      0,
    ),
  ).toEqual({
    draft: {
      card: 'prescription',
      diagnosis: '过敏性皮炎',
      drugs: [{ name: '氯雷他定片', spec: '10mg', dosage: '每次 10mg', frequency: '每日 1 次', days: 5 }],
    },
  });
});

test('prescription problems are named', () => {
  expect(buildCardDraft('prescription', {}, [], 0)).toEqual({ error: '请填写诊断' });
  expect(buildCardDraft('prescription', { diagnosis: 'x' }, [emptyDrug()], 0)).toEqual({ error: '请至少添加一种药品' });
  expect(buildCardDraft('prescription', { diagnosis: 'x' }, [drug({ name: 'a' })], 0)).toEqual({ error: '每种药品都需要填写名称、用量和频次' });
  expect(buildCardDraft('prescription', { diagnosis: 'x' }, [drug({ name: 'a', dosage: 'b', frequency: 'c', days: '0.5' })], 0)).toEqual({
    error: '天数应为 1–365 的整数',
  });
});

test('lab request items split on Chinese and Latin separators; follow-up days become a time', () => {
  expect(buildCardDraft('labRequest', { items: '血常规、C反应蛋白, 尿常规；肝功能', reason: '复查' }, [], 0)).toEqual({
    draft: { card: 'labRequest', items: ['血常规', 'C反应蛋白', '尿常规', '肝功能'], reason: '复查' },
  });
  expect(buildCardDraft('followUp', { days: '7', note: '复诊' }, [], 1000)).toEqual({
    draft: { card: 'followUp', at: 1000 + 7 * 86_400_000, note: '复诊' },
  });
  expect(buildCardDraft('followUp', { days: 'abc', note: '复诊' }, [], 0)).toEqual({ error: '天数应为 1–365 的整数' });
  expect(buildCardDraft('summary', { complaint: 'a', diagnosis: 'b' }, [], 0)).toEqual({ error: '请填写建议' });
});
