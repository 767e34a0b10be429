/**
 * The sensitive-word filter sees through the usual ways of writing a listed word so that it is stored
 * as typed (invisible characters, spacing, punctuation, full-width letters, case), masks exactly the
 * original characters of the word, and leaves ordinary medical text alone.
 */
import { DEFAULT_WORDS, Moderator } from '../../server/moderation';

const masker = new Moderator(['加微信', 'wechat', '代开发票', 'sex'], 'mask');
const blocker = new Moderator(['加微信', 'wechat', '代开发票', 'sex'], 'block');

// Each spelling of 加微信 or wechat someone could send, with the mask that must replace it.
const EVASIONS: Array<[string, string]> = [
  ['zero-width space', '加\u200B微信'],
  ['soft hyphen', '加\u00AD微\u00AD信'],
  ['word joiner', '加微\u2060信'],
  ['right-to-left override', '加\u202E微信'],
  ['BOM and Hangul filler', '加\uFEFF微\u3164信'],
  ['spaces', '加 微  信'],
  ['ideographic space and tab', '加\u3000微\t信'],
  ['punctuation and symbols', '加*微~信'],
  ['one character per sentence', '加。微。信'],
  ['full-width Latin', 'ｗｅｃｈａｔ'],
  ['mixed case', 'WeChat'],
  ['letters spelt out', 'w e.c-h a t'],
  ['combining marks', 'we\u0301cha\u0308t'],
  ['several at once', 'Ｗ\u200B e Ｃ\u00AD h ａ T'],
];

describe('evasions are caught', () => {
  it.each(EVASIONS)('%s', (_how, word) => {
    const text = `请${word}聊`;
    const verdict = masker.check(text);
    expect(verdict).toEqual({ action: 'mask', text: `请${'＊'.repeat(graphemes(word))}聊`, words: [expect.any(String)] });
    expect(blocker.check(text)).toEqual({ action: 'block', words: [expect.any(String)] });
  });
});

describe('masking', () => {
  it('keeps everything outside the word exactly as it was, invisible characters included', () => {
    const before = '\u200B您好, 可以\u00AD';
    const after = '\u2060吗？ 谢谢 ';
    const verdict = masker.check(`${before}加 \u200B微信${after}`);
    expect(verdict).toEqual({ action: 'mask', text: `${before}＊＊＊＊＊${after}`, words: ['加微信'] });
  });

  it('masks every listed word, repeated or not, and reports each listed word once', () => {
    expect(masker.check('加微信，代开发票，加 微 信')).toEqual({
      action: 'mask',
      text: '＊＊＊，＊＊＊＊，＊＊＊＊＊',
      words: ['加微信', '代开发票'],
    });
  });

  it('masks the union of overlapping words', () => {
    expect(new Moderator(['加微信', '微信号'], 'mask').check('请加 微 信号码')).toEqual({
      action: 'mask',
      text: '请＊＊＊＊＊＊码',
      words: ['加微信', '微信号'],
    });
  });

  it('reports words as listed, not as the sender wrote them', () => {
    expect(new Moderator([' WeChat '], 'block').check('ｗｅｃｈａｔ')).toEqual({ action: 'block', words: ['WeChat'] });
  });

  it('normalises listed words as it normalises text', () => {
    const m = new Moderator(['ＢＡＤ　Ｗｏｒｄ', '加\u200B微 信'], 'mask');
    expect(m.check('a bad,  word here')).toEqual({ action: 'mask', text: 'a ＊＊＊＊＊＊＊＊＊＊ here', words: ['ＢＡＤ　Ｗｏｒｄ'] });
    expect(m.check('加微信')).toEqual({ action: 'mask', text: '＊＊＊', words: ['加\u200B微 信'] });
  });
});

describe('no false positives', () => {
  it.each([
    '您好，最近咳嗽三天，夜里加重，伴有低热 37.8℃，请问需要做血常规吗？',
    '阿莫西林胶囊 0.25g×24粒，每次 0.5g，每日 3 次，饭后服用。',
    '材料在哪里办？证件要带吗？',
    '请到一楼办。证明下午再取。',
  ])('passes medical text: %s', (text) => {
    expect(new Moderator(DEFAULT_WORDS, 'block').check(text)).toEqual({ action: 'pass' });
  });

  it('does not join Latin words across spaces', () => {
    expect(masker.check('Please bring his exam results; we chat tomorrow.')).toEqual({ action: 'pass' });
  });

  it('passes everything with an empty list', () => {
    expect(new Moderator([' ', ''], 'block').check('加微信')).toEqual({ action: 'pass' });
  });
});

describe('the default list', () => {
  it('masks its words, however they are written', () => {
    const m = new Moderator(DEFAULT_WORDS, 'mask');
    expect(m.check('可以帮我代开发票吗？加微信ABC')).toEqual({
      action: 'mask',
      text: '可以帮我＊＊＊＊吗？＊＊＊ABC',
      words: ['代开发票', '加微信'],
    });
    expect(m.check('私\u200B下 转账')).toEqual({ action: 'mask', text: '＊＊＊＊＊＊', words: ['私下转账'] });
  });
});

describe('checkAll, for the fields of a card', () => {
  it('passes when no field has a listed word', () => {
    expect(masker.checkAll(['上呼吸道感染', '多喝水'])).toEqual({ action: 'pass' });
  });

  it('masks the fields that have one and returns the others unchanged, in order', () => {
    expect(masker.checkAll(['上呼吸道感染', '复诊请加 微 信', ''])).toEqual({
      action: 'mask',
      texts: ['上呼吸道感染', '复诊请＊＊＊＊＊', ''],
      words: ['加微信'],
    });
  });

  it('blocks in block mode when any field has one', () => {
    expect(blocker.checkAll(['血常规', 'W\u200Bechat'])).toEqual({ action: 'block', words: ['wechat'] });
  });
});

function graphemes(s: string): number {
  return [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].length;
}
