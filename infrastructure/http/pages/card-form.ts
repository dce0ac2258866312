/**
 * A page's round trip through the card provider's hosted form (the payment page, the agreement
 * page, the account page): the single-use state that goes out with the visitor and must come back
 * with the same session, and the form's origin, which the page's form-action has to allow.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import type { CardTokenizer } from '../../../application/ports/payment-provider.js';

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Longest state accepted back; ours are 43 characters. */
const MAX_STATE_LENGTH = 200;

/**
 * States bound to the session that started the visit (and to what the page needs back). Only a
 * digest of each state is stored, with a time to live; a state is redeemed once, so a reload or a
 * forged return finds nothing.
 */
export class CardFormStates<T extends { readonly sessionKey: string }> {
  constructor(
    private readonly store: EphemeralStore,
    private readonly namespace: string,
    private readonly ttlSeconds: number,
  ) {}

  /** A new state carrying `entry`, to hand to the card form. */
  async issue(entry: T): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    await this.store.set(this.namespace, digest(state), entry, { ttlSeconds: this.ttlSeconds });
    return state;
  }

  /**
   * The entry the returned `state` (a query value, unchecked) was issued with, when `belongs`
   * accepts it (the same session, the same payment); null otherwise or once it was redeemed.
   */
  async redeem(state: unknown, belongs: (entry: T) => boolean): Promise<T | null> {
    const text = typeof state === 'string' ? state.slice(0, MAX_STATE_LENGTH) : '';
    if (text === '') return null;
    const key = digest(text);
    const entry = await this.store.get<T>(this.namespace, key);
    if (entry === null || !belongs(entry.value)) return null;
    return (await this.store.consume(this.namespace, key)) ? entry.value : null;
  }
}

/** The card form's origin (null without a card provider); its URL is known once the server listens. */
export function cardFormOrigin(tokenizer: CardTokenizer | null): string | null {
  if (tokenizer === null) return null;
  return new URL(tokenizer.formUrl({ returnUrl: 'https://tessera.invalid/', state: 'origin' })).origin;
}
