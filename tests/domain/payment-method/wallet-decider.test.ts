import { expect } from 'chai';
import type { SaveCard, SaveCarrier } from '../../../domain/payment-method/commands.js';
import { walletDecider } from '../../../domain/payment-method/decider.js';
import {
  DefaultPaymentMethodSet,
  paymentMethodEvents,
  PaymentMethodRemoved,
  PaymentMethodSaved,
} from '../../../domain/payment-method/events.js';
import {
  cardExpired,
  MAX_PAYMENT_METHODS,
  maskPhone,
  type SavedCard,
  walletStreamId,
} from '../../../domain/payment-method/values.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { deciderSpec } from '../../support/decider-spec.js';

const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const otherSub = '0190f3c2-7a1b-7c3d-8e4f-0000000000ff';
const id = (n: number) => `0190f3c2-7a1b-7c3d-8e4f-${n.toString(16).padStart(12, '0')}`;
/** A keyed hash: 43 base64url characters. */
const hash = (seed: string) => seed.padEnd(43, 'x').slice(0, 43);

const wallet = deciderSpec(walletDecider);

const card = (n: number, extra: Partial<SavedCard> = {}): SavedCard => ({
  token: `sealed.card${n}`,
  tokenHash: hash(`tok${n}`),
  brand: 'visa',
  last4: '4242',
  expMonth: 12,
  expYear: 2030,
  ...extra,
});
const carrier = (n: number) => ({
  phone: `sealed.phone${n}`,
  phoneHash: hash(`phone${n}`),
  masked: '+47 ••••••67',
});

const saveCard = (n: number, extra: Partial<Omit<SaveCard, 'type'>> = {}): SaveCard => ({
  type: 'SaveCard',
  sub,
  methodId: id(n),
  card: card(n),
  ...extra,
});
const saveCarrier = (n: number, extra: Partial<Omit<SaveCarrier, 'type'>> = {}): SaveCarrier => ({
  type: 'SaveCarrier',
  sub,
  methodId: id(n),
  carrier: carrier(n),
  ...extra,
});

const cardSaved = (n: number, extra: Partial<SavedCard> = {}) =>
  PaymentMethodSaved({ sub, methodId: id(n), kind: 'card', card: card(n, extra) });
const carrierSaved = (n: number) =>
  PaymentMethodSaved({ sub, methodId: id(n), kind: 'carrier', carrier: carrier(n) });
const defaultSet = (n: number, previous: number | null) =>
  DefaultPaymentMethodSet({
    sub,
    methodId: id(n),
    previousMethodId: previous === null ? null : id(previous),
  });

/** A wallet with card 1 (the default) and card 2. */
const twoCards = [cardSaved(1), defaultSet(1, null), cardSaved(2)];

