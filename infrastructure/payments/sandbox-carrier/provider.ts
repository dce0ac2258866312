import type { PaymentMethodRef } from '../../../application/ports/payment-provider.js';
import { PaymentRequestRejected } from '../../../application/ports/payment-provider.js';
import { HttpPaymentProvider } from '../http-payment-provider.js';
import type { WireAuthorizeBody } from '../wire.js';

/**
 * Carrier billing: the PaymentProvider port over a mobile operator's billing API. The method is the
 * user's verified phone number (E.164), never a card; the operator enforces its monthly spend
 * limit and answers `spend_limit` declines. No challenge step, so `returnUrl` goes unused.
 */
export class CarrierBillingProvider extends HttpPaymentProvider {
  readonly id = 'sandbox-carrier';
  readonly methodKinds = ['carrier'] as const;
  protected readonly resource = 'charges';

  protected wireMethod(method: PaymentMethodRef): WireAuthorizeBody['method'] {
    if (method.kind !== 'carrier') {
      throw new PaymentRequestRejected(
        this.id,
        'invalid_request',
        `${this.id} bills phone numbers, not ${method.kind}`,
      );
    }
    return { type: 'carrier', msisdn: method.msisdn };
  }
}
