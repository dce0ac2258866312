/**
 * Texts of the provider dashboard in English and Norwegian Bokmål, side by side in one typed
 * object, so a text added to one language and forgotten in the other is a type error.
 */
import type { Locale } from '../pages/i18n.js';

export interface DashboardStrings {
  readonly title: string;
  readonly provider: string;
  readonly from: string;
  readonly to: string;
  readonly show: string;
  readonly revenue: string;
  readonly revenueChart: string;
  readonly subscriptions: string;
  readonly subscriptionsChart: string;
  readonly conversion: string;
  readonly conversionChart: string;
  readonly gross: string;
  readonly refunds: string;
  readonly net: string;
  readonly vat: string;
  readonly active: string;
  readonly activeAtEnd: string;
  readonly new: string;
  readonly churned: string;
  readonly trialStarts: string;
  readonly trialConversions: string;
  readonly signedIn: string;
  readonly converted: string;
  readonly firstPurchases: string;
  readonly rate: string;
  readonly noRevenue: string;
  readonly download: string;
  readonly csv: (what: string) => string;
  readonly forbiddenTitle: string;
  readonly forbidden: string;
  readonly badPeriod: string;
  readonly signInFailed: string;
  readonly unexpected: string;
}

const en: DashboardStrings = {
  title: 'Provider dashboard',
  provider: 'Provider',
  from: 'From',
  to: 'To',
  show: 'Show',
  revenue: 'Revenue',
  revenueChart: 'Net revenue per day',
  subscriptions: 'Subscriptions',
  subscriptionsChart: 'Active, new and churned subscriptions per day',
  conversion: 'Sign-in to first purchase',
  conversionChart: 'Sign-ins and conversions per day',
  gross: 'Gross',
  refunds: 'Refunds',
  net: 'Net',
  vat: 'Net VAT',
  active: 'Active',
  activeAtEnd: 'Active at the end',
  new: 'New',
  churned: 'Churned',
  trialStarts: 'Trials started',
  trialConversions: 'Trials converted',
  signedIn: 'Signed in',
  converted: 'Converted',
  firstPurchases: 'First purchases',
  rate: 'Conversion rate',
  noRevenue: 'No revenue in this period.',
  download: 'Download',
  csv: (what) => `${what} (CSV)`,
  forbiddenTitle: 'No access',
  forbidden: 'This account may not read any provider’s reports. Ask the provider to give you access.',
  badPeriod: 'Choose a period of at most 366 days, with “from” not after “to”.',
  signInFailed: 'Signing in did not work. Please try again.',
  unexpected: 'Something went wrong. Please try again later.',
};

const nb: DashboardStrings = {
  title: 'Tilbyderoversikt',
  provider: 'Tilbyder',
  from: 'Fra',
  to: 'Til',
  show: 'Vis',
  revenue: 'Inntekter',
  revenueChart: 'Netto inntekter per dag',
  subscriptions: 'Abonnementer',
  subscriptionsChart: 'Aktive, nye og avsluttede abonnementer per dag',
  conversion: 'Fra innlogging til første kjøp',
  conversionChart: 'Innlogginger og konverteringer per dag',
  gross: 'Brutto',
  refunds: 'Refusjoner',
  net: 'Netto',
  vat: 'Netto mva.',
  active: 'Aktive',
  activeAtEnd: 'Aktive ved slutten',
  new: 'Nye',
  churned: 'Avsluttet',
  trialStarts: 'Prøveperioder startet',
  trialConversions: 'Prøveperioder konvertert',
  signedIn: 'Logget inn',
  converted: 'Konvertert',
  firstPurchases: 'Første kjøp',
  rate: 'Konverteringsrate',
  noRevenue: 'Ingen inntekter i denne perioden.',
  download: 'Last ned',
  csv: (what) => `${what} (CSV)`,
  forbiddenTitle: 'Ingen tilgang',
  forbidden: 'Denne kontoen har ikke tilgang til noen tilbyders rapporter. Be tilbyderen om tilgang.',
  badPeriod: 'Velg en periode på høyst 366 dager, der «fra» ikke er etter «til».',
  signInFailed: 'Innloggingen mislyktes. Prøv igjen.',
  unexpected: 'Noe gikk galt. Prøv igjen senere.',
};

export function dashboardStrings(locale: Locale): DashboardStrings {
  return locale === 'nb' ? nb : en;
}