describe('Wallet (saved payment methods) decider', () => {
  it('keeps one stream per user', () => {
    expect(walletStreamId(sub)).to.equal(`wallet-${sub}`);
  });

  describe('SaveCard', () => {
    it('makes the first method saved the default', () => {
      wallet
        .given([])
        .when(saveCard(1))
        .then([cardSaved(1), defaultSet(1, null)]);
    });

    it('does not move the default when another card is saved', () => {
      wallet
        .given([cardSaved(1), defaultSet(1, null)])
        .when(saveCard(2))
        .then([cardSaved(2)]);
    });

    it('moves the default when asked to', () => {
      wallet
        .given([cardSaved(1), defaultSet(1, null)])
        .when(saveCard(2, { makeDefault: true }))
        .then([cardSaved(2), defaultSet(2, 1)]);
    });

    it('records a repeated save of the same method (same id and token) once', () => {
      wallet
        .given([cardSaved(1), defaultSet(1, null)])
        .when(saveCard(1, { card: card(1, { token: 'sealed.resealed' }) }))
        .then([]);
    });

    it('refuses the same card token saved again under another id', () => {
      wallet
        .given(twoCards)
        .when(saveCard(3, { card: { ...card(3), tokenHash: hash('tok1') } }))
        .thenThrows('payment_method_exists', 'conflict');
    });

    it('refuses the same card (same provider fingerprint) saved again with a new token', () => {
      const fp = hash('fingerprint');
      wallet
        .given([cardSaved(1, { fingerprintHash: fp }), defaultSet(1, null)])
        .when(saveCard(2, { card: card(2, { fingerprintHash: fp }) }))
        .thenThrows('payment_method_exists', 'conflict');
    });

    it('accepts a card saved again after it was removed', () => {
      wallet
        .given([...twoCards, PaymentMethodRemoved({ sub, methodId: id(2), wasDefault: false })])
        .when(saveCard(3, { card: { ...card(3), tokenHash: hash('tok2') } }))
        .then([cardSaved(3, { tokenHash: hash('tok2') })]);
    });

    it('never reuses a method id, not even of a removed method', () => {
      wallet
        .given(twoCards)
        .when(saveCard(2, { card: card(7) }))
        .thenThrows('payment_method_id_taken', 'conflict');
      wallet
        .given([...twoCards, PaymentMethodRemoved({ sub, methodId: id(2), wasDefault: false })])
        .when(saveCard(2, { card: card(7) }))
        .thenThrows('payment_method_id_taken', 'conflict');
    });

    it(`holds at most ${MAX_PAYMENT_METHODS} methods`, () => {
      const full = Array.from({ length: MAX_PAYMENT_METHODS }, (_, i) => cardSaved(i + 1));
      wallet
        .given(full)
        .when(saveCard(MAX_PAYMENT_METHODS + 1))
        .thenThrows('wallet_full', 'conflict');
      wallet
        .given([...full, PaymentMethodRemoved({ sub, methodId: id(1), wasDefault: false })])
        .when(saveCard(MAX_PAYMENT_METHODS + 1))
        .then([cardSaved(MAX_PAYMENT_METHODS + 1), defaultSet(MAX_PAYMENT_METHODS + 1, null)]);
    });

    it('refuses a card that has expired (valid through the last day of its month, UTC)', () => {
      const endOf2025 = deciderSpec(walletDecider, { now: new Date('2025-12-31T23:59:59.999Z') });
      const dec2025 = saveCard(1, { card: card(1, { expMonth: 12, expYear: 2025 }) });
      endOf2025
        .given([])
        .when(dec2025)
        .then([cardSaved(1, { expYear: 2025 }), defaultSet(1, null)]);
      wallet.given([]).when(dec2025).thenThrows('card_expired', 'invalid');
    });

    it('refuses anything shaped like a card number, in any field', () => {
      const cases: Array<[Partial<SavedCard>, string]> = [
        [{ brand: '4242424242424242' }, 'card.brand'],
        [{ brand: '4242 4242 4242 4242' }, 'card.brand'],
        [{ token: 'sealed.4000002760003184' }, 'card.token'],
        [{ tokenHash: '4242424242424242xxxxxxxxxxxxxxxxxxxxxxxxxxx' }, 'card.tokenHash'],
        [{ last4: '424242' }, 'card.last4'],
      ];
      for (const [change, field] of cases) {
        const err = wallet
          .given([])
          .when(saveCard(1, { card: card(1, change) }))
          .thenThrows('invalid_card', 'invalid');
        expect(err.field).to.equal(field);
      }
    });

    it('refuses fields the schema does not know (no room for a smuggled card number)', () => {
      const smuggled = { ...card(1), pan: '4242424242424242' } as SavedCard;
      wallet
        .given([])
        .when(saveCard(1, { card: smuggled }))
        .thenThrows('invalid_card', 'invalid');
    });

    it("refuses another user's save into this wallet", () => {
      wallet
        .given(twoCards)
        .when(saveCard(3, { sub: otherSub }))
        .thenThrows('wallet_owner_mismatch', 'conflict');
    });
  });

  describe('SaveCarrier', () => {
    it('saves a phone for carrier billing, once per phone', () => {
      wallet
        .given(twoCards)
        .when(saveCarrier(5))
        .then([carrierSaved(5)]);
      wallet
        .given([...twoCards, carrierSaved(5)])
        .when(saveCarrier(6, { carrier: carrier(5) }))
        .thenThrows('payment_method_exists', 'conflict');
    });

    it('refuses a phone that is not sealed and masked', () => {
      const clear = { ...carrier(5), masked: '+4741234567' };
      wallet
        .given([])
        .when(saveCarrier(5, { carrier: clear }))
        .thenThrows('invalid_carrier', 'invalid');
      const unsealed = { ...carrier(5), phone: '+4741234567' };
      wallet
        .given([])
        .when(saveCarrier(5, { carrier: unsealed }))
        .thenThrows('invalid_carrier', 'invalid');
    });
  });

  describe('SetDefaultPaymentMethod', () => {
    it('moves the default and names the previous one', () => {
      wallet
        .given(twoCards)
        .when({ type: 'SetDefaultPaymentMethod', methodId: id(2) })
        .then([defaultSet(2, 1)]);
    });

    it('records nothing when the method already is the default', () => {
      wallet
        .given(twoCards)
        .when({ type: 'SetDefaultPaymentMethod', methodId: id(1) })
        .then([]);
    });

    it('refuses an unknown or removed method', () => {
      wallet
        .given(twoCards)
        .when({ type: 'SetDefaultPaymentMethod', methodId: id(9) })
        .thenThrows('payment_method_not_found', 'not_found');
      wallet
        .given([...twoCards, PaymentMethodRemoved({ sub, methodId: id(2), wasDefault: false })])
        .when({ type: 'SetDefaultPaymentMethod', methodId: id(2) })
        .thenThrows('payment_method_not_found', 'not_found');
    });

    it('refuses to make an expired card the default', () => {
      const later = deciderSpec(walletDecider, { now: new Date('2031-01-01T00:00:00.000Z') });
      later
        .given(twoCards)
        .when({ type: 'SetDefaultPaymentMethod', methodId: id(2) })
        .thenThrows('card_expired', 'invalid');
    });

    it('makes a carrier method the default whatever the date', () => {
      const later = deciderSpec(walletDecider, { now: new Date('2040-01-01T00:00:00.000Z') });
      later
        .given([...twoCards, carrierSaved(5)])
        .when({ type: 'SetDefaultPaymentMethod', methodId: id(5) })
        .then([defaultSet(5, 1)]);
    });
  });

  describe('RemovePaymentMethod', () => {
    it('removes a method that is not the default', () => {
      wallet
        .given(twoCards)
        .when({ type: 'RemovePaymentMethod', methodId: id(2) })
        .then([PaymentMethodRemoved({ sub, methodId: id(2), wasDefault: false })]);
    });

    it('leaves the wallet without a default when the default is removed (never picks one silently)', () => {
      const state = wallet
        .given(twoCards)
        .when({ type: 'RemovePaymentMethod', methodId: id(1) })
        .thenState();
      expect(state.defaultId).to.equal(null);
      expect(state.methods.map((m) => m.methodId)).to.deep.equal([id(2)]);
      wallet
        .given(twoCards)
        .when({ type: 'RemovePaymentMethod', methodId: id(1) })
        .then([PaymentMethodRemoved({ sub, methodId: id(1), wasDefault: true })]);
    });

    it('a save after the default was removed becomes the default', () => {
      wallet
        .given([...twoCards, PaymentMethodRemoved({ sub, methodId: id(1), wasDefault: true })])
        .when(saveCard(3))
        .then([cardSaved(3), defaultSet(3, null)]);
    });

    it('is idempotent for a removed method and refuses an unknown one', () => {
      const removed = [...twoCards, PaymentMethodRemoved({ sub, methodId: id(2), wasDefault: false })];
      wallet
        .given(removed)
        .when({ type: 'RemovePaymentMethod', methodId: id(2) })
        .then([]);
      wallet
        .given(twoCards)
        .when({ type: 'RemovePaymentMethod', methodId: id(9) })
        .thenThrows('payment_method_not_found', 'not_found');
    });
  });

  describe('values', () => {
    it('derives expiry at an instant', () => {
      const dec2025 = { expMonth: 12, expYear: 2025 };
      expect(cardExpired(dec2025, new Date('2025-12-31T23:59:59.999Z'))).to.equal(false);
      expect(cardExpired(dec2025, new Date('2026-01-01T00:00:00.000Z'))).to.equal(true);
      expect(cardExpired({ expMonth: 2, expYear: 2028 }, new Date('2028-02-29T12:00:00Z'))).to.equal(false);
    });

    it('masks a phone to its country code and last two digits', () => {
      expect(maskPhone('+4741234567')).to.equal('+47 ••••••67');
      expect(maskPhone('+14155552671')).to.equal('+1 ••••••••71');
    });

    it('registers and validates its events', () => {
      const registry = new EventRegistry(paymentMethodEvents);
      const saved = cardSaved(1);
      expect(registry.encode(saved.type, saved.data).data).to.deep.equal(saved.data);
      expect(() =>
        registry.encode('PaymentMethodSaved', {
          ...saved.data,
          card: { ...card(1), last4: '4242424242424242' },
        }),
      ).to.throw(/last4/);
    });
  });
});
