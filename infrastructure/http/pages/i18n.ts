/**
 * Every text of the sign-in, consent and sign-out pages, in English and Norwegian Bokmål, in one catalogue.
 * Keeping both languages side by side in one typed object means a string added to one language and
 * forgotten in the other is a type error, not a blank on a page.
 */
import type { Scope } from '../../../domain/catalog/client-scopes.js';
import { LOCALES, type Locale } from '../../../application/signin/messages.js';

export type { Locale } from '../../../application/signin/messages.js';

export interface PageStrings {
  readonly brand: string;
  readonly signInTitle: string;
  readonly signInTo: (client: string) => string;
  readonly identifierLabel: string;
  readonly identifierHint: string;
  readonly continue: string;
  readonly codeTitle: string;
  readonly codeSent: (masked: string) => string;
  readonly codeLabel: string;
  readonly remember: string;
  readonly signIn: string;
  readonly resend: string;
  readonly useAnother: string;
  /** The password step of a sign-in at acr "2", and the page for an account without a password. */
  readonly passwordTitle: string;
  readonly passwordIntro: (client: string) => string;
  readonly passwordLabel: string;
  readonly noPasswordTitle: string;
  readonly noPassword: (client: string) => string;
  readonly noPasswordOptional: string;
  readonly noPasswordRequired: string;
  readonly continueWithoutPassword: string;
  readonly backTo: (client: string) => string;
  readonly consentTitle: string;
  readonly consentIntro: (client: string) => string;
  readonly consentNote: string;
  readonly allow: string;
  readonly deny: string;
  readonly scopes: Readonly<Record<Scope, string>>;
  readonly errorTitle: string;
  readonly errorBack: string;
  /** RP-initiated logout: the confirmation, its two answers, and the page after it. */
  readonly logoutTitle: string;
  readonly logoutFrom: (client: string) => string;
  readonly logoutNote: string;
  readonly logoutYes: string;
  readonly logoutNo: string;
  readonly loggedOutTitle: string;
  readonly loggedOut: string;
  readonly loggedOutOf: (client: string) => string;
  readonly errors: {
    readonly empty: string;
    readonly invalid_phone: string;
    readonly not_mobile: string;
    readonly invalid_email: string;
    readonly wrong_code: (attemptsLeft: number) => string;
    readonly expired: string;
    readonly too_many_attempts: string;
    readonly wrong_password: (attemptsLeft: number) => string;
    readonly locked: (wait: string) => string;
    readonly throttled: (wait: string) => string;
    readonly delivery_failed: string;
    readonly csrf: string;
    readonly account_locked: string;
    readonly session_expired: string;
    readonly unexpected: string;
  };
  /** "15 minutes", "30 seconds": how long someone has to wait. */
  readonly wait: (seconds: number) => string;
}

