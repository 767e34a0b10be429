/** A consultation between the demo doctor and patient holding `total` text messages, "第1条" … . */
import { CONSENTED } from './consultation';
import { DEMO } from '../../server/demo';
import type { Storage } from '../../server/storage/types';
import { teamConvId } from '../../server/storage/types';

export async function seedLongChat(storage: Storage, id: string, total: number): Promise<string> {
  await storage.createConsultation({ id, patient: DEMO.patient.account, doctor: DEMO.doctor.account, teamName: '长期随访', ...CONSENTED });
  for (let i = 1; i <= total; i++) {
    const from = i % 2 ? DEMO.patient : DEMO.doctor;
    await storage.appendMessage({
      conv: { id: teamConvId(id), scene: 'team', teamId: id },
      idClient: `seed-${id}-${i}`,
      from: from.account,
      fromNick: from.name,
      scene: 'team',
      to: id,
      type: 'text',
      body: `第${i}条`,
      members: [],
    });
  }
  return `team-${id}`;
}
