import type { Actor } from '../../domain/kernel/event.js';
import { formatMoney, type Money } from '../../domain/shared/money.js';

/**
 * Small English phrasing helpers shared by the timeline's describers: dates, periods, money and
 * payment methods as a support agent reads them aloud to a customer.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "1 Mar 2026" (UTC), or "1 Mar 2026 14:05 UTC" when the instant is not at midnight. */
export function day(iso: string): string {
  const d = new Date(iso);
  const date = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  const h = d.getUTCHours();
  const m = d.getUTCMinutes();
  if (h === 0 && m === 0) return date;
  return `${date} ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')} UTC`;
}

/** "1 Mar–1 Apr 2026"; open-ended intervals say "from 1 Mar 2026, without end". */
export function period(from: string, until: string | null): string {
  if (until === null) return `from ${day(from)}, without end`;
  const a = new Date(from);
  const b = new Date(until);
  const sameYear = a.getUTCFullYear() === b.getUTCFullYear();
  const start = day(from);
  const shortStart = sameYear && !start.includes(':') ? start.replace(/ \d{4}$/, '') : start;
  return `${shortStart}–${day(until)}`;
}

export function amount(m: Money): string {
  return formatMoney(m);
}

/**
 * A payment method reference as recorded on a transaction, for a person: a card
 * (`tok_… Visa **** 4242 12/30`) becomes "Visa •••• 4242"; carrier billing names the masked phone.
 */
export function methodText(method: { readonly kind: string; readonly reference: string }): string {
  if (method.kind === 'carrier') return `phone bill ${method.reference}`;
  const card = /(\S+) \*{4} (\d{4})/.exec(method.reference);
  return card ? `${card[1]} •••• ${card[2]}` : 'card';
}

/** A saved card as its owner knows it. */
export function cardText(card: { readonly brand: string; readonly last4: string }): string {
  return `${card.brand} •••• ${card.last4}`;
}

/** Who did it, in words: "the user", "client 0190…", "support agent 0190…", "Tessera (scheduler)". */
export function actorText(actor: Actor, names: { readonly clientName?: string | null } = {}): string {
  switch (actor.kind) {
    case 'user':
      return 'the user';
    case 'client':
      return `client ${names.clientName ?? actor.id}`;
    case 'support':
      return `support agent ${actor.id}`;
    case 'system':
      return `Tessera (${actor.id})`;
  }
}

export function list(items: readonly string[]): string {
  return items.length === 0 ? 'nothing' : items.join(', ');
}
