import { expect } from 'chai';
import { transactionDecider } from '../../../domain/payment/decider.js';
import {
  PaymentAuthorized,
  PaymentCaptured,
  type PaymentEvent,
  PaymentFailed,
  TransactionCanceled,
  TransactionExpired,
} from '../../../domain/payment/events.js';
import type { Transaction } from '../../../domain/payment/state.js';
import { looksLikeCardNumber, MAX_ATTEMPTS } from '../../../domain/payment/values.js';
import type { CreateTransaction, PaymentCommand } from '../../../domain/payment/commands.js';
import {
  NOW,
  transaction,
  later,
  providerId,
  otherProvider,
  nok,
  carrier,
  create,
  createdEvent,
  t,
  started,
  actionRequired,
  authorizedEvent,
  capturedEvent,
  declined,
  unknownEvent,
  paid,
  start,
  capture,
  authorize,
  fail,
  markUnknown,
  cancel,
  expire,
} from './fixtures.js';

describe('PaymentTransaction decider: creating and paying', () => {
  describe('creating', () => {
    it('records the transaction with its products and redirects', () => {
      transaction.given([]).when(create).then([createdEvent]);
      const state = transaction.given([]).when(create).thenState() as Transaction;
      expect(state.status).to.equal('created');
      expect(state.captured).to.deep.equal(nok(0));
    });

    it('takes a transaction without products and without expiry', () => {
      const { products: _p, expiresAt: _e, ...bare } = create;
      const [event] = transactionDecider.decide(bare, transactionDecider.initialState(), { now: NOW });
      expect(event?.data).to.include({ expiresAt: null });
      expect((event?.data as { products: unknown[] }).products).to.deep.equal([]);
    });

    it('refuses products whose prices do not add up to the amount', () => {
      const error = transaction
        .given([])
        .when({ ...create, amount: nok(9900) })
        .thenThrows('products_sum_mismatch', 'invalid');
      expect(error.field).to.equal('products');
    });

    it('refuses a product priced in another currency', () => {
      const products = [{ name: 'Film', price: { amount: 9800, currency: 'SEK' }, vatRate: 2500 }];
      const error = transaction
        .given([])
        .when({ ...create, products })
        .thenThrows('currency_mismatch');
      expect(error.field).to.equal('products.0.price.currency');
    });

    it('refuses an amount that is a float, zero, or in an unknown currency', () => {
      const bare = { ...create, products: undefined } as unknown as CreateTransaction;
      const float = transaction.given([]).when({ ...bare, amount: { amount: 98.5, currency: 'NOK' } });
      expect(float.thenThrows('invalid_amount').field).to.equal('amount.amount');
      transaction
        .given([])
        .when({ ...bare, amount: nok(0) })
        .thenThrows('invalid_amount');
      const xxx = transaction.given([]).when({ ...bare, amount: { amount: 100, currency: 'XXX' } });
      expect(xxx.thenThrows('invalid_amount').field).to.equal('amount.currency');
    });

    it('refuses a VAT rate that is not basis points', () => {
      transaction
        .given([])
        .when({ ...create, vatRate: 25.5 })
        .thenThrows('invalid_vat_rate');
      transaction
        .given([])
        .when({ ...create, vatRate: 10_001 })
        .thenThrows('invalid_vat_rate');
    });

    it('refuses redirects that are not https (http only on loopback)', () => {
      for (const url of [
        'http://shop.example/ok',
        'javascript:alert(1)',
        'not a url',
        'https://u:p@shop.example/',
      ]) {
        const error = transaction
          .given([])
          .when({ ...create, successRedirect: url })
          .thenThrows('invalid_redirect');
        expect(error.field).to.equal('successRedirect');
      }
      transaction
        .given([])
        .when({ ...create, cancelRedirect: 'ftp://shop.example' })
        .thenThrows('invalid_redirect');
      transaction
        .given([])
        .when({ ...create, successRedirect: 'http://127.0.0.1:8080/ok' })
        .thenState();
    });

    it('refuses an expiry that is not in the future', () => {
      transaction
        .given([])
        .when({ ...create, expiresAt: NOW.toISOString() })
        .thenThrows('invalid_expiry');
      transaction
        .given([])
        .when({ ...create, expiresAt: 'tomorrow' })
        .thenThrows('invalid_expiry');
    });

    it('refuses a bad orderId, description or sub, naming the field', () => {
      expect(
        transaction
          .given([])
          .when({ ...create, orderId: 'has space' })
          .thenThrows('invalid_order_id').field,
      ).to.equal('orderId');
      transaction
        .given([])
        .when({ ...create, description: '  ' })
        .thenThrows('invalid_description');
      transaction
        .given([])
        .when({ ...create, sub: 'nobody' })
        .thenThrows('invalid_sub');
    });

    it('refuses creating the same transaction twice', () => {
      transaction.given([createdEvent]).when(create).thenThrows('transaction_exists', 'conflict');
    });
  });

  describe('attempts', () => {
    it('starts an attempt on a created transaction', () => {
      transaction.given([createdEvent]).when(start()).then([started()]);
    });

    it('treats starting the same attempt again as a retry', () => {
      transaction.given([createdEvent, started()]).when(start()).then([]);
      transaction.given([createdEvent, started()]).when(start('a1', carrier)).thenThrows('attempt_exists');
    });

    it('allows only one attempt in flight', () => {
      transaction.given([createdEvent, started()]).when(start('a2')).thenThrows('attempt_in_progress');
      transaction
        .given([createdEvent, started(), actionRequired()])
        .when(start('a2'))
        .thenThrows('attempt_in_progress');
      transaction
        .given([createdEvent, started(), unknownEvent()])
        .when(start('a2'))
        .thenThrows('outcome_unknown');
    });

    it('leaves a declined transaction payable, with the decline on record', () => {
      const state = transaction
        .given([createdEvent, started(), declined()])
        .when(start('a2', carrier))
        .thenState();
      expect(state).to.include({ status: 'processing', currentAttemptId: 'a2' });
      const failedState = transaction
        .given([createdEvent, started()])
        .when(fail())
        .thenState() as Transaction;
      expect(failedState.status).to.equal('failed');
      expect(failedState.lastError).to.deep.equal({ code: 'card_declined', message: 'Declined' });
    });

    it('refuses attempts on paid, canceled or expired transactions', () => {
      transaction.given(paid).when(start('a2')).thenThrows('transaction_paid');
      transaction
        .given([createdEvent, started(), authorizedEvent()])
        .when(start('a2'))
        .thenThrows('transaction_paid');
      const canceled = TransactionCanceled({ ...t, by: 'user' });
      transaction.given([createdEvent, canceled]).when(start()).thenThrows('transaction_canceled');
      transaction
        .given([createdEvent, TransactionExpired(t)])
        .when(start())
        .thenThrows('transaction_expired');
      later('2026-01-01T13:00:00.000Z').given([createdEvent]).when(start()).thenThrows('transaction_expired');
    });

    it(`refuses more than ${MAX_ATTEMPTS} attempts`, () => {
      const history: PaymentEvent[] = [createdEvent];
      for (let i = 0; i < MAX_ATTEMPTS; i++) history.push(started(`a${i}`), declined(`a${i}`));
      transaction.given(history).when(start('one-more')).thenThrows('too_many_attempts');
    });

    it('never accepts a card number as a method reference', () => {
      for (const reference of ['4242424242424242', '4242 4242 4242 4242', 'card 4000-0000-0000-0002']) {
        transaction
          .given([createdEvent])
          .when(start('a1', { kind: 'card', reference }))
          .thenThrows('invalid_method');
      }
      expect(looksLikeCardNumber('tok_0190f3c2-7a1b-7c3d-8e4f-123456789012')).to.equal(false);
      expect(looksLikeCardNumber('+47*****678')).to.equal(false);
    });

    it('moves a pending attempt to requires_action once', () => {
      transaction
        .given([createdEvent, started()])
        .when({ type: 'RequirePaymentAction', providerId, attemptId: 'a1', action: 'challenge' })
        .then([actionRequired()]);
      transaction
        .given([createdEvent, started(), actionRequired()])
        .when({ type: 'RequirePaymentAction', providerId, attemptId: 'a1', action: 'challenge' })
        .then([]);
      transaction
        .given([createdEvent, started(), declined()])
        .when({ type: 'RequirePaymentAction', providerId, attemptId: 'a1', action: 'challenge' })
        .thenThrows('attempt_finished');
    });

    it('refuses steps for an attempt that does not exist', () => {
      transaction
        .given([createdEvent, started()])
        .when(capture('zz'))
        .thenThrows('attempt_not_found', 'not_found');
    });
  });

  describe('authorizing and capturing', () => {
    it('authorizes, then captures the full amount', () => {
      transaction.given([createdEvent, started()]).when(authorize()).then([authorizedEvent()]);
      transaction
        .given([createdEvent, started(), actionRequired()])
        .when(authorize())
        .then([authorizedEvent()]);
      transaction.given([createdEvent, started(), authorizedEvent()]).when(capture()).then([capturedEvent()]);
    });

    it('captures straight from a pending attempt, recording the authorization too', () => {
      transaction.given([createdEvent, started()]).when(capture()).then([authorizedEvent(), capturedEvent()]);
      const state = transaction.given([createdEvent, started()]).when(capture()).thenState() as Transaction;
      expect(state).to.include({ status: 'captured', currentAttemptId: null });
      expect(state.captured).to.deep.equal(nok(9800));
    });

    it('treats capturing or authorizing again with the same attempt as a no-op', () => {
      transaction.given(paid).when(capture()).then([]);
      transaction.given(paid).when(authorize()).then([]);
      transaction.given([createdEvent, started(), authorizedEvent()]).when(authorize()).then([]);
    });

    it('refuses to capture a declined or canceled attempt', () => {
      transaction.given([createdEvent, started(), declined()]).when(capture()).thenThrows('attempt_finished');
      const voided = TransactionCanceled({ ...t, by: 'provider', voidedAttemptId: 'a1' });
      transaction
        .given([createdEvent, started(), authorizedEvent(), voided])
        .when(capture())
        .thenThrows('attempt_finished');
    });

    it('fails an authorization whose capture was refused, leaving it payable', () => {
      transaction.given([createdEvent, started(), authorizedEvent()]).when(fail()).then([declined()]);
      transaction.given([createdEvent, started(), declined()]).when(fail()).then([]);
      transaction.given(paid).when(fail()).thenThrows('attempt_finished');
    });

    it('is scoped to the provider that owns the transaction', () => {
      transaction
        .given([createdEvent, started()])
        .when({ type: 'CapturePayment', providerId: otherProvider, attemptId: 'a1' })
        .thenThrows('transaction_not_found', 'not_found');
      transaction.given([]).when(capture()).thenThrows('transaction_not_found');
    });
  });

  describe('unknown outcomes and reconciliation', () => {
    const pendingUnknown = [createdEvent, started(), unknownEvent()];
    const reconcile = (
      outcome: Extract<PaymentCommand, { type: 'ReconcilePayment' }>['outcome'],
    ): PaymentCommand => ({
      type: 'ReconcilePayment',
      providerId,
      attemptId: 'a1',
      outcome,
    });

    it('records a timeout as unknown, once', () => {
      transaction.given([createdEvent, started()]).when(markUnknown()).then([unknownEvent()]);
      transaction.given(pendingUnknown).when(markUnknown()).then([]);
      transaction.given(paid).when(markUnknown()).thenThrows('attempt_finished');
    });

    it('never guesses: capture, authorize, fail, cancel and expire wait for reconciliation', () => {
      transaction.given(pendingUnknown).when(capture()).thenThrows('outcome_unknown');
      transaction.given(pendingUnknown).when(authorize()).thenThrows('outcome_unknown');
      transaction.given(pendingUnknown).when(fail()).thenThrows('outcome_unknown');
      transaction.given(pendingUnknown).when(cancel()).thenThrows('outcome_unknown');
      later('2026-01-02T00:00:00.000Z').given(pendingUnknown).when(expire).thenThrows('outcome_unknown');
    });

    it("moves on with the provider's answer", () => {
      // Captured in the call whose answer was lost: the authorization is recorded with it.
      transaction
        .given(pendingUnknown)
        .when(reconcile({ status: 'captured', providerReference: 'ch_1' }))
        .then([
          PaymentAuthorized({
            ...t,
            attemptId: 'a1',
            amount: nok(9800),
            providerReference: 'ch_1',
            reconciled: true,
          }),
          PaymentCaptured({ ...t, attemptId: 'a1', amount: nok(9800), reconciled: true }),
        ]);
      // Authorized before the answer was lost (a capture call timed out): only the capture is new.
      const authorizedThenUnknown = [
        createdEvent,
        started(),
        PaymentAuthorized({ ...t, attemptId: 'a1', amount: nok(9800), providerReference: 'ch_1' }),
        unknownEvent(),
      ];
      transaction
        .given(authorizedThenUnknown)
        .when(reconcile({ status: 'captured', providerReference: 'ch_1' }))
        .then([PaymentCaptured({ ...t, attemptId: 'a1', amount: nok(9800), reconciled: true })]);
      transaction
        .given(pendingUnknown)
        .when(reconcile({ status: 'authorized', providerReference: 'ch_1' }))
        .then([
          PaymentAuthorized({
            ...t,
            attemptId: 'a1',
            amount: nok(9800),
            providerReference: 'ch_1',
            reconciled: true,
          }),
        ]);
      const failedAnswer = PaymentFailed({
        ...t,
        attemptId: 'a1',
        amount: nok(9800),
        code: 'not_processed',
        message: 'Never reached the bank',
        reconciled: true,
      });
      transaction
        .given(pendingUnknown)
        .when(reconcile({ status: 'failed', code: 'not_processed', message: 'Never reached the bank' }))
        .then([failedAnswer]);
      const state = transaction
        .given([...pendingUnknown, failedAnswer])
        .when(start('a2'))
        .thenState();
      expect(state.status).to.equal('processing');
    });

    it('records an answer once and refuses reconciling what is already known', () => {
      const reconciled = PaymentCaptured({ ...t, attemptId: 'a1', amount: nok(9800), reconciled: true });
      transaction
        .given([...pendingUnknown, reconciled])
        .when(reconcile({ status: 'captured' }))
        .then([]);
      transaction
        .given([...pendingUnknown, reconciled])
        .when(reconcile({ status: 'failed', code: 'x', message: 'y' }))
        .thenThrows('outcome_known');
      transaction
        .given(paid)
        .when(reconcile({ status: 'captured' }))
        .thenThrows('outcome_known');
    });

    it('reconciles a capture that timed out after authorization', () => {
      transaction
        .given([createdEvent, started(), authorizedEvent()])
        .when(markUnknown())
        .then([unknownEvent()]);
      const state = transaction
        .given([createdEvent, started(), authorizedEvent(), unknownEvent()])
        .when(reconcile({ status: 'captured' }))
        .thenState() as Transaction;
      expect(state.status).to.equal('captured');
    });
  });
});
