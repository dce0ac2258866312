/**
 * Every text of the account page, in English and Norwegian Bokmål side by side: a string added to
 * one language and forgotten in the other is a type error.
 */
import type { Locale } from '../pages/i18n.js';

export type AccountNotice =
  | 'profile_saved'
  | 'code_sent'
  | 'identifier_verified'
  | 'identifier_removed'
  | 'primary_changed'
  | 'password_set'
  | 'password_removed'
  | 'service_revoked'
  | 'session_ended'
  | 'payment_method_default'
  | 'payment_method_removed'
  | 'payment_method_added'
  | 'agreement_stopped';

export const ACCOUNT_NOTICES: readonly AccountNotice[] = [
  'profile_saved',
  'code_sent',
  'identifier_verified',
  'identifier_removed',
  'primary_changed',
  'password_set',
  'password_removed',
  'service_revoked',
  'session_ended',
  'payment_method_default',
  'payment_method_removed',
  'payment_method_added',
  'agreement_stopped',
];

export interface AccountStrings {
  readonly title: string;
  readonly signedInAs: (who: string) => string;
  readonly signOut: string;
  readonly profile: string;
  readonly nameLabel: string;
  readonly localeLabel: string;
  readonly localeNames: Readonly<Record<Locale, string>>;
  readonly save: string;
  readonly phones: string;
  readonly emails: string;
  readonly none: string;
  readonly verified: string;
  readonly unverified: string;
  readonly primary: string;
  readonly makePrimary: string;
  readonly remove: string;
  readonly verify: string;
  readonly addPhone: string;
  readonly addEmail: string;
  readonly phoneLabel: string;
  readonly emailLabel: string;
  readonly add: string;
  readonly verifyTitle: string;
  readonly codeSentTo: (value: string) => string;
  readonly codeLabel: string;
  readonly confirm: string;
  readonly back: string;
  readonly password: string;
  readonly hasPassword: string;
  readonly noPassword: string;
  readonly currentPassword: string;
  readonly newPassword: string;
  readonly repeatPassword: string;
  readonly passwordHint: string;
  readonly setPassword: string;
  readonly changePassword: string;
  readonly removePassword: string;
  readonly services: string;
  readonly noServices: string;
  readonly allowedSince: (date: string) => string;
  readonly revoke: string;
  readonly sessions: string;
  readonly thisDevice: string;
  readonly unknownDevice: string;
  readonly sessionSince: (date: string) => string;
  readonly sessionUsed: (date: string) => string;
  readonly sessionServices: (names: string) => string;
  readonly endSession: string;
  readonly payment: {
    readonly title: string;
    readonly none: string;
    readonly card: (brand: string, last4: string) => string;
    readonly expires: (monthYear: string) => string;
    readonly expired: string;
    readonly carrier: (maskedPhone: string) => string;
    readonly isDefault: string;
    readonly unavailable: string;
    readonly makeDefault: string;
    readonly addNote: string;
    readonly addCard: string;
  };
  readonly agreements: {
    readonly title: string;
    readonly price: (amount: string, period: string) => string;
    readonly renews: (at: string) => string;
    readonly ends: (at: string) => string;
    readonly pastDue: string;
    readonly paidWith: (method: string) => string;
    readonly stop: string;
  };
  readonly deleteSection: string;
  readonly deleteIntro: string;
  readonly deleteLink: string;
  readonly deleteTitle: string;
  readonly deleteWarning: string;
  readonly deleteConfirmLabel: string;
  readonly deleteButton: string;
  readonly deletedTitle: string;
  readonly deleted: string;
  readonly signedOutTitle: string;
  readonly signedOut: string;
  readonly signInAgain: string;
  readonly notices: Readonly<Record<AccountNotice, string>>;
  readonly errors: {
    readonly csrf: string;
    readonly signin_failed: string;
    readonly signin_denied: string;
    readonly password_mismatch: string;
    readonly wrong_password: string;
    readonly invalid_password: string;
    readonly confirm_delete: string;
    readonly taken: string;
    readonly exists: string;
    readonly last_identifier: string;
    readonly not_verified: string;
    readonly too_many: string;
    readonly invalid_phone: string;
    readonly invalid_email: string;
    readonly wrong_code: string;
    readonly code_expired: string;
    readonly throttled: (wait: string) => string;
    readonly delivery_failed: string;
    readonly invalid_name: string;
    readonly card_expired: string;
    readonly cardFormFailed: string;
    readonly cardUnavailable: string;
    readonly agreementNotFound: string;
    readonly unexpected: string;
  };
}

