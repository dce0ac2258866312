import { paymentProviderContract } from '../../contracts/payment-provider.contract.js';
import { carrierFixture, cardFixture } from '../../support/payment-sandboxes.js';

paymentProviderContract('SandboxCardProvider over HTTP', cardFixture);
paymentProviderContract('CarrierBillingProvider over HTTP', carrierFixture);
