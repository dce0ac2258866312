import type { RecordedEvent } from '../domain/kernel/event.js';
import type { PaymentMethodEvent } from '../domain/payment-method/events.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * One saved payment method (collection `payment_methods`, id = methodId), for the account page, the
 * payment page and the API. It holds only what a person recognises a method by: brand, last four and
 * expiry of a card, the masked phone of a carrier method. Neither the sealed token nor the sealed
 * phone is copied here: what to charge is read from the wallet's own stream at charge time, so a
 * removal takes effect at once and no read model ever holds a credential. Whether a card has expired
 * is derived by the query side at the instant of the query, not stored. A removed method's document
 * is deleted.
 */
export type PaymentMethodDoc = {
  readonly id: string;
  readonly sub: string;
  readonly methodId: string;
  readonly kind: 'card' | 'carrier';
  /** Cards only (null for carrier methods). */
  readonly brand: string | null;
  readonly last4: string | null;
  readonly expMonth: number | null;
  readonly expYear: number | null;
  /** Carrier methods only, e.g. `+47 ••••••67`. */
  readonly maskedPhone: string | null;
  readonly isDefault: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
};

export const PAYMENT_METHODS_PROJECTION = 'payment_methods';
export const PAYMENT_METHODS_COLLECTION = 'payment_methods';

async function setDefault(tx: ProjectionTx, methodId: string, isDefault: boolean, at: string) {
  const doc = await tx.get<PaymentMethodDoc>(PAYMENT_METHODS_COLLECTION, methodId);
  if (doc && doc.isDefault !== isDefault)
    tx.upsert(PAYMENT_METHODS_COLLECTION, { ...doc, isDefault, updatedAt: at });
}

async function applyPaymentMethodEvent(
  event: RecordedEvent<PaymentMethodEvent>,
  tx: ProjectionTx,
): Promise<void> {
  const at = event.occurredAt;
  switch (event.type) {
    case 'PaymentMethodSaved': {
      const d = event.data as Extract<PaymentMethodEvent, { type: 'PaymentMethodSaved' }>['data'];
      const card = d.kind === 'card' ? d.card : null;
      const doc: PaymentMethodDoc = {
        id: d.methodId,
        sub: d.sub,
        methodId: d.methodId,
        kind: d.kind,
        brand: card?.brand ?? null,
        last4: card?.last4 ?? null,
        expMonth: card?.expMonth ?? null,
        expYear: card?.expYear ?? null,
        maskedPhone: d.kind === 'carrier' ? d.carrier.masked : null,
        isDefault: false,
        createdAt: at,
        updatedAt: at,
      };
      tx.upsert(PAYMENT_METHODS_COLLECTION, doc);
      return;
    }
    case 'DefaultPaymentMethodSet': {
      const d = event.data as Extract<PaymentMethodEvent, { type: 'DefaultPaymentMethodSet' }>['data'];
      if (d.previousMethodId !== null) await setDefault(tx, d.previousMethodId, false, at);
      await setDefault(tx, d.methodId, true, at);
      return;
    }
    case 'PaymentMethodRemoved':
      tx.delete(PAYMENT_METHODS_COLLECTION, (event.data as { methodId: string }).methodId);
      return;
  }
}

/** Saved payment methods per user, oldest first (index on `sub`, then `createdAt`). */
export const paymentMethodsProjection = defineProjection<PaymentMethodEvent>({
  name: PAYMENT_METHODS_PROJECTION,
  version: 1,
  handles: ['PaymentMethodSaved', 'DefaultPaymentMethodSet', 'PaymentMethodRemoved'],
  collections: {
    [PAYMENT_METHODS_COLLECTION]: {
      indexes: [{ fields: ['sub', 'createdAt'] }, { fields: ['sub', 'isDefault'] }],
    },
  },
  apply: applyPaymentMethodEvent,
});