const en: PageStrings = {
  brand: 'Tessera',
  signInTitle: 'Sign in',
  signInTo: (client) => `Sign in to continue to ${client}.`,
  identifierLabel: 'Phone number or email',
  identifierHint: 'We send you a one-time code. New here? Your account is created when you enter the code.',
  continue: 'Continue',
  codeTitle: 'Enter the code',
  codeSent: (masked) => `Enter the code we sent to ${masked}.`,
  codeLabel: '6-digit code',
  remember: 'Stay signed in',
  signIn: 'Sign in',
  resend: 'Send a new code',
  useAnother: 'Use another phone number or email',
  passwordTitle: 'Password',
  passwordIntro: (client) => `${client} asks you to confirm with your password as well.`,
  passwordLabel: 'Password',
  noPasswordTitle: 'A password is needed',
  noPassword: (client) =>
    `${client} asks you to confirm with a password, but your account has none. ` +
    'A password must first be set up on your account page.',
  noPasswordOptional: 'You can continue without it this time.',
  noPasswordRequired: 'You cannot continue without it.',
  continueWithoutPassword: 'Continue without a password',
  backTo: (client) => `Back to ${client}`,
  consentTitle: 'Allow access?',
  consentIntro: (client) => `${client} asks to:`,
  consentNote: 'You can withdraw this access at any time on your account page.',
  allow: 'Allow',
  deny: 'Deny',
  scopes: {
    openid: 'Know who you are (a fixed identifier for your account)',
    profile: 'See your name and preferred language',
    email: 'See your email address',
    phone: 'See your phone number',
    offline_access: 'Keep access while you are not using it',
    'id.user.read': 'Read your account details',
    'id.user.write': 'Change your account details',
    'id.user.right.read': 'See your rights and subscriptions',
    'id.user.right.use': 'Record when you use what you have access to',
    'id.user.right.write': 'Grant and change your access to its services',
    'events.read': 'Follow changes to your access to its services',
    'payment.transactions.write': 'Start payments on your behalf',
    'reports.read': 'Read its own business reports',
  },
  errorTitle: 'Something went wrong',
  errorBack: 'Go back to the service you came from and try again.',
  logoutTitle: 'Sign out of Tessera?',
  logoutFrom: (client) => `You are signing out of ${client}.`,
  logoutNote: 'Signing out of Tessera ends your sign-in in this browser for every service that uses it.',
  logoutYes: 'Yes, sign out',
  logoutNo: 'No, stay signed in',
  loggedOutTitle: 'Signed out',
  loggedOut: 'You are signed out of Tessera.',
  loggedOutOf: (client) => `You are signed out of ${client}. You are still signed in to Tessera.`,
  errors: {
    empty: 'Enter a mobile phone number or an email address.',
    invalid_phone: 'This is not a valid phone number. Use the international form, such as +47 412 34 567.',
    not_mobile: 'This number cannot receive text messages. Enter a mobile number or an email address.',
    invalid_email: 'This is not a valid email address, such as name@example.com.',
    wrong_code: (n) =>
      n === 0
        ? 'That code is not right, and no attempts are left. Send a new code.'
        : `That code is not right. ${n} ${n === 1 ? 'attempt' : 'attempts'} left.`,
    expired: 'This code has expired or was already used. Send a new code.',
    too_many_attempts: 'Too many wrong attempts for this code. Send a new code.',
    wrong_password: (n) => `That password is not right. ${n} ${n === 1 ? 'attempt' : 'attempts'} left.`,
    locked: (wait) => `Too many wrong codes. Sign-in is paused; try again in ${wait}.`,
    throttled: (wait) => `Too many requests. Try again in ${wait}.`,
    delivery_failed: 'We could not send the code just now. Try again in a moment.',
    csrf: 'This form has expired. Reload the page and try again.',
    account_locked: 'Sign-in to this account is locked. Contact support.',
    session_expired: 'This sign-in has expired or was already completed.',
    unexpected: 'An unexpected error occurred. Try again in a moment.',
  },
  wait: (s) => {
    if (s < 60) return `${s} ${s === 1 ? 'second' : 'seconds'}`;
    const m = Math.ceil(s / 60);
    return `${m} ${m === 1 ? 'minute' : 'minutes'}`;
  },
};