const en: AccountStrings = {
  title: 'Your Tessera account',
  signedInAs: (who) => `Signed in as ${who}.`,
  signOut: 'Sign out',
  profile: 'Profile',
  nameLabel: 'Name',
  localeLabel: 'Language',
  localeNames: { en: 'English', nb: 'Norsk bokmål' },
  save: 'Save',
  phones: 'Phone numbers',
  emails: 'Email addresses',
  none: 'None yet.',
  verified: 'verified',
  unverified: 'not verified',
  primary: 'primary',
  makePrimary: 'Make primary',
  remove: 'Remove',
  verify: 'Verify',
  addPhone: 'Add a phone number',
  addEmail: 'Add an email address',
  phoneLabel: 'Phone number',
  emailLabel: 'Email address',
  add: 'Add',
  verifyTitle: 'Enter the code',
  codeSentTo: (value) => `Enter the code we sent to ${value}.`,
  codeLabel: 'Six-digit code',
  confirm: 'Confirm',
  back: 'Back to your account',
  password: 'Password',
  hasPassword: 'Your account has a password. Services that ask for more security ask for it after the code.',
  noPassword: 'Your account has no password: you sign in with a one-time code.',
  currentPassword: 'Current password',
  newPassword: 'New password',
  repeatPassword: 'Repeat the new password',
  passwordHint: 'At least 8 characters. A few unrelated words make a strong password.',
  setPassword: 'Set password',
  changePassword: 'Change password',
  removePassword: 'Remove password',
  services: 'Connected services',
  noServices: 'No service has access to your account.',
  allowedSince: (date) => `Allowed since ${date}:`,
  revoke: 'Remove access',
  sessions: 'Where you are signed in',
  thisDevice: 'This browser',
  unknownDevice: 'Unknown browser',
  sessionSince: (date) => `Signed in ${date}`,
  sessionUsed: (date) => `last used ${date}`,
  sessionServices: (names) => `Services: ${names}`,
  endSession: 'Sign out there',
  payment: {
    title: 'Payment methods',
    none: 'No saved payment methods.',
    card: (brand, last4) => `${brand} ending in ${last4}`,
    expires: (monthYear) => `expires ${monthYear}`,
    expired: 'expired',
    carrier: (maskedPhone) => `Phone bill, ${maskedPhone}`,
    isDefault: 'default',
    unavailable: 'can no longer be used',
    makeDefault: 'Make default',
    addNote: 'You can also save a card or your phone bill when you pay for something.',
    addCard: 'Add a card',
  },
  agreements: {
    title: 'Recurring payments',
    price: (amount, period) => `${amount} per ${period}`,
    renews: (at) => `renews ${at}`,
    ends: (at) => `stopped, ends ${at}`,
    pastDue: 'the last payment failed; we will try again',
    paidWith: (method) => `paid with ${method}`,
    stop: 'Stop',
  },
  deleteSection: 'Delete account',
  deleteIntro:
    'Deleting your account removes your personal data for good and signs you out of every service.',
  deleteLink: 'Delete my account…',
  deleteTitle: 'Delete your account?',
  deleteWarning:
    'Every service loses access, you are signed out everywhere, and your phone numbers, email addresses and name ' +
    'become unreadable for good. This cannot be undone.',
  deleteConfirmLabel: 'I understand that my account and its data are deleted for good',
  deleteButton: 'Delete my account',
  deletedTitle: 'Account deleted',
  deleted: 'Your account is deleted and you are signed out everywhere.',
  signedOutTitle: 'Signed out',
  signedOut: 'You are signed out of Tessera in this browser.',
  signInAgain: 'Sign in again',
  notices: {
    profile_saved: 'Your profile is saved.',
    code_sent: 'We sent a code.',
    identifier_verified: 'Verified.',
    identifier_removed: 'Removed.',
    primary_changed: 'Primary changed.',
    password_set: 'Your password is set.',
    password_removed: 'Your password is removed.',
    service_revoked: 'The service no longer has access to your account.',
    session_ended: 'That session is signed out.',
    payment_method_default: 'Your default payment method is changed.',
    payment_method_removed: 'The payment method is removed.',
    payment_method_added: 'The card is saved.',
    agreement_stopped:
      'The recurring payment is stopped. What you have paid for lasts until the period ends.',
  },
  errors: {
    csrf: 'The form expired. Reload the page and try again.',
    signin_failed: 'The sign-in could not be completed. Try again.',
    signin_denied: 'You did not sign in.',
    password_mismatch: 'The two new passwords differ.',
    wrong_password: 'The current password is wrong.',
    invalid_password: 'The password must be 8 to 256 characters long.',
    confirm_delete: 'Tick the box to confirm that you want to delete your account.',
    taken: 'Another account already uses this. Sign in with it there and remove it first.',
    exists: 'This is already on your account.',
    last_identifier: 'You cannot remove your last verified phone or email: add and verify another one first.',
    not_verified: 'Verify it before making it primary.',
    too_many: 'You have the most of these an account can have; remove one first.',
    invalid_phone:
      'This is not a valid mobile number. Use the international form, for example +47 412 34 567.',
    invalid_email: 'This is not a valid email address, for example name@example.com.',
    wrong_code: 'The code is wrong or used up. Check it, or ask for a new one.',
    code_expired: 'The code expired. Ask for a new one.',
    throttled: (wait) => `A code was sent recently. Try again in ${wait}.`,
    delivery_failed: 'We could not send the code just now. Try again shortly.',
    invalid_name: 'The name must be at most 200 characters.',
    card_expired: 'This card has expired, so it cannot be the default.',
    cardFormFailed: 'The card was not saved. Please try adding it again.',
    cardUnavailable: 'Cards cannot be added right now.',
    agreementNotFound: 'There is no such recurring payment on your account.',
    unexpected: 'Something went wrong on our side. Try again shortly.',
  },
};

