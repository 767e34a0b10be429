import type { Message } from '../../types/message';

/** A read text message from the doctor in consultation c1: the component tests' starting point. */
export const baseMessage: Message = {
  scene: 'team',
  sessionId: 'team-c1',
  from: 'doctor-zhang',
  fromNick: '张医生',
  to: 'c1',
  type: 'text',
  body: '',
  idClient: 'x',
  time: new Date(2026, 10, 21, 9, 0).getTime(),
  status: 'read',
};
