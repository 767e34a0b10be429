import { cardPreview, cardView } from '../../src/render/cards';
import { EMOJI, emojiText, parseEmoji } from '../../src/render/emoji';
import { fileBadge, formatClock, formatDuration, formatSize, imageBox, voiceWidth } from '../../src/render/media';
import { dateTimeLabel } from '../../src/render/time';
import { previewOf } from '../../src/render/timeline';
import type { Message } from '../../types/message';

describe('emoji', () => {
  test('known placeholders become emoji nodes, the rest stays text as typed', () => {
    expect(parseEmoji('您好[微笑]，头痛[流泪][未知]')).toEqual([
      { type: 'text', text: '您好' },
      { type: 'emoji', name: '微笑', char: '🙂' },
      { type: 'text', text: '，头痛' },
      { type: 'emoji', name: '流泪', char: '😢' },
      { type: 'text', text: '[未知]' },
    ]);
    expect(parseEmoji('[谢谢][谢谢]')).toEqual([
      { type: 'emoji', name: '谢谢', char: '🙏' },
      { type: 'emoji', name: '谢谢', char: '🙏' },
    ]);
    expect(parseEmoji('')).toEqual([]);
  });

  test('markup stays text: nodes are data, never HTML', () => {
    const evil = '<img src=x onerror=alert(1)>[微笑]<script>alert(2)</script>';
    const nodes = parseEmoji(evil);
    expect(nodes.filter((n) => n.type === 'text').map((n) => (n as { text: string }).text).join('')).toBe(
      '<img src=x onerror=alert(1)><script>alert(2)</script>',
    );
    expect(nodes.every((n) => Object.keys(n).every((k) => ['type', 'text', 'name', 'char'].includes(k)))).toBe(true);
  });

  test('emojiText for previews and copying; every panel entry parses', () => {
    expect(emojiText('好的[OK]')).toBe('好的👌');
    for (const [name, char] of EMOJI) expect(parseEmoji(`[${name}]`)).toEqual([{ type: 'emoji', name, char }]);
  });
});

describe('cards', () => {
  const issuedAt = new Date(2026, 10, 23, 9, 30).getTime();
  test('prescription: diagnosis, one line per drug, note and who issued it', () => {
    const v = cardView({
      card: 'prescription',
      diagnosis: '急性上呼吸道感染',
      drugs: [
        { name: '布洛芬缓释胶囊', spec: '0.3g×20粒', dosage: '每次 1 粒', frequency: '每日 2 次', days: 3 },
        { name: '连花清瘟胶囊', dosage: '每次 4 粒', frequency: '每日 3 次' },
      ],
      note: '多饮水',
      doctor: '张医生',
      issuedAt,
    });
    expect(v).toEqual({
      kind: 'prescription',
      title: '电子处方',
      rows: [
        { label: '诊断', value: '急性上呼吸道感染' },
        { label: 'Rp.', value: '布洛芬缓释胶囊（0.3g×20粒），每次 1 粒，每日 2 次，共 3 天' },
        { label: '', value: '连花清瘟胶囊，每次 4 粒，每日 3 次' },
        { label: '医嘱', value: '多饮水' },
      ],
      footer: '张医生 开具于 2026年11月23日 09:30',
    });
  });

  test('lab request, follow-up and summary', () => {
    expect(cardView({ card: 'labRequest', items: ['血常规', 'CRP'], reason: '排除细菌感染', doctor: '张医生', issuedAt }).rows).toEqual([
      { label: '项目', value: '血常规、CRP' },
      { label: '目的', value: '排除细菌感染' },
    ]);
    const followUp = cardView({ card: 'followUp', at: issuedAt + 7 * 86_400_000, note: '一周后复诊', doctor: '张医生', issuedAt });
    expect(followUp.title).toBe('复诊提醒');
    expect(followUp.rows[0]).toEqual({ label: '时间', value: '2026年11月30日 09:30' });
    expect(cardView({ card: 'summary', complaint: '头痛三天', diagnosis: '紧张性头痛', advice: '规律作息', doctor: '张医生', issuedAt }).rows.map((r) => r.label)).toEqual(['主诉', '诊断', '建议']);
  });

  test('unknown or malformed cards render the safe fallback, never throw', () => {
    for (const bad of [undefined, null, 'x', 42, {}, { card: 'coupon' }, { card: 'prescription', diagnosis: 'x', drugs: [] }, { card: 'prescription', diagnosis: 'x', drugs: [{ name: 1 }] }, { card: 'labRequest', items: [1], reason: 'x' }, { card: 'followUp', at: 'soon', note: 'x' }]) {
      expect(cardView(bad).kind).toBe('unknown');
      expect(cardView(bad).rows[0].value).toContain('暂不支持');
    }
    expect(cardPreview({ card: 'coupon' })).toBe('[卡片]');
    expect(cardPreview({ card: 'labRequest', items: ['血常规'], reason: 'x' })).toBe('[检查申请单]');
  });
});

describe('media helpers', () => {
  test('sizes, durations, countdown', () => {
    expect(formatSize(832)).toBe('832 B');
    expect(formatSize(12_700)).toBe('12.4 KB');
    expect(formatSize(3.1 * 1024 * 1024)).toBe('3.1 MB');
    expect(formatDuration(400)).toBe('1"');
    expect(formatDuration(59_400)).toBe('59"');
    expect(formatDuration(65_000)).toBe('1\'05"');
    expect(formatClock(7_000)).toBe('0:07');
    expect(formatClock(60_000)).toBe('1:00');
    expect(formatClock(-5)).toBe('0:00');
  });

  test('image boxes keep the aspect ratio within bounds, and exist before the image loads', () => {
    expect(imageBox(640, 480)).toEqual({ width: 360, height: 270 });
    expect(imageBox(100, 50)).toEqual({ width: 120, height: 120 });
    expect(imageBox(300, 200)).toEqual({ width: 300, height: 200 });
    expect(imageBox(1080, 8000)).toEqual({ width: 120, height: 360 });
    expect(imageBox(undefined, 10)).toEqual({ width: 360, height: 360 });
  });

  test('voice width grows with duration; file badges', () => {
    expect(voiceWidth(0)).toBe(160);
    expect(voiceWidth(30_000)).toBe(290);
    expect(voiceWidth(120_000)).toBe(420);
    expect(fileBadge('PDF')).toBe('PDF');
    expect(fileBadge('docx')).toBe('DOC');
    expect(fileBadge('txt')).toBe('TXT');
    expect(fileBadge('')).toBe('FILE');
  });

  test('dateTimeLabel', () => {
    expect(dateTimeLabel(new Date(2026, 0, 5, 8, 3).getTime())).toBe('2026年1月5日 08:03');
  });
});

describe('previews', () => {
  const msg = (over: Partial<Message>): Message => ({
    scene: 'team', sessionId: 'team-c1', from: 'a', to: 'c1', type: 'text', body: '', idClient: 'p-00000001', time: 1, status: 'sent', ...over,
  });
  test('per type', () => {
    expect(previewOf(msg({ body: '谢谢[谢谢]' }))).toBe('谢谢🙏');
    expect(previewOf(msg({ type: 'image' }))).toBe('[图片]');
    expect(previewOf(msg({ type: 'audio' }))).toBe('[语音]');
    expect(previewOf(msg({ type: 'custom', attach: { card: 'prescription', diagnosis: 'x', drugs: [{ name: 'a', dosage: 'b', frequency: 'c' }] } }))).toBe('[电子处方]');
  });
});
