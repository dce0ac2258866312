import { z } from 'zod';
import { defineEvent, type EventDefinition, type EventOf } from '../kernel/event.js';
import { PaymentMethodIdSchema, SavedCardSchema, SavedCarrierSchema } from './values.js';

/**
 * Events of a user's wallet of saved payment methods (stream `wallet-<sub>`, see decider.ts).
 *
 * Sealed parts: a card's provider token and a carrier method's phone number are sealed under the
 * user's own vault key. The phone is personal data; the token is not by itself, but it is a
 * credential (with Tessera's provider account it charges the person's card) and it points at one
 * person's card at the provider, so it is kept out of the log in clear and is shredded with the
 * user: after erasure a saved method can be listed (brand, last four, masked phone) but never
 * charged. Each event carries `sub` so read models need no stream-name parsing.
 */

const sub = z.uuid();
const methodId = PaymentMethodIdSchema;

/** A card was saved: the provider's sealed token and what identifies the card to its owner. */
const CardSaved = z.strictObject({ sub, methodId, kind: z.literal('card'), card: SavedCardSchema });
/** A verified phone number of the user was saved for carrier billing. */
const CarrierSaved = z.strictObject({
  sub,
  methodId,
  kind: z.literal('carrier'),
  carrier: SavedCarrierSchema,
});

export const PaymentMethodSaved = defineEvent(
  'PaymentMethodSaved',
  z.discriminatedUnion('kind', [CardSaved, CarrierSaved]),
);
export type PaymentMethodSaved = EventOf<typeof PaymentMethodSaved>;

/** The method one-click purchases and renewals charge when the user names none. */
export const DefaultPaymentMethodSet = defineEvent(
  'DefaultPaymentMethodSet',
  z.strictObject({ sub, methodId, previousMethodId: methodId.nullable() }),
);
export type DefaultPaymentMethodSet = EventOf<typeof DefaultPaymentMethodSet>;

/** The method was removed; when it was the default the wallet has no default afterwards. */
export const PaymentMethodRemoved = defineEvent(
  'PaymentMethodRemoved',
  z.strictObject({ sub, methodId, wasDefault: z.boolean() }),
);
export type PaymentMethodRemoved = EventOf<typeof PaymentMethodRemoved>;

export type PaymentMethodEvent = PaymentMethodSaved | DefaultPaymentMethodSet | PaymentMethodRemoved;

/** Every wallet event definition, for the application's EventRegistry. */
export const paymentMethodEvents: readonly EventDefinition[] = [
  PaymentMethodSaved,
  DefaultPaymentMethodSet,
  PaymentMethodRemoved,
];