const nb: PageStrings = {
  brand: 'Tessera',
  signInTitle: 'Logg inn',
  signInTo: (client) => `Logg inn for å fortsette til ${client}.`,
  identifierLabel: 'Telefonnummer eller e-post',
  identifierHint: 'Vi sender deg en engangskode. Ny her? Kontoen din opprettes når du skriver inn koden.',
  continue: 'Fortsett',
  codeTitle: 'Skriv inn koden',
  codeSent: (masked) => `Skriv inn koden vi sendte til ${masked}.`,
  codeLabel: 'Sekssifret kode',
  remember: 'Forbli innlogget',
  signIn: 'Logg inn',
  resend: 'Send ny kode',
  useAnother: 'Bruk et annet telefonnummer eller en annen e-postadresse',
  passwordTitle: 'Passord',
  passwordIntro: (client) => `${client} ber deg bekrefte med passordet ditt i tillegg.`,
  passwordLabel: 'Passord',
  noPasswordTitle: 'Passord kreves',
  noPassword: (client) =>
    `${client} ber deg bekrefte med passord, men kontoen din har ikke noe passord. ` +
    'Du må først opprette et passord på kontosiden din.',
  noPasswordOptional: 'Du kan fortsette uten denne gangen.',
  noPasswordRequired: 'Du kan ikke fortsette uten.',
  continueWithoutPassword: 'Fortsett uten passord',
  backTo: (client) => `Tilbake til ${client}`,
  consentTitle: 'Gi tilgang?',
  consentIntro: (client) => `${client} ber om å:`,
  consentNote: 'Du kan trekke tilbake tilgangen når som helst på kontosiden din.',
  allow: 'Tillat',
  deny: 'Avslå',
  scopes: {
    openid: 'Vite hvem du er (en fast identifikator for kontoen din)',
    profile: 'Se navnet ditt og hvilket språk du foretrekker',
    email: 'Se e-postadressen din',
    phone: 'Se telefonnummeret ditt',
    offline_access: 'Beholde tilgangen mens du ikke bruker tjenesten',
    'id.user.read': 'Lese kontoopplysningene dine',
    'id.user.write': 'Endre kontoopplysningene dine',
    'id.user.right.read': 'Se rettighetene og abonnementene dine',
    'id.user.right.use': 'Registrere når du bruker det du har tilgang til',
    'id.user.right.write': 'Gi og endre tilgangen din til tjenestene sine',
    'events.read': 'Følge endringer i tilgangen din til tjenestene sine',
    'payment.transactions.write': 'Starte betalinger på dine vegne',
    'reports.read': 'Lese sine egne forretningsrapporter',
  },
  errorTitle: 'Noe gikk galt',
  errorBack: 'Gå tilbake til tjenesten du kom fra, og prøv igjen.',
  logoutTitle: 'Logge ut av Tessera?',
  logoutFrom: (client) => `Du logger ut av ${client}.`,
  logoutNote:
    'Når du logger ut av Tessera, avsluttes innloggingen i denne nettleseren for alle tjenester som bruker den.',
  logoutYes: 'Ja, logg ut',
  logoutNo: 'Nei, forbli innlogget',
  loggedOutTitle: 'Logget ut',
  loggedOut: 'Du er logget ut av Tessera.',
  loggedOutOf: (client) => `Du er logget ut av ${client}. Du er fortsatt innlogget i Tessera.`,
  errors: {
    empty: 'Skriv inn et mobilnummer eller en e-postadresse.',
    invalid_phone:
      'Dette er ikke et gyldig telefonnummer. Bruk internasjonal form, for eksempel +47 412 34 567.',
    not_mobile: 'Dette nummeret kan ikke motta SMS. Skriv inn et mobilnummer eller en e-postadresse.',
    invalid_email: 'Dette er ikke en gyldig e-postadresse, for eksempel navn@eksempel.no.',
    wrong_code: (n) =>
      n === 0
        ? 'Koden er feil, og du har ingen forsøk igjen. Send en ny kode.'
        : `Koden er feil. Du har ${n} forsøk igjen.`,
    expired: 'Koden er utløpt eller allerede brukt. Send en ny kode.',
    too_many_attempts: 'For mange feil forsøk med denne koden. Send en ny kode.',
    wrong_password: (n) => `Passordet er feil. Du har ${n} forsøk igjen.`,
    locked: (wait) => `For mange feil koder. Innlogging er satt på pause; prøv igjen om ${wait}.`,
    throttled: (wait) => `For mange forespørsler. Prøv igjen om ${wait}.`,
    delivery_failed: 'Vi fikk ikke sendt koden akkurat nå. Prøv igjen om litt.',
    csrf: 'Skjemaet er utløpt. Last inn siden på nytt og prøv igjen.',
    account_locked: 'Innlogging til denne kontoen er sperret. Kontakt kundestøtte.',
    session_expired: 'Denne innloggingen er utløpt eller allerede fullført.',
    unexpected: 'Det oppstod en uventet feil. Prøv igjen om litt.',
  },
  wait: (s) => {
    if (s < 60) return `${s} ${s === 1 ? 'sekund' : 'sekunder'}`;
    const m = Math.ceil(s / 60);
    return `${m} ${m === 1 ? 'minutt' : 'minutter'}`;
  },
};

const CATALOGUE: Readonly<Record<Locale, PageStrings>> = { en, nb };

export function strings(locale: Locale): PageStrings {
  return CATALOGUE[locale];
}

/** A supported locale for one language tag, or null (`nb-NO`, `no` and `nn` read Bokmål). */
function supported(tag: string): Locale | null {
  const language = tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if (language === 'nb' || language === 'no' || language === 'nn') return 'nb';
  return (LOCALES as readonly string[]).includes(language) ? (language as Locale) : null;
}

/** Accept-Language tags, best first (ties keep their order; q=0 means "not this one"). */
function acceptedTags(header: string): string[] {
  return header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((t) => t.tag !== '' && t.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((t) => t.tag);
}

/**
 * The page language: the first supported tag of the request's `ui_locales` (space-separated, the
 * relying party's wish), then of Accept-Language (the browser's), then English.
 */
export function chooseLocale(uiLocales: string | undefined, acceptLanguage: string | undefined): Locale {
  const candidates = [...(uiLocales ?? '').split(/\s+/), ...acceptedTags(acceptLanguage ?? '')];
  for (const tag of candidates) {
    if (tag === '') continue;
    const locale = supported(tag);
    if (locale) return locale;
  }
  return 'en';
}
