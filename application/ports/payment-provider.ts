import type { Money } from '../../domain/shared/money.js';

/**
 * The PaymentProvider port: how Tessera moves money through a payment service provider (PSP) or a
 * carrier's billing platform. It is shaped after real PSP integrations (Stripe PaymentIntents,
 * Adyen's authorise/capture/refund), so an adapter for a real PSP slots in beside the sandboxes.
 *
 * The life of a payment at the provider:
 *
 *   authorize ──► requires_action ──(the payer completes the challenge at `actionUrl`)──┐
 *       │                 └──(the payer fails or abandons it)──► declined              │
 *       ├──► declined                                                                   ▼
 *       └──────────────────────────────────────────────────────────────────────────► authorized
 *   authorized ──capture(≤ authorized)──► captured ──refund(≤ captured − refunded)──► (partially_)refunded
 *   authorized / requires_action ──cancel──► canceled
 *
 * Rules every adapter keeps (the contract suite in tests/contracts checks them):
 *
 * - **Idempotency.** Every money-moving call carries an idempotency key. Repeating a call with the
 *   same key, sequentially or concurrently, returns the first call's result and moves money once.
 *   Reusing a key with different parameters is refused (`PaymentRequestRejected`, code
 *   `idempotency_conflict`). Keys are scoped to the operation: an authorize key and a refund key
 *   never collide.
 * - **Declines are answers, not errors.** A card declined or a spend limit reached comes back as
 *   `{ status: 'declined', code }`; the payer can try another method.
 * - **Unknown is not declined.** A call that times out, loses its connection or meets a provider
 *   outage throws `PaymentProviderUnavailable`: the provider may or may not have acted. The caller
 *   records the outcome as unknown and settles it later by repeating the call with the same
 *   idempotency key or by `retrieve` — never by guessing.
 * - **Amounts.** Money is integer minor units. Capture takes at most the authorized amount, once;
 *   refunds never exceed what was captured minus what was refunded. Violations are refused with
 *   `PaymentRequestRejected` (`amount_too_large`, `invalid_state`), never clamped.
 * - **No card data.** A card reaches Tessera only as a provider token (plus brand, last4 and
 *   expiry for display). The card number and CVC go from the payer's browser to the provider's own
 *   tokenisation page and never pass through Tessera.
 */

/** How the payer pays: a card token from the provider's tokenisation, or the verified phone's bill. */
export type PaymentMethodRef =
  { readonly kind: 'card'; readonly token: string } | { readonly kind: 'carrier'; readonly msisdn: string };

export type PaymentMethodKind = PaymentMethodRef['kind'];

/** Why a provider declined. Stable codes a payment page can turn into a message. */
export type DeclineCode =
  /** The issuer declined without a reason it shares. */
  | 'card_declined'
  | 'insufficient_funds'
  | 'expired_card'
  /** The token is unknown to the provider (deleted, or from another account). */
  | 'invalid_token'
  /** The payer failed or refused the challenge step (3-D Secure). */
  | 'authentication_failed'
  /** Carrier billing: the subscriber's monthly spend limit would be exceeded. */
  | 'spend_limit'
  /** Carrier billing: the operator refused the subscriber (barred, prepaid without credit, …). */
  | 'carrier_declined';

export interface AuthorizeRequest {
  readonly amount: Money;
  readonly method: PaymentMethodRef;
  readonly idempotencyKey: string;
  /** Tessera's transaction id, stored by the provider for reconciliation and its own reports. */
  readonly reference: string;
  /** Shown on the payer's statement or phone bill. */
  readonly description: string;
  /** Where the payer's browser returns after a challenge step; the provider appends `processor_ref`. */
  readonly returnUrl: string;
  /**
   * `automatic` captures the whole amount as soon as the payment is authorized (at once, or when the
   * payer passes the challenge): one call instead of authorize + capture, like a PSP's automatic
   * capture. Default `manual`: the payment waits, authorized, for `capture` or `cancel`.
   */
  readonly captureMethod?: 'automatic' | 'manual';
}

