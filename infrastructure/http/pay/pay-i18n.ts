/**
 * Every text of the hosted payment page, in English and Norwegian Bokmål side by side, so a string
 * added in one language and forgotten in the other is a type error rather than a blank on the page.
 */
import type { Locale } from '../pages/i18n.js';

export interface PayStrings {
  readonly title: string;
  readonly total: string;
  readonly vatIncluded: (vat: string) => string;
  readonly products: string;
  readonly savedMethods: string;
  readonly payWith: (label: string) => string;
  readonly isDefault: string;
  readonly card: (brand: string, last4: string) => string;
  readonly newCard: string;
  readonly payWithNewCard: string;
  readonly saveCard: string;
  readonly carrier: string;
  readonly payWithPhone: (masked: string) => string;
  readonly cancel: string;
  readonly paidTitle: string;
  readonly paid: string;
  readonly canceledTitle: string;
  readonly canceled: string;
  readonly expiredTitle: string;
  readonly expired: string;
  readonly pendingTitle: string;
  readonly pending: string;
  readonly completeTitle: string;
  readonly complete: string;
  readonly continueToShop: string;
  readonly refusedTitle: string;
  readonly refused: string;
  readonly notFound: string;
  readonly signInFailed: string;
  readonly errors: {
    readonly declined: string;
    readonly insufficientFunds: string;
    readonly expiredCard: string;
    readonly authentication: string;
    readonly spendLimit: string;
    readonly carrierDeclined: string;
    readonly methodUnavailable: string;
    readonly inProgress: string;
    readonly tooManyAttempts: string;
    readonly cardFormFailed: string;
    readonly noPhone: string;
    readonly csrf: string;
    readonly unexpected: string;
  };
}

const EN: PayStrings = {
  title: 'Payment',
  total: 'Total',
  vatIncluded: (vat) => `Including VAT of ${vat}`,
  products: 'What you are buying',
  savedMethods: 'Your saved payment methods',
  payWith: (label) => `Pay with ${label}`,
  isDefault: 'default',
  card: (brand, last4) => `${brand} ending in ${last4}`,
  newCard: 'New card',
  payWithNewCard: 'Pay with a new card',
  saveCard: 'Save the card for next time',
  carrier: 'Phone bill',
  payWithPhone: (masked) => `Pay with your phone bill (${masked})`,
  cancel: 'Cancel payment',
  paidTitle: 'Paid',
  paid: 'This payment is already made.',
  canceledTitle: 'Payment canceled',
  canceled: 'This payment was canceled. Nothing was charged.',
  expiredTitle: 'Payment expired',
  expired: 'This payment has expired and can no longer be made.',
  completeTitle: 'Payment complete',
  complete: 'Thank you: the payment is complete. Taking you back…',
  continueToShop: 'Continue',
  pendingTitle: 'Payment in progress',
  pending:
    'We are waiting for confirmation of your payment. Reload this page in a moment to see how it went.',
  refusedTitle: 'Not your payment',
  refused: 'This payment belongs to another account. Sign in with the account the payment was made out to.',
  notFound: 'There is no such payment.',
  signInFailed: 'The sign-in did not succeed. Open the payment link again to try once more.',
  errors: {
    declined: 'Your card was declined. Try another card or payment method.',
    insufficientFunds: 'The card has insufficient funds. Try another card or payment method.',
    expiredCard: 'The card has expired. Try another card.',
    authentication: 'The card could not be verified. Try again or use another card.',
    spendLimit: 'The payment would exceed the monthly spending limit on your phone bill.',
    carrierDeclined: 'Your phone operator declined the payment. Try another payment method.',
    methodUnavailable: 'This payment method can no longer be used. Choose another one.',
    inProgress: 'A payment is already being processed. Reload the page in a moment.',
    tooManyAttempts: 'Too many attempts have been made for this payment.',
    cardFormFailed: 'The card could not be added. Try again.',
    noPhone: 'Your account has no verified phone number to bill.',
    csrf: 'The form has expired. Reload the page and try again.',
    unexpected: 'Something went wrong. Try again in a moment.',
  },
};

