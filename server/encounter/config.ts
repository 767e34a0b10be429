/**
 * What the hospital configures of the encounter (issue 17): its informed-consent text, versioned, from
 * a file it maintains (CONSENT_FILE, JSON `{"version": "...", "text": "..."}`: a new version is asked
 * of patients who agreed to an older one only in consultations opened after the change), and the
 * follow-up rule (追问) given to consultations the hospital API opens.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ConsentText, FollowUpRule } from '../../types/encounter';

export interface EncounterConfig {
  consent: ConsentText;
  /** Absent: no follow-up questions after closing. */
  followUp?: FollowUpRule;
}

/** For development and tests only: production must name the hospital's own text (server/config.ts). */
export const BUILTIN_CONSENT: ConsentText = {
  version: 'builtin-1',
  text:
    '互联网诊疗知情同意书（示例文本，医院须以 CONSENT_FILE 提供本院正式文本）\n' +
    '1. 互联网诊疗仅适用于部分常见病、慢性病的复诊，您须已在实体医疗机构明确诊断。\n' +
    '2. 医生无法面诊查体，诊疗意见基于您提供的信息，请如实填写；病情变化或急危重症请立即线下就医。\n' +
    '3. 6岁以下儿童须有监护人陪伴。\n' +
    '4. 问诊记录将按规定保存并可能用于病历书写与监管核查。',
};

export const DEFAULT_FOLLOW_UP: FollowUpRule = { messages: 3, days: 7 };

const consentFileSchema = z.object({ version: z.string().min(1).max(32), text: z.string().min(1).max(20_000) }).strict();

/** Each part read apart, so that every problem of the environment is reported at once (`ok`: server/config.ts). */
export function encounterFromEnv(env: NodeJS.ProcessEnv, ok: <T>(read: () => T, fallback: T) => T): EncounterConfig {
  const consent = env.CONSENT_FILE ? ok(() => consentFrom(env.CONSENT_FILE as string), BUILTIN_CONSENT) : BUILTIN_CONSENT;
  const messages = ok(() => count(env.FOLLOW_UP_MESSAGES, DEFAULT_FOLLOW_UP.messages, 'FOLLOW_UP_MESSAGES'), 0);
  const days = ok(() => count(env.FOLLOW_UP_DAYS, DEFAULT_FOLLOW_UP.days, 'FOLLOW_UP_DAYS'), 0);
  return { consent, ...(messages > 0 && days > 0 ? { followUp: { messages, days } } : {}) };
}

function consentFrom(file: string): ConsentText {
  if (!existsSync(file)) throw new Error(`CONSENT_FILE: no file at ${file} (JSON {"version", "text"})`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`CONSENT_FILE: ${file} is not JSON ({"version", "text"})`);
  }
  const parsed = consentFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`CONSENT_FILE: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Error(`${name} must be an integer from 0 to 1000 (0: no follow-ups), got "${value}"`);
  return n;
}
