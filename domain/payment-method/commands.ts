import type { SavedCard, SavedCarrier } from './values.js';

/**
 * Commands of a user's wallet. They arrive with personal data and the card token already sealed
 * and hashed by the application (the domain has no vault), so a decider never sees either in clear.
 */

/** Saves a card. `makeDefault` also makes it the default (it becomes the default anyway when there is none). */
export interface SaveCard {
  readonly type: 'SaveCard';
  readonly sub: string;
  readonly methodId: string;
  readonly card: SavedCard;
  readonly makeDefault?: boolean;
}

/**
 * Saves one of the user's verified phones for carrier billing. That the phone is verified on the
 * account is the application's check (it reads the User aggregate); the wallet keeps it unique.
 */
export interface SaveCarrier {
  readonly type: 'SaveCarrier';
  readonly sub: string;
  readonly methodId: string;
  readonly carrier: SavedCarrier;
  readonly makeDefault?: boolean;
}

export interface SetDefaultPaymentMethod {
  readonly type: 'SetDefaultPaymentMethod';
  readonly methodId: string;
}

export interface RemovePaymentMethod {
  readonly type: 'RemovePaymentMethod';
  readonly methodId: string;
}

export type PaymentMethodCommand = SaveCard | SaveCarrier | SetDefaultPaymentMethod | RemovePaymentMethod;