export type AuthorizeResult =
  | { readonly status: 'authorized'; readonly processorRef: string }
  /** Only with `captureMethod: 'automatic'`: the whole amount is captured. */
  | { readonly status: 'captured'; readonly processorRef: string }
  /** The payer must complete a challenge: send the browser to `actionUrl`, then `retrieve`. */
  | { readonly status: 'requires_action'; readonly processorRef: string; readonly actionUrl: string }
  | {
      readonly status: 'declined';
      /** Present when the provider kept a record of the declined attempt. */
      readonly processorRef?: string;
      readonly code: DeclineCode;
      /** A provider's message for logs and support, not for the payer (it is English only). */
      readonly message: string;
    };

export type ProviderPaymentStatus =
  'requires_action' | 'authorized' | 'captured' | 'partially_refunded' | 'refunded' | 'declined' | 'canceled';

/** The provider's view of one payment; what `retrieve`, `capture`, `refund` and `cancel` answer. */
export interface ProviderPayment {
  readonly processorRef: string;
  readonly status: ProviderPaymentStatus;
  readonly reference: string;
  readonly authorized: Money;
  readonly captured: Money;
  readonly refunded: Money;
  readonly declineCode?: DeclineCode;
  /** Set while `status` is `requires_action`. */
  readonly actionUrl?: string;
}

export interface RefundResult {
  readonly refundRef: string;
  readonly amount: Money;
  readonly payment: ProviderPayment;
}

/** Find a payment by the provider's reference, or by the idempotency key its authorize call used. */
export type RetrieveQuery = { readonly processorRef: string } | { readonly idempotencyKey: string };

export interface PaymentProvider {
  /** Stable name recorded with each transaction, so later captures and refunds reach the same provider. */
  readonly id: string;
  /** The method kinds this provider accepts in `authorize`. */
  readonly methodKinds: readonly PaymentMethodKind[];

  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  /** Captures `amount` (at most the authorized amount) of an authorized payment, once. */
  capture(processorRef: string, amount: Money, idempotencyKey: string): Promise<ProviderPayment>;
  /** Refunds `amount`, at most captured minus already refunded. */
  refund(processorRef: string, amount: Money, idempotencyKey: string): Promise<RefundResult>;
  /** Releases an authorization (or abandons a pending challenge) without moving money. */
  cancel(processorRef: string, idempotencyKey: string): Promise<ProviderPayment>;
  /** The provider's current view, for reconciliation after an unknown outcome; null when it never saw the payment. */
  retrieve(query: RetrieveQuery): Promise<ProviderPayment | null>;
}

/**
 * The provider could not be reached, timed out or failed on its side: the outcome of the call is
 * unknown. Settle it by repeating the call with the same idempotency key, or with `retrieve`.
 */
export class PaymentProviderUnavailable extends Error {
  constructor(
    readonly providerId: string,
    readonly reason: 'timeout' | 'connection' | 'server_error',
    detail: string,
  ) {
    super(`Payment provider ${providerId} unavailable (${reason}): ${detail}`);
    this.name = 'PaymentProviderUnavailable';
  }
}

export type RejectionCode =
  | 'amount_too_large'
  | 'invalid_state'
  | 'not_found'
  | 'idempotency_conflict'
  | 'invalid_request'
  | 'authentication';

/**
 * The provider refused the request itself (as opposed to declining a payment): an over-refund, a
 * capture of a declined payment, a reused idempotency key, bad credentials. Repeating it will not help.
 */
export class PaymentRequestRejected extends Error {
  constructor(
    readonly providerId: string,
    readonly code: RejectionCode,
    detail: string,
  ) {
    super(`Payment provider ${providerId} rejected the request (${code}): ${detail}`);
    this.name = 'PaymentRequestRejected';
  }
}

/** A card as Tessera may know it: the provider's token and what a person needs to recognise it. */
export interface TokenizedCard {
  readonly token: string;
  readonly brand: string;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
}

/**
 * The tokenising side of a card provider. The payer's browser is sent to the provider's hosted card
 * form (`formUrl`), which posts the card to the provider and redirects back to `returnUrl` with
 * `token` and `state` in the query. The token is then looked up server to server (`describeToken`):
 * brand, last4 and expiry in the redirect are for display only, since a payer can edit a URL.
 */
export interface CardTokenizer {
  formUrl(options: { returnUrl: string; state: string; locale?: string }): string;
  describeToken(token: string): Promise<TokenizedCard | null>;
}