const NB: PayStrings = {
  title: 'Betaling',
  total: 'Totalt',
  vatIncluded: (vat) => `Inkludert mva. på ${vat}`,
  products: 'Dette kjøper du',
  savedMethods: 'Dine lagrede betalingsmåter',
  payWith: (label) => `Betal med ${label}`,
  isDefault: 'standard',
  card: (brand, last4) => `${brand} som slutter på ${last4}`,
  newCard: 'Nytt kort',
  payWithNewCard: 'Betal med et nytt kort',
  saveCard: 'Lagre kortet til neste gang',
  carrier: 'Telefonregning',
  payWithPhone: (masked) => `Betal med telefonregningen (${masked})`,
  cancel: 'Avbryt betalingen',
  paidTitle: 'Betalt',
  paid: 'Denne betalingen er allerede gjennomført.',
  canceledTitle: 'Betalingen er avbrutt',
  canceled: 'Denne betalingen ble avbrutt. Ingenting ble trukket.',
  expiredTitle: 'Betalingen er utløpt',
  expired: 'Denne betalingen er utløpt og kan ikke lenger gjennomføres.',
  completeTitle: 'Betalingen er fullført',
  complete: 'Takk! Betalingen er fullført. Du sendes tilbake …',
  continueToShop: 'Fortsett',
  pendingTitle: 'Betalingen behandles',
  pending:
    'Vi venter på bekreftelse av betalingen. Last inn siden på nytt om litt for å se hvordan det gikk.',
  refusedTitle: 'Ikke din betaling',
  refused: 'Denne betalingen tilhører en annen konto. Logg inn med kontoen betalingen gjelder.',
  notFound: 'Betalingen finnes ikke.',
  signInFailed: 'Innloggingen lyktes ikke. Åpne betalingslenken igjen for å prøve på nytt.',
  errors: {
    declined: 'Kortet ble avvist. Prøv et annet kort eller en annen betalingsmåte.',
    insufficientFunds: 'Det er ikke nok dekning på kortet. Prøv et annet kort eller en annen betalingsmåte.',
    expiredCard: 'Kortet er utløpt. Prøv et annet kort.',
    authentication: 'Kortet kunne ikke bekreftes. Prøv igjen eller bruk et annet kort.',
    spendLimit: 'Betalingen ville overskride den månedlige grensen på telefonregningen.',
    carrierDeclined: 'Mobiloperatøren avviste betalingen. Prøv en annen betalingsmåte.',
    methodUnavailable: 'Denne betalingsmåten kan ikke lenger brukes. Velg en annen.',
    inProgress: 'En betaling behandles allerede. Last inn siden på nytt om litt.',
    tooManyAttempts: 'Det er gjort for mange forsøk på denne betalingen.',
    cardFormFailed: 'Kortet kunne ikke legges til. Prøv igjen.',
    noPhone: 'Kontoen din har ikke noe bekreftet telefonnummer å fakturere.',
    csrf: 'Skjemaet er utløpt. Last inn siden på nytt og prøv igjen.',
    unexpected: 'Noe gikk galt. Prøv igjen om litt.',
  },
};

export function payStrings(locale: Locale): PayStrings {
  return locale === 'nb' ? NB : EN;
}

/** The payer's message for a decline or refusal code, or null when the code is not one of them. */
export function payMessage(code: string, t: PayStrings): string | null {
  switch (code) {
    case 'card_declined':
    case 'invalid_token':
      return t.errors.declined;
    case 'insufficient_funds':
      return t.errors.insufficientFunds;
    case 'expired_card':
    case 'card_expired':
      return t.errors.expiredCard;
    case 'authentication_failed':
      return t.errors.authentication;
    case 'spend_limit':
      return t.errors.spendLimit;
    case 'carrier_declined':
      return t.errors.carrierDeclined;
    case 'payment_method_unavailable':
    case 'payment_method_not_found':
    case 'phone_not_verified':
      return t.errors.methodUnavailable;
    case 'attempt_in_progress':
      return t.errors.inProgress;
    case 'too_many_attempts':
      return t.errors.tooManyAttempts;
    default:
      return null;
  }
}