const nb: AccountStrings = {
  title: 'Tessera-kontoen din',
  signedInAs: (who) => `Innlogget som ${who}.`,
  signOut: 'Logg ut',
  profile: 'Profil',
  nameLabel: 'Navn',
  localeLabel: 'Språk',
  localeNames: { en: 'English', nb: 'Norsk bokmål' },
  save: 'Lagre',
  phones: 'Telefonnumre',
  emails: 'E-postadresser',
  none: 'Ingen ennå.',
  verified: 'bekreftet',
  unverified: 'ikke bekreftet',
  primary: 'primær',
  makePrimary: 'Gjør til primær',
  remove: 'Fjern',
  verify: 'Bekreft',
  addPhone: 'Legg til et telefonnummer',
  addEmail: 'Legg til en e-postadresse',
  phoneLabel: 'Telefonnummer',
  emailLabel: 'E-postadresse',
  add: 'Legg til',
  verifyTitle: 'Skriv inn koden',
  codeSentTo: (value) => `Skriv inn koden vi sendte til ${value}.`,
  codeLabel: 'Sekssifret kode',
  confirm: 'Bekreft',
  back: 'Tilbake til kontoen din',
  password: 'Passord',
  hasPassword: 'Kontoen din har passord. Tjenester som krever ekstra sikkerhet, ber om det etter koden.',
  noPassword: 'Kontoen din har ikke passord: du logger inn med en engangskode.',
  currentPassword: 'Nåværende passord',
  newPassword: 'Nytt passord',
  repeatPassword: 'Gjenta det nye passordet',
  passwordHint: 'Minst 8 tegn. Noen ord som ikke henger sammen, gir et sterkt passord.',
  setPassword: 'Opprett passord',
  changePassword: 'Bytt passord',
  removePassword: 'Fjern passord',
  services: 'Tilkoblede tjenester',
  noServices: 'Ingen tjenester har tilgang til kontoen din.',
  allowedSince: (date) => `Tillatt siden ${date}:`,
  revoke: 'Fjern tilgang',
  sessions: 'Der du er innlogget',
  thisDevice: 'Denne nettleseren',
  unknownDevice: 'Ukjent nettleser',
  sessionSince: (date) => `Innlogget ${date}`,
  sessionUsed: (date) => `sist brukt ${date}`,
  sessionServices: (names) => `Tjenester: ${names}`,
  endSession: 'Logg ut der',
  payment: {
    title: 'Betalingsmåter',
    none: 'Ingen lagrede betalingsmåter.',
    card: (brand, last4) => `${brand} som slutter på ${last4}`,
    expires: (monthYear) => `utløper ${monthYear}`,
    expired: 'utløpt',
    carrier: (maskedPhone) => `Telefonregning, ${maskedPhone}`,
    isDefault: 'standard',
    unavailable: 'kan ikke lenger brukes',
    makeDefault: 'Gjør til standard',
    addNote: 'Du kan også lagre et kort eller telefonregningen når du betaler for noe.',
    addCard: 'Legg til kort',
  },
  agreements: {
    title: 'Faste betalinger',
    price: (amount, period) => `${amount} per ${period}`,
    renews: (at) => `fornyes ${at}`,
    ends: (at) => `stoppet, slutter ${at}`,
    pastDue: 'siste betaling feilet; vi prøver igjen',
    paidWith: (method) => `betales med ${method}`,
    stop: 'Stopp',
  },
  deleteSection: 'Slett konto',
  deleteIntro:
    'Når du sletter kontoen, fjernes personopplysningene dine for godt, og du logges ut av alle tjenester.',
  deleteLink: 'Slett kontoen min …',
  deleteTitle: 'Slette kontoen din?',
  deleteWarning:
    'Alle tjenester mister tilgangen, du logges ut overalt, og telefonnumrene, e-postadressene og navnet ditt ' +
    'blir uleselige for godt. Dette kan ikke angres.',
  deleteConfirmLabel: 'Jeg forstår at kontoen min og opplysningene i den slettes for godt',
  deleteButton: 'Slett kontoen min',
  deletedTitle: 'Kontoen er slettet',
  deleted: 'Kontoen din er slettet, og du er logget ut overalt.',
  signedOutTitle: 'Logget ut',
  signedOut: 'Du er logget ut av Tessera i denne nettleseren.',
  signInAgain: 'Logg inn igjen',
  notices: {
    profile_saved: 'Profilen din er lagret.',
    code_sent: 'Vi har sendt en kode.',
    identifier_verified: 'Bekreftet.',
    identifier_removed: 'Fjernet.',
    primary_changed: 'Primær er endret.',
    password_set: 'Passordet ditt er lagret.',
    password_removed: 'Passordet ditt er fjernet.',
    service_revoked: 'Tjenesten har ikke lenger tilgang til kontoen din.',
    session_ended: 'Den innloggingen er logget ut.',
    payment_method_default: 'Standard betalingsmåte er endret.',
    payment_method_removed: 'Betalingsmåten er fjernet.',
    payment_method_added: 'Kortet er lagret.',
    agreement_stopped: 'Den faste betalingen er stoppet. Det du har betalt for, varer ut perioden.',
  },
  errors: {
    csrf: 'Skjemaet er utløpt. Last inn siden på nytt og prøv igjen.',
    signin_failed: 'Innloggingen kunne ikke fullføres. Prøv igjen.',
    signin_denied: 'Du logget ikke inn.',
    password_mismatch: 'De to nye passordene er ulike.',
    wrong_password: 'Det nåværende passordet er feil.',
    invalid_password: 'Passordet må ha 8 til 256 tegn.',
    confirm_delete: 'Kryss av i boksen for å bekrefte at du vil slette kontoen.',
    taken: 'En annen konto bruker allerede dette. Logg inn med den kontoen og fjern det der først.',
    exists: 'Dette er allerede på kontoen din.',
    last_identifier:
      'Du kan ikke fjerne ditt siste bekreftede telefonnummer eller e-postadresse: legg til og bekreft et annet først.',
    not_verified: 'Bekreft det før du gjør det til primær.',
    too_many: 'Du har så mange av disse som en konto kan ha; fjern ett først.',
    invalid_phone:
      'Dette er ikke et gyldig mobilnummer. Bruk internasjonal form, for eksempel +47 412 34 567.',
    invalid_email: 'Dette er ikke en gyldig e-postadresse, for eksempel navn@eksempel.no.',
    wrong_code: 'Koden er feil eller brukt opp. Sjekk den, eller be om en ny.',
    code_expired: 'Koden er utløpt. Be om en ny.',
    throttled: (wait) => `En kode ble sendt nylig. Prøv igjen om ${wait}.`,
    delivery_failed: 'Vi fikk ikke sendt koden akkurat nå. Prøv igjen om litt.',
    invalid_name: 'Navnet kan ha høyst 200 tegn.',
    card_expired: 'Dette kortet er utløpt og kan derfor ikke være standard.',
    cardFormFailed: 'Kortet ble ikke lagret. Prøv å legge det til på nytt.',
    cardUnavailable: 'Kort kan ikke legges til akkurat nå.',
    agreementNotFound: 'Det finnes ingen slik fast betaling på kontoen din.',
    unexpected: 'Det oppstod en feil hos oss. Prøv igjen om litt.',
  },
};

const CATALOGUE: Readonly<Record<Locale, AccountStrings>> = { en, nb };

export function accountStrings(locale: Locale): AccountStrings {
  return CATALOGUE[locale];
}

/** A date and time as people of the locale write it, in UTC (the server knows no time zone). */
export function formatInstant(locale: Locale, at: Date): string {
  return (
    new Intl.DateTimeFormat(locale === 'nb' ? 'nb-NO' : 'en-GB', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'UTC',
    }).format(at) + ' UTC'
  );
}
