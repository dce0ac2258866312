/**
 * Texts of the support console in English and Norwegian Bokmål, side by side in one typed object,
 * so a text added to one language and forgotten in the other is a type error. The timeline's
 * descriptions come from the application in English (they are what support reads aloud and what
 * the JSON API returns); everything around them follows the agent's language.
 */
import type { TimelineKind } from '../../../application/support/timeline-sources.js';
import type { Locale } from '../pages/i18n.js';
import type { ConsoleAction } from './support-forms.js';

export interface SupportStrings {
  readonly title: string;
  readonly signedInAs: (who: string, roles: string) => string;
  readonly signOut: string;
  readonly searchHeading: string;
  readonly searchLabel: string;
  readonly searchHint: string;
  readonly search: string;
  readonly newSearch: string;
  readonly accountTitle: string;
  readonly summary: string;
  readonly sub: string;
  readonly status: string;
  readonly statusActive: string;
  readonly statusErased: (at: string) => string;
  readonly phones: string;
  readonly emails: string;
  readonly name: string;
  readonly language: string;
  readonly created: string;
  readonly signIn: string;
  readonly lockedUntil: (until: string, reason: string) => string;
  readonly lockedIndefinitely: (reason: string) => string;
  readonly notLocked: string;
  readonly verified: string;
  readonly unverified: string;
  readonly primary: string;
  readonly none: string;
  readonly history: string;
  readonly kinds: Readonly<Record<TimelineKind, string>>;
  readonly kindsLegend: string;
  readonly from: string;
  readonly to: string;
  readonly filter: string;
  readonly when: string;
  readonly kind: string;
  readonly what: string;
  readonly by: string;
  readonly reason: string;
  readonly you: string;
  readonly noEntries: string;
  readonly showing: (first: number, last: number, total: number) => string;
  readonly oldest: string;
  readonly older: string;
  readonly newer: string;
  readonly newest: string;
  readonly stateHeading: string;
  readonly instant: string;
  readonly show: string;
  readonly stateAt: (at: string) => string;
  readonly account: string;
  readonly rights: string;
  readonly subscriptions: string;
  readonly transactions: string;
  readonly paymentMethods: string;
  readonly consents: string;
  readonly cols: {
    readonly id: string;
    readonly provider: string;
    readonly sku: string;
    readonly state: string;
    readonly validFrom: string;
    readonly validUntil: string;
    readonly grantor: string;
    readonly period: string;
    readonly cancelAtPeriodEnd: string;
    readonly order: string;
    readonly description: string;
    readonly amount: string;
    readonly captured: string;
    readonly refunded: string;
    readonly method: string;
    readonly label: string;
    readonly isDefault: string;
    readonly client: string;
    readonly scopes: string;
    readonly password: string;
  };
  readonly yes: string;
  readonly no: string;
  readonly withoutEnd: string;
  readonly nothing: string;
  readonly actionsHeading: string;
  readonly reasonHint: string;
  readonly actions: Readonly<Record<ConsoleAction, { readonly heading: string; readonly submit: string }>>;
  readonly transaction: string;
  readonly refundAmount: string;
  readonly right: string;
  readonly days: string;
  readonly extendDays: string;
  readonly subscription: string;
  readonly cancelWhen: string;
  readonly cancelNow: string;
  readonly cancelAtPeriodEnd: string;
  readonly lockUntil: string;
  readonly verifyKind: string;
  readonly phone: string;
  readonly email: string;
  readonly notices: Readonly<Record<ConsoleAction, string>>;
  readonly errors: {
    readonly emptySearch: string;
    readonly badSearch: string;
    readonly notFound: string;
    readonly badInstant: string;
    readonly badAmount: (currency: string) => string;
    readonly badDays: string;
    readonly reasonRequired: string;
    readonly missingTarget: string;
    readonly leadRequired: string;
    readonly roleRequired: string;
    readonly targetNotFound: string;
    readonly nothingToVerify: string;
    readonly codeThrottled: string;
  };
}

