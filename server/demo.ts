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
  await storage.putDoctorProfile(DEMO.doctor.account, { title: '主治医师', department: '全科医学科', licence: 'DEMO-110000001' }, Date.now());
  if (!(await storage.isConversationMember(teamConvId(DEMO.consultationId), DEMO.patient.account))) {
    await storage.createConsultation({
      id: DEMO.consultationId,
      patient: DEMO.patient.account,
      doctor: DEMO.doctor.account,
      teamName: '图文问诊',
      // The demo stands for a hospital that confirmed the patient's identity (made-up data) and took
      // their consent at its counter.
      consent: { version: 'demo', acceptedAt: Date.now(), by: 'hospital' },
      identity: { name: '李秀英', idNumber: '110101198503071234', sex: 'female', birthDate: '1985-03-07', relation: 'self' },
    });
  }
}
