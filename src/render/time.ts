/** Chinese time labels for headers and the sessions list. Pure: `now` is passed in. */

const pad = (n: number) => String(n).padStart(2, '0');
const WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
const DAY_MS = 24 * 3600 * 1000;

/** Midnight of `t`'s day on the device's clock: the labels below are relative to it. */
export function startOfDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const hm = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** The day part of a label: '' today, 昨天, a weekday within the week, else the date. */
function dayLabel(time: number, now: number): string {
  const d = new Date(time);
  const days = Math.round((startOfDay(now) - startOfDay(time)) / DAY_MS);
  if (days <= 0) return '';
  if (days === 1) return '昨天';
  if (days < 7) return WEEKDAYS[d.getDay()];
  if (d.getFullYear() === new Date(now).getFullYear()) return `${d.getMonth() + 1}月${d.getDate()}日`;
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
}

/** Header inside a chat: always with the clock time. */
export function timeHeaderLabel(time: number, now: number): string {
  const day = dayLabel(time, now);
  return day ? `${day} ${hm(new Date(time))}` : hm(new Date(time));
}

/** Sessions list: clock time today, otherwise only the day. */
export function sessionTimeLabel(time: number, now: number): string {
  return dayLabel(time, now) || hm(new Date(time));
}

/** An absolute date and time on cards (a prescription's issue time, a follow-up date). */
export function dateTimeLabel(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${hm(d)}`;
}

/**
 * The doctor's presence as the patient's chat header says it. "Just now" is within a minute: a
 * reconnecting phone drops off for a few seconds and is not "away".
 */
export function presenceText(p: { online: boolean; lastSeen?: number }, now: number): string {
  if (p.online) return '医生在线';
  if (p.lastSeen === undefined) return '医生离线';
  return now - p.lastSeen < 60_000 ? '最近在线 刚刚' : `最近在线 ${timeHeaderLabel(p.lastSeen, now)}`;
}