const en: SupportStrings = {
  title: 'Customer support',
  signedInAs: (who, roles) => `Signed in as ${who} (${roles}).`,
  signOut: 'Sign out',
  searchHeading: 'Find an account',
  searchLabel: 'Phone, email or user id',
  searchHint:
    'A mobile number (national or international form), a verified email address, or the account’s sub.',
  search: 'Search',
  newSearch: 'New search',
  accountTitle: 'Account',
  summary: 'Summary',
  sub: 'User id (sub)',
  status: 'Status',
  statusActive: 'Active',
  statusErased: (at) => `Erased ${at}: its personal data was destroyed`,
  phones: 'Phones',
  emails: 'Emails',
  name: 'Name',
  language: 'Language',
  created: 'Created',
  signIn: 'Sign-in',
  lockedUntil: (until, reason) => `Locked until ${until} (${reason})`,
  lockedIndefinitely: (reason) => `Locked until unlocked (${reason})`,
  notLocked: 'Not locked',
  verified: 'verified',
  unverified: 'not verified',
  primary: 'primary',
  none: '—',
  history: 'History',
  kinds: {
    account: 'Account',
    'sign-in': 'Sign-ins',
    consent: 'Consents',
    right: 'Rights',
    subscription: 'Subscriptions',
    payment: 'Payments',
    'payment-method': 'Payment methods',
  },
  kindsLegend: 'Show',
  from: 'From (UTC)',
  to: 'To (UTC)',
  filter: 'Filter',
  when: 'When',
  kind: 'Kind',
  what: 'What happened',
  by: 'By',
  reason: 'Reason',
  you: '(you)',
  noEntries: 'Nothing happened in this selection.',
  showing: (first, last, total) => `Entries ${first}–${last} of ${total}, oldest first.`,
  oldest: 'Oldest',
  older: '← Older',
  newer: 'Newer →',
  newest: 'Newest',
  stateHeading: 'State as of an instant',
  instant: 'Instant (UTC)',
  show: 'Show',
  stateAt: (at) => `The account as it stood at ${at}, rebuilt from its history`,
  account: 'Account',
  rights: 'Rights',
  subscriptions: 'Subscriptions',
  transactions: 'Transactions',
  paymentMethods: 'Payment methods',
  consents: 'Consents',
  cols: {
    id: 'Id',
    provider: 'Provider',
    sku: 'SKU',
    state: 'State',
    validFrom: 'Valid from',
    validUntil: 'Valid until',
    grantor: 'Granted by',
    period: 'Current period',
    cancelAtPeriodEnd: 'Ends with the period',
    order: 'Order',
    description: 'Description',
    amount: 'Amount',
    captured: 'Captured',
    refunded: 'Refunded',
    method: 'Method',
    label: 'Method',
    isDefault: 'Default',
    client: 'Client',
    scopes: 'Scopes',
    password: 'Password',
  },
  yes: 'yes',
  no: 'no',
  withoutEnd: 'without end',
  nothing: 'None.',
  actionsHeading: 'Actions',
  reasonHint: 'Required. Kept with the change, for the customer and for auditors.',
  actions: {
    refund: { heading: 'Refund a payment', submit: 'Refund' },
    'grant-right': { heading: 'Grant a goodwill right', submit: 'Grant' },
    'extend-right': { heading: 'Extend a right', submit: 'Extend' },
    'suspend-right': { heading: 'Suspend a right', submit: 'Suspend' },
    'reactivate-right': { heading: 'Reactivate a right', submit: 'Reactivate' },
    'cancel-subscription': { heading: 'Cancel a subscription', submit: 'Cancel the subscription' },
    'lock-sign-in': { heading: 'Lock sign-in', submit: 'Lock' },
    'unlock-sign-in': { heading: 'Unlock sign-in', submit: 'Unlock' },
    'resend-verification': { heading: 'Resend a verification code', submit: 'Send a code' },
  },
  transaction: 'Payment',
  refundAmount: 'Amount (empty: all that is left)',
  right: 'Right',
  days: 'Days',
  extendDays: 'Extend by days',
  subscription: 'Subscription',
  cancelWhen: 'When',
  cancelNow: 'Now',
  cancelAtPeriodEnd: 'At the end of the current period',
  lockUntil: 'Until (UTC; empty: until unlocked)',
  verifyKind: 'Send to the unverified',
  phone: 'phone',
  email: 'email',
  notices: {
    refund: 'The refund was issued.',
    'grant-right': 'The goodwill right was granted.',
    'extend-right': 'The right was extended.',
    'suspend-right': 'The right was suspended.',
    'reactivate-right': 'The right was reactivated.',
    'cancel-subscription': 'The subscription was canceled.',
    'lock-sign-in': 'Sign-in is locked.',
    'unlock-sign-in': 'Sign-in is unlocked.',
    'resend-verification': 'A new verification code was sent.',
  },
  errors: {
    emptySearch: 'Enter a phone number, an email address or a user id.',
    badSearch: 'This is not a phone number, an email address or a user id.',
    notFound: 'No account matches.',
    badInstant: 'Enter the time as 2026-03-01 or 2026-03-01T14:00 (UTC).',
    badAmount: (currency) => `Enter the amount in ${currency}, such as 20.00.`,
    badDays: 'Enter a whole number of days, from 1 to 36500.',
    reasonRequired: 'Give a reason: say why you are doing this.',
    missingTarget: 'Choose what to act on.',
    leadRequired: 'This needs a support lead.',
    roleRequired: 'Your role does not allow this.',
    targetNotFound: 'That is not on this account.',
    nothingToVerify: 'The account has nothing unverified of that kind.',
    codeThrottled: 'A code was sent very recently; wait a minute and try again.',
  },
};

