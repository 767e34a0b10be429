/**
 * The intake page's fields as typed, to the form the server takes: lists are typed separated by
 * commas or 、, and what is missing is said before anything is sent. Pure.
 */
import type { IntakeForm } from '../../types/encounter';
import { INTAKE_LIMITS } from '../../types/encounter';

export interface IntakeFields {
  complaint: string;
  duration: string;
  symptoms: string[];
  allergies: string;
  noAllergies: boolean;
  medications: string;
  diagnosis: string;
  diagnosedAt: string;
}

export const EMPTY_INTAKE: IntakeFields = {
  complaint: '',
  duration: '',
  symptoms: [],
  allergies: '',
  noAllergies: false,
  medications: '',
  diagnosis: '',
  diagnosedAt: '',
};

export const splitList = (text: string): string[] =>
  text
    .split(/[,，、;；\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

/** The form, or what the person has to fix first. */
export function intakeForm(f: IntakeFields): IntakeForm | string {
  const complaint = f.complaint.trim();
  const diagnosis = f.diagnosis.trim();
  const allergies = f.noAllergies ? [] : splitList(f.allergies);
  if (!complaint) return '请填写主诉（哪里不舒服）';
  if (!f.duration.trim()) return '请填写症状持续时间';
  if (!diagnosis) return '在线问诊为复诊，请填写此前线下就诊的诊断';
  if (!f.noAllergies && !allergies.length) return '请填写过敏史，或选择“无已知过敏”';
  if ([...complaint].length > INTAKE_LIMITS.text) return `主诉最多 ${INTAKE_LIMITS.text} 字`;
  const medications = splitList(f.medications);
  if (allergies.length > INTAKE_LIMITS.items || medications.length > INTAKE_LIMITS.items) return `每项最多 ${INTAKE_LIMITS.items} 条`;
  return {
    complaint,
    duration: f.duration.trim(),
    symptoms: f.symptoms,
    allergies,
    medications,
    diagnosis,
    ...(f.diagnosedAt.trim() ? { diagnosedAt: f.diagnosedAt.trim() } : {}),
    attachments: [],
  };
}
