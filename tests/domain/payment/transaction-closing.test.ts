import { expect } from 'chai';
import { transactionDecider } from '../../../domain/payment/decider.js';
import { TransactionCanceled, TransactionExpired } from '../../../domain/payment/events.js';
import type { Transaction } from '../../../domain/payment/state.js';
import type { PaymentCommand } from '../../../domain/payment/commands.js';
import {
  NOW,
  transaction,
  later,
  nok,
  create,
  createdEvent,
  t,
  started,
  actionRequired,
  authorizedEvent,
  declined,
  refund,
  paid,
  cancel,
  expire,
  refundCmd,
} from './fixtures.js';

describe('PaymentTransaction decider: canceling, expiring, refunding', () => {
  describe('canceling', () => {
    it('cancels an unpaid transaction, by the user or the provider', () => {
      transaction
        .given([createdEvent])
        .when(cancel())
        .then([TransactionCanceled({ ...t, by: 'user' })]);
      transaction
        .given([createdEvent, started(), declined()])
        .when(cancel('provider'))
        .then([TransactionCanceled({ ...t, by: 'provider' })]);
    });

    it('voids a held authorization or a pending challenge', () => {
      transaction
        .given([createdEvent, started(), authorizedEvent()])
        .when(cancel('provider'))
        .then([TransactionCanceled({ ...t, by: 'provider', voidedAttemptId: 'a1' })]);
      transaction
        .given([createdEvent, started(), actionRequired()])
        .when(cancel())
        .then([TransactionCanceled({ ...t, by: 'user', voidedAttemptId: 'a1' })]);
    });

    it('is idempotent and refused once money moved or while an attempt is processing', () => {
      transaction
        .given([createdEvent, TransactionCanceled({ ...t, by: 'user' })])
        .when(cancel())
        .then([]);
      transaction.given(paid).when(cancel()).thenThrows('transaction_paid');
      transaction.given([createdEvent, started()]).when(cancel()).thenThrows('attempt_in_progress');
      transaction
        .given([createdEvent, TransactionExpired(t)])
        .when(cancel())
        .thenThrows('transaction_expired');
    });
  });

  describe('expiring', () => {
    const afterExpiry = later('2026-01-01T13:00:00.000Z');

    it('expires an unpaid transaction once its expiry has passed', () => {
      afterExpiry
        .given([createdEvent])
        .when(expire)
        .then([TransactionExpired(t)]);
      afterExpiry
        .given([createdEvent, started(), declined()])
        .when(expire)
        .then([TransactionExpired(t)]);
      afterExpiry
        .given([createdEvent, started(), actionRequired()])
        .when(expire)
        .then([TransactionExpired({ ...t, abandonedAttemptId: 'a1' })]);
      afterExpiry
        .given([createdEvent, TransactionExpired(t)])
        .when(expire)
        .then([]);
    });

    it('refuses before the expiry, without one, or once paid or processing', () => {
      transaction.given([createdEvent]).when(expire).thenThrows('not_expired');
      const { expiresAt: _e, ...noExpiry } = create;
      const [open] = transactionDecider.decide(noExpiry, transactionDecider.initialState(), { now: NOW });
      afterExpiry.given([open!]).when(expire).thenThrows('no_expiry');
      afterExpiry.given(paid).when(expire).thenThrows('transaction_paid');
      afterExpiry.given([createdEvent, started()]).when(expire).thenThrows('attempt_in_progress');
    });
  });

  describe('refunding', () => {
    it('refunds part, then the rest', () => {
      transaction
        .given(paid)
        .when(refundCmd('r1', 3000))
        .then([refund('r1', 3000)]);
      const partial = transaction.given(paid).when(refundCmd('r1', 3000)).thenState() as Transaction;
      expect(partial.status).to.equal('partially_refunded');
      const full = transaction
        .given([...paid, refund('r1', 3000)])
        .when(refundCmd('r2', 6800))
        .thenState() as Transaction;
      expect(full).to.include({ status: 'refunded' });
      expect(full.refunded).to.deep.equal(nok(9800));
    });

    it('never refunds more than captured minus refunded', () => {
      const error = transaction
        .given(paid)
        .when(refundCmd('r1', 9801))
        .thenThrows('refund_exceeds_captured', 'invalid');
      expect(error.field).to.equal('amount');
      transaction
        .given([...paid, refund('r1', 5000)])
        .when(refundCmd('r2', 4801))
        .thenThrows('refund_exceeds_captured');
      transaction
        .given([...paid, refund('r1', 9800)])
        .when(refundCmd('r2', 1))
        .thenThrows('fully_refunded');
    });

    it('refuses another currency, a non-positive amount and uncaptured transactions', () => {
      transaction
        .given(paid)
        .when(refundCmd('r1', 100, 'SEK'))
        .thenThrows('currency_mismatch');
      transaction.given(paid).when(refundCmd('r1', 0)).thenThrows('invalid_amount');
      transaction.given(paid).when(refundCmd('r1', 10.5)).thenThrows('invalid_amount');
      transaction
        .given([createdEvent, started(), authorizedEvent()])
        .when(refundCmd('r1', 100))
        .thenThrows('not_captured');
      transaction.given([createdEvent]).when(refundCmd('r1', 100)).thenThrows('not_captured');
    });

    it('treats a repeated refund id as a retry, and a changed one as a conflict', () => {
      transaction
        .given([...paid, refund('r1', 3000)])
        .when(refundCmd('r1', 3000))
        .then([]);
      transaction
        .given([...paid, refund('r1', 3000)])
        .when(refundCmd('r1', 3001))
        .thenThrows('refund_exists', 'conflict');
    });

    it('refuses a reason or issuer that is missing', () => {
      transaction
        .given(paid)
        .when({ ...(refundCmd('r1', 100) as object), reason: ' ' } as PaymentCommand)
        .thenThrows('invalid_reason');
      transaction
        .given(paid)
        .when({
          ...(refundCmd('r1', 100) as object),
          issuer: { kind: 'user', id: 'x' },
        } as unknown as PaymentCommand)
        .thenThrows('invalid_issuer');
    });
  });
});
