import type { Account } from '../types/message';
import type { Storage } from './storage/types';
import { teamConvId } from './storage/types';

export const DEMO = {
  doctor: { account: 'doctor-zhang', name: '张医生', role: 'doctor' } satisfies Account,
  patient: { account: 'patient-li', name: '李女士', role: 'patient' } satisfies Account,
  consultationId: 'demo-consultation',
};

/** A doctor, a patient and one open consultation between them; safe to run on every start. */
export async function seedDemo(storage: Storage): Promise<void> {
  await storage.upsertAccount(DEMO.doctor);
  await storage.upsertAccount(DEMO.patient);
  if (!(await storage.isConversationMember(teamConvId(DEMO.consultationId), DEMO.patient.account))) {
    await storage.createConsultation({
      id: DEMO.consultationId,
      patient: DEMO.patient.account,
      doctor: DEMO.doctor.account,
      teamName: '图文问诊',
      // The demo stands for a hospital that took the patient's consent at its counter.
      consent: { version: 'demo', acceptedAt: Date.now(), by: 'hospital' },
    });
  }
}
