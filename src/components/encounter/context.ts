import { createContext } from 'react';
import type { Role } from '../../../types/message';
import type { PrescriptionState } from '../../../types/prescription';

/**
 * What the cards of one conversation need beyond their own attach: each prescription's review state
 * (from the notices that follow it) and the taps on a card. The chat page provides it, so the list
 * components in between stay as they are.
 */
export interface EncounterCards {
  role?: Role;
  rxStates: ReadonlyMap<string, { state: PrescriptionState; reason?: string }>;
  /** Prescriptions already answered by a corrected card. */
  corrected: ReadonlySet<string>;
  /** The patient asks to renew (续方) a valid prescription. */
  onRenew?: (prescriptionId: string) => void;
  /** The doctor answers a rejection with a corrected card. */
  onCorrect?: (prescriptionId: string) => void;
}

export const EncounterCardsContext = createContext<EncounterCards>({ rxStates: new Map(), corrected: new Set() });
