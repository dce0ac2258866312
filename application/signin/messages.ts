/**
 * Every text of a one-time-code message, in one place, per locale. The code comes first in the SMS
 * so phones can offer it for autofill, and the expiry is stated so nobody waits for a dead code.
 */

export type Locale = 'en' | 'nb';

export const LOCALES: readonly Locale[] = ['en', 'nb'];

interface Catalogue {
  readonly sms: (code: string, minutes: number) => string;
  readonly subject: (code: string) => string;
  readonly body: (code: string, minutes: number) => string;
  readonly ignore: string;
}

const CATALOGUE: Readonly<Record<Locale, Catalogue>> = {
  en: {
    sms: (code, minutes) =>
      `Your Tessera code is ${code}. It expires in ${minutes} ${plural(minutes, 'minute')}.`,
    subject: (code) => `Your Tessera code is ${code}`,
    body: (code, minutes) =>
      `Your Tessera code is ${code}. Enter it on the sign-in page within ${minutes} ${plural(minutes, 'minute')}.`,
    ignore: 'If you did not ask for this code, you can ignore this message.',
  },
  nb: {
    sms: (code, minutes) => `Din Tessera-kode er ${code}. Den utløper om ${minutes} ${minutesNb(minutes)}.`,
    subject: (code) => `Din Tessera-kode er ${code}`,
    body: (code, minutes) =>
      `Din Tessera-kode er ${code}. Skriv den inn på innloggingssiden innen ${minutes} ${minutesNb(minutes)}.`,
    ignore: 'Hvis du ikke ba om denne koden, kan du se bort fra denne meldingen.',
  },
};

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function minutesNb(n: number): string {
  return n === 1 ? 'minutt' : 'minutter';
}

/**
 * Maps a language tag (`nb`, `nb-NO`, `no`, `nn`, `en-GB`, …) to a supported locale; anything else
 * is English. Norwegian Nynorsk readers get Bokmål rather than English.
 */
export function toLocale(tag: string | undefined): Locale {
  const language = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return language === 'nb' || language === 'no' || language === 'nn' ? 'nb' : 'en';
}

export function codeSms(locale: Locale, code: string, minutes: number): string {
  return CATALOGUE[locale].sms(code, minutes);
}

export interface CodeEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export function codeEmail(locale: Locale, code: string, minutes: number): CodeEmail {
  const c = CATALOGUE[locale];
  const lines = [c.body(code, minutes), c.ignore];
  return {
    subject: c.subject(code),
    text: lines.join('\n\n'),
    html: `<!doctype html><html lang="${locale}"><body>${lines
      .map((line) => `<p>${escapeHtml(line)}</p>`)
      .join('')}</body></html>`,
  };
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
