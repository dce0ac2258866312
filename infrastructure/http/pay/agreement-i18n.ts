/**
 * Texts of the charging agreement confirmation page, English and Norwegian Bokmål side by side, so a
 * string added in one language and forgotten in the other is a type error.
 */
import type { Locale } from '../pages/i18n.js';

export interface AgreementStrings {
  readonly title: string;
  readonly intro: (name: string) => string;
  readonly price: (amount: string, period: string) => string;
  readonly vatIncluded: (vat: string) => string;
  readonly recurrence: (count: number | null) => string;
  readonly trial: (duration: string) => string;
  readonly firstPaymentNow: string;
  readonly firstPaymentLater: string;
  readonly chooseCard: string;
  readonly confirmWith: (label: string) => string;
  readonly newCard: string;
  readonly confirmWithNewCard: string;
  readonly cancel: string;
  readonly stopAnyTime: string;
  readonly confirmedTitle: string;
  readonly confirmed: string;
  readonly canceledTitle: string;
  readonly canceled: string;
  readonly endedTitle: string;
  readonly ended: string;
  readonly expiredTitle: string;
  readonly expired: string;
  readonly pendingTitle: string;
  readonly pending: string;
  readonly refusedTitle: string;
  readonly refused: string;
  readonly notFound: string;
}

/** An ISO 8601 duration in words, for the common cases (`P1M`, `P14D`, `P1Y`, `P1W`); else as written. */
function durationWords(duration: string, locale: Locale): string {
  const m = /^P(\d+)([YMWD])$/.exec(duration);
  if (!m) return duration;
  const n = Number(m[1]);
  const words: Record<string, [string, string, string, string]> = {
    Y: ['year', 'years', 'år', 'år'],
    M: ['month', 'months', 'måned', 'måneder'],
    W: ['week', 'weeks', 'uke', 'uker'],
    D: ['day', 'days', 'dag', 'dager'],
  };
  const [one, many, nbOne, nbMany] = words[m[2]!]!;
  if (locale === 'nb') return n === 1 ? nbOne : `${n} ${nbMany}`;
  return n === 1 ? one : `${n} ${many}`;
}

const EN: AgreementStrings = {
  title: 'Recurring payment',
  intro: (name) => `Subscribe to ${name}`,
  price: (amount, period) => `${amount} per ${period}`,
  vatIncluded: (vat) => `Including VAT of ${vat}`,
  recurrence: (count) =>
    count === null ? 'Renews until you stop it.' : `Renews for ${count} periods, then ends.`,
  trial: (duration) => `Free trial: ${duration}. The first charge is made just before it ends.`,
  firstPaymentNow: 'The first period is charged now.',
  firstPaymentLater: 'Nothing is charged today.',
  chooseCard: 'Charge one of your saved cards',
  confirmWith: (label) => `Agree and pay with ${label}`,
  newCard: 'New card',
  confirmWithNewCard: 'Agree and add a new card',
  cancel: 'Cancel',
  stopAnyTime: 'You can stop the agreement at any time; it then ends with the period already paid.',
  confirmedTitle: 'Agreement confirmed',
  confirmed: 'Thank you: the agreement is confirmed. Taking you back…',
  canceledTitle: 'Agreement canceled',
  canceled: 'This agreement was canceled. Nothing was charged.',
  endedTitle: 'Agreement ended',
  ended: 'This agreement has ended.',
  expiredTitle: 'Time to confirm ran out',
  expired:
    'This agreement was not confirmed in time and can no longer be confirmed. Nothing was charged. ' +
    'Go back to the shop to start again.',
  pendingTitle: 'Payment in progress',
  pending: 'We are waiting for confirmation of your payment. Reload this page in a moment.',
  refusedTitle: 'Not your agreement',
  refused: 'This agreement belongs to another account.',
  notFound: 'There is no such agreement.',
};

const NB: AgreementStrings = {
  title: 'Fast betaling',
  intro: (name) => `Abonner på ${name}`,
  price: (amount, period) => `${amount} per ${period}`,
  vatIncluded: (vat) => `Inkludert mva. på ${vat}`,
  recurrence: (count) =>
    count === null ? 'Fornyes til du stopper den.' : `Fornyes i ${count} perioder, og avsluttes så.`,
  trial: (duration) => `Gratis prøveperiode: ${duration}. Første trekk skjer like før den er over.`,
  firstPaymentNow: 'Første periode trekkes nå.',
  firstPaymentLater: 'Ingenting trekkes i dag.',
  chooseCard: 'Trekk et av dine lagrede kort',
  confirmWith: (label) => `Godta og betal med ${label}`,
  newCard: 'Nytt kort',
  confirmWithNewCard: 'Godta og legg til et nytt kort',
  cancel: 'Avbryt',
  stopAnyTime: 'Du kan stoppe avtalen når som helst; den avsluttes da med perioden som er betalt.',
  confirmedTitle: 'Avtalen er bekreftet',
  confirmed: 'Takk! Avtalen er bekreftet. Du sendes tilbake …',
  canceledTitle: 'Avtalen er avbrutt',
  canceled: 'Denne avtalen ble avbrutt. Ingenting ble trukket.',
  endedTitle: 'Avtalen er avsluttet',
  ended: 'Denne avtalen er avsluttet.',
  expiredTitle: 'Fristen for å bekrefte er ute',
  expired:
    'Denne avtalen ble ikke bekreftet i tide og kan ikke lenger bekreftes. Ingenting ble trukket. ' +
    'Gå tilbake til butikken for å starte på nytt.',
  pendingTitle: 'Betalingen behandles',
  pending: 'Vi venter på bekreftelse av betalingen. Last inn siden på nytt om litt.',
  refusedTitle: 'Ikke din avtale',
  refused: 'Denne avtalen tilhører en annen konto.',
  notFound: 'Avtalen finnes ikke.',
};

export function agreementStrings(locale: Locale): AgreementStrings {
  return locale === 'nb' ? NB : EN;
}

export { durationWords };