const nb: SupportStrings = {
  title: 'Kundestøtte',
  signedInAs: (who, roles) => `Logget inn som ${who} (${roles}).`,
  signOut: 'Logg ut',
  searchHeading: 'Finn en konto',
  searchLabel: 'Telefon, e-post eller bruker-id',
  searchHint:
    'Et mobilnummer (nasjonalt eller internasjonalt), en bekreftet e-postadresse eller kontoens sub.',
  search: 'Søk',
  newSearch: 'Nytt søk',
  accountTitle: 'Konto',
  summary: 'Oversikt',
  sub: 'Bruker-id (sub)',
  status: 'Status',
  statusActive: 'Aktiv',
  statusErased: (at) => `Slettet ${at}: personopplysningene er tilintetgjort`,
  phones: 'Telefoner',
  emails: 'E-poster',
  name: 'Navn',
  language: 'Språk',
  created: 'Opprettet',
  signIn: 'Innlogging',
  lockedUntil: (until, reason) => `Sperret til ${until} (${reason})`,
  lockedIndefinitely: (reason) => `Sperret til den oppheves (${reason})`,
  notLocked: 'Ikke sperret',
  verified: 'bekreftet',
  unverified: 'ikke bekreftet',
  primary: 'primær',
  none: '—',
  history: 'Historikk',
  kinds: {
    account: 'Konto',
    'sign-in': 'Innlogginger',
    consent: 'Samtykker',
    right: 'Rettigheter',
    subscription: 'Abonnementer',
    payment: 'Betalinger',
    'payment-method': 'Betalingsmåter',
  },
  kindsLegend: 'Vis',
  from: 'Fra (UTC)',
  to: 'Til (UTC)',
  filter: 'Filtrer',
  when: 'Når',
  kind: 'Type',
  what: 'Hva skjedde',
  by: 'Av',
  reason: 'Begrunnelse',
  you: '(deg)',
  noEntries: 'Ingenting skjedde i dette utvalget.',
  showing: (first, last, total) => `Oppføring ${first}–${last} av ${total}, eldste først.`,
  oldest: 'Eldste',
  older: '← Eldre',
  newer: 'Nyere →',
  newest: 'Nyeste',
  stateHeading: 'Tilstand på et tidspunkt',
  instant: 'Tidspunkt (UTC)',
  show: 'Vis',
  stateAt: (at) => `Kontoen slik den var ${at}, gjenskapt fra historikken`,
  account: 'Konto',
  rights: 'Rettigheter',
  subscriptions: 'Abonnementer',
  transactions: 'Transaksjoner',
  paymentMethods: 'Betalingsmåter',
  consents: 'Samtykker',
  cols: {
    id: 'Id',
    provider: 'Tilbyder',
    sku: 'SKU',
    state: 'Tilstand',
    validFrom: 'Gyldig fra',
    validUntil: 'Gyldig til',
    grantor: 'Gitt av',
    period: 'Nåværende periode',
    cancelAtPeriodEnd: 'Slutter med perioden',
    order: 'Ordre',
    description: 'Beskrivelse',
    amount: 'Beløp',
    captured: 'Trukket',
    refunded: 'Refundert',
    method: 'Betalingsmåte',
    label: 'Betalingsmåte',
    isDefault: 'Standard',
    client: 'Klient',
    scopes: 'Tilganger',
    password: 'Passord',
  },
  yes: 'ja',
  no: 'nei',
  withoutEnd: 'uten slutt',
  nothing: 'Ingen.',
  actionsHeading: 'Handlinger',
  reasonHint: 'Påkrevd. Lagres med endringen, for kunden og for revisorer.',
  actions: {
    refund: { heading: 'Refunder en betaling', submit: 'Refunder' },
    'grant-right': { heading: 'Gi en rettighet som kompensasjon', submit: 'Gi' },
    'extend-right': { heading: 'Forleng en rettighet', submit: 'Forleng' },
    'suspend-right': { heading: 'Suspender en rettighet', submit: 'Suspender' },
    'reactivate-right': { heading: 'Gjenaktiver en rettighet', submit: 'Gjenaktiver' },
    'cancel-subscription': { heading: 'Avslutt et abonnement', submit: 'Avslutt abonnementet' },
    'lock-sign-in': { heading: 'Sperr innlogging', submit: 'Sperr' },
    'unlock-sign-in': { heading: 'Opphev sperret innlogging', submit: 'Opphev' },
    'resend-verification': { heading: 'Send en ny bekreftelseskode', submit: 'Send kode' },
  },
  transaction: 'Betaling',
  refundAmount: 'Beløp (tomt: alt som gjenstår)',
  right: 'Rettighet',
  days: 'Dager',
  extendDays: 'Forleng med dager',
  subscription: 'Abonnement',
  cancelWhen: 'Når',
  cancelNow: 'Nå',
  cancelAtPeriodEnd: 'Ved slutten av nåværende periode',
  lockUntil: 'Til (UTC; tomt: til den oppheves)',
  verifyKind: 'Send til den ubekreftede',
  phone: 'telefonen',
  email: 'e-posten',
  notices: {
    refund: 'Refusjonen er utført.',
    'grant-right': 'Rettigheten er gitt.',
    'extend-right': 'Rettigheten er forlenget.',
    'suspend-right': 'Rettigheten er suspendert.',
    'reactivate-right': 'Rettigheten er gjenaktivert.',
    'cancel-subscription': 'Abonnementet er avsluttet.',
    'lock-sign-in': 'Innloggingen er sperret.',
    'unlock-sign-in': 'Sperren er opphevet.',
    'resend-verification': 'En ny bekreftelseskode er sendt.',
  },
  errors: {
    emptySearch: 'Skriv inn et telefonnummer, en e-postadresse eller en bruker-id.',
    badSearch: 'Dette er verken et telefonnummer, en e-postadresse eller en bruker-id.',
    notFound: 'Ingen konto passer.',
    badInstant: 'Skriv tidspunktet som 2026-03-01 eller 2026-03-01T14:00 (UTC).',
    badAmount: (currency) => `Skriv beløpet i ${currency}, for eksempel 20.00.`,
    badDays: 'Skriv et helt antall dager, fra 1 til 36500.',
    reasonRequired: 'Oppgi en begrunnelse: si hvorfor du gjør dette.',
    missingTarget: 'Velg hva handlingen gjelder.',
    leadRequired: 'Dette krever en support-leder.',
    roleRequired: 'Rollen din tillater ikke dette.',
    targetNotFound: 'Det finnes ikke på denne kontoen.',
    nothingToVerify: 'Kontoen har ingenting ubekreftet av den typen.',
    codeThrottled: 'En kode ble nettopp sendt; vent et minutt og prøv igjen.',
  },
};

export function supportStrings(locale: Locale): SupportStrings {
  return locale === 'nb' ? nb : en;
}

/** "1 Mar 2026, 14:05 UTC" in the page's language. */
export function formatInstant(locale: Locale, iso: string): string {
  return (
    new Intl.DateTimeFormat(locale === 'nb' ? 'nb-NO' : 'en-GB', {
      dateStyle: 'medium',
      timeStyle: 'medium',
      timeZone: 'UTC',
    }).format(new Date(iso)) + ' UTC'
  );
}
