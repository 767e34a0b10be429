/**
 * The encounter's cards in the list (issue 17): a prescription shows its review state from the chat page's
 * context, with the reason of a rejection, 修改处方 for the doctor and 续方 for the patient; the intake card
 * puts known allergies apart. In the list, a new message does not render the cards again.
 */
import { act, fireEvent as untypedFireEvent, render } from '@tarojs/test-utils-react/dist/pure';
import { useMemo, useState } from 'react';
import type { IntakeCard } from '../../types/encounter';
import type { Message } from '../../types/message';
import type { RxCard } from '../../types/prescription';
import { CardBody } from '../../src/components/bubbles';
import type * as RxBodyModule from '../../src/components/bubbles/RxBody';
import { EncounterCardsContext, type EncounterCards } from '../../src/components/encounter/context';
import { useEncounterCards } from '../../src/components/encounter/useEncounterCards';
import { MessageList } from '../../src/components/MessageList';
import { buildTimeline, TimelineCache } from '../../src/render/timeline';
import { baseMessage as base } from './message-fixture';
import { hydrated } from './hydrated';

// The real prescription card, counted: a test below checks when the cards in the list render again.
let mockRxRenders = 0;
jest.mock('../../src/components/bubbles/RxBody', () => {
  const real = jest.requireActual('../../src/components/bubbles/RxBody') as typeof RxBodyModule;
  return {
    ...real,
    RxBody: (props: Parameters<typeof real.RxBody>[0]) => {
      mockRxRenders++;
      return real.RxBody(props);
    },
  };
});

const fireEvent = untypedFireEvent as unknown as { click(el: Element): void };
const flush = () => act(() => new Promise((r) => setTimeout(r, 0)));

const rx: RxCard = {
  card: 'rx',
  rx: {
    id: 'rx-1',
    consultationId: 'c1',
    patient: 'p',
    doctor: 'd',
    doctorName: '张医生',
    issuedAt: Date.UTC(2026, 11, 1, 2, 0),
    diagnosis: '原发性高血压',
    drugs: [{ name: '氨氯地平片', category: '处方药', specification: '5mg×28片/盒', dosage: '每次 5mg', usage: '口服，每日 1 次', quantity: 1, unit: '盒' }],
  },
  signature: { alg: 'ed25519', keyId: 'k', value: 'v' },
};

async function renderCard(attach: unknown, cards: Partial<EncounterCards>) {
  const value: EncounterCards = { rxStates: new Map(), corrected: new Set(), ...cards };
  const view = render(
    <EncounterCardsContext.Provider value={value}>
      <CardBody attach={attach} />
    </EncounterCardsContext.Provider>,
    {},
  );
  await flush();
  return view.container;
}

test('a rejected prescription shows 未通过 with the reason, and 修改处方 to its doctor until corrected', async () => {
  const onCorrect = jest.fn();
  const rejected = new Map([['rx-1', { state: 'rejected' as const, reason: '剂量不当' }]]);
  const doctorView = await renderCard(rx, { role: 'doctor', rxStates: rejected, onCorrect });
  expect(doctorView.querySelector('.rx-state')?.textContent).toBe('未通过');
  expect(doctorView.querySelector('.rx-reason')?.textContent).toBe('未通过原因：剂量不当');
  await act(async () => fireEvent.click(doctorView.querySelector('.rx-correct') as Element));
  expect(onCorrect).toHaveBeenCalledWith('rx-1');
  expect(doctorView.querySelector('.rx-renew')).toBeNull();

  const corrected = await renderCard(rx, { role: 'doctor', rxStates: rejected, corrected: new Set(['rx-1']), onCorrect });
  expect(corrected.querySelector('.rx-correct')).toBeNull();
});

test('the patient sees 待审核 without actions, and 续方 once it is 已通过', async () => {
  const onRenew = jest.fn();
  const pending = await renderCard(rx, { role: 'patient', onRenew });
  expect(pending.querySelector('.rx-state')?.textContent).toBe('待审核');
  expect(pending.querySelector('.rx-renew')).toBeNull();

  const approved = await renderCard(rx, { role: 'patient', rxStates: new Map([['rx-1', { state: 'approved' as const }]]), onRenew });
  expect(approved.querySelector('.rx-state')?.textContent).toBe('已通过');
  await act(async () => fireEvent.click(approved.querySelector('.rx-renew') as Element));
  expect(onRenew).toHaveBeenCalledWith('rx-1');
});

test('the intake card lists the form and marks known allergies', async () => {
  const intake: IntakeCard = {
    card: 'intake',
    complaint: '头晕',
    duration: '2周',
    symptoms: ['头晕'],
    allergies: ['青霉素', '头孢'],
    medications: ['氨氯地平'],
    diagnosis: '原发性高血压',
    attachments: [],
    source: 'patient',
    filledAt: Date.UTC(2026, 11, 1, 2, 0),
  };
  const view = await renderCard(intake, {});
  expect(view.querySelector('.msg-card-title')?.textContent).toBe('问诊单');
  expect(view.querySelector('.intake-allergies')?.textContent).toBe('青霉素、头孢');
  const none = await renderCard({ ...intake, allergies: [] }, {});
  expect(none.querySelector('.intake-allergies')).toBeNull();
  expect(none.textContent).toContain('无已知过敏');
});

/** The chat page's list with its cards' context, as src/consult/chat/index.tsx puts them together. */
const onResend = jest.fn();
function ChatList({ msgs }: { msgs: Message[] }) {
  const cards = useEncounterCards(msgs, 'patient', 'team-c1');
  const [cache] = useState(() => new TimelineCache());
  const items = useMemo(() => buildTimeline(msgs, 'patient-li', base.time, {}, 0, cache), [msgs, cache]);
  return (
    <EncounterCardsContext.Provider value={cards}>
      <MessageList items={items} onResend={onResend} />
    </EncounterCardsContext.Provider>
  );
}


test('a new message does not render the prescription cards in the list again; their review does', async () => {
  const card: Message = { ...base, idClient: 'rx', seq: 1, type: 'custom', attach: { ...rx } };
  const text = (seq: number): Message => ({ ...base, idClient: `t${seq}`, seq, time: base.time + seq * 1000, body: `第${seq}条` });
  let msgs = [card, text(2)];
  const { container, rerender } = render(<ChatList msgs={msgs} />, {});
  expect((await hydrated(container, '#m-rx .rx-state')).textContent).toBe('待审核');

  mockRxRenders = 0;
  msgs = [...msgs, text(3)];
  rerender(<ChatList msgs={msgs} />);
  await hydrated(container, '#m-t3');
  expect(mockRxRenders).toBe(0);

  const approved: Message = {
    ...base,
    idClient: 'n4',
    seq: 4,
    time: base.time + 4000,
    type: 'notification',
    body: '处方已通过审核',
    attach: { prescription: { id: 'rx-1', state: 'approved', by: 'pharmacist-wang' } },
  };
  rerender(<ChatList msgs={[...msgs, approved]} />);
  await hydrated(container, '#m-n4');
  expect(mockRxRenders).toBeGreaterThan(0);
  expect(container.querySelector('#m-rx .rx-state')?.textContent).toBe('已通过');
});
