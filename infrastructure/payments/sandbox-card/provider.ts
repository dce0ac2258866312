import type {
  CardTokenizer,
  PaymentMethodRef,
  TokenizedCard,
} from '../../../application/ports/payment-provider.js';
import { PaymentRequestRejected } from '../../../application/ports/payment-provider.js';
import { HttpPaymentProvider, type HttpPaymentProviderOptions } from '../http-payment-provider.js';
import { WireToken, type WireAuthorizeBody } from '../wire.js';

export interface SandboxCardProviderOptions extends HttpPaymentProviderOptions {
  /**
   * Where browsers reach the processor's hosted pages; defaults to `baseUrl`. They differ when
   * Tessera calls the processor on an internal address (127.0.0.1) but browsers use a public one.
   */
  readonly publicUrl?: string;
}

/**
 * Tessera's adapter to the sandbox card processor: the PaymentProvider port over the processor's
 * JSON API, and the CardTokenizer for the hosted card form. Tessera holds only the token, brand,
 * last4 and expiry; the card number and CVC are typed into the processor's page.
 */
export class SandboxCardProvider extends HttpPaymentProvider implements CardTokenizer {
  readonly id = 'sandbox-card';
  readonly methodKinds = ['card'] as const;
  protected readonly resource = 'payments';

  constructor(protected override readonly options: SandboxCardProviderOptions) {
    super(options);
  }

  protected wireMethod(method: PaymentMethodRef): WireAuthorizeBody['method'] {
    if (method.kind !== 'card') {
      throw new PaymentRequestRejected(
        this.id,
        'invalid_request',
        `${this.id} takes cards, not ${method.kind}`,
      );
    }
    return { type: 'card', token: method.token };
  }

  formUrl(options: { returnUrl: string; state: string; locale?: string }): string {
    const url = new URL(`${(this.options.publicUrl ?? this.baseUrl()).replace(/\/+$/, '')}/checkout`);
    url.searchParams.set('return_url', options.returnUrl);
    url.searchParams.set('state', options.state);
    if (options.locale) url.searchParams.set('locale', options.locale);
    return url.toString();
  }

  async describeToken(token: string): Promise<TokenizedCard | null> {
    try {
      const wire = await this.call('GET', `/v1/tokens/${encodeURIComponent(token)}`, WireToken);
      return {
        token: wire.id,
        brand: wire.brand,
        last4: wire.last4,
        expMonth: wire.exp_month,
        expYear: wire.exp_year,
      };
    } catch (error) {
      if (error instanceof PaymentRequestRejected && error.code === 'not_found') return null;
      throw error;
    }
  }
}
