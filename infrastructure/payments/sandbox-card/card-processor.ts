import type { Clock } from '../../../application/ports/clock.js';
import { SandboxControls } from '../sandbox-kit/api-router.js';
import { type Decision, PaymentsBook, randomId, SandboxApiError } from '../sandbox-kit/payments-book.js';
import type { WireAuthorizeBody, WireToken } from '../wire.js';
import { type CardBehaviour, type CardProblem, checkCard, DECLINE_MESSAGES, expired } from './cards.js';

/**
 * The sandbox card processor: a stand-in for a PSP, holding the cards its hosted form tokenised and
 * the payments made with them. It is a separate system from Tessera that happens to run in the
 * same process in embedded mode; Tessera reaches it only over HTTP, with its secret key.
 *
 * Storage is in memory (restart empties it) and bounded: at most `maxCards` cards (default 100 000)
 * and the payments book's limit. Card numbers stay here; the CVC is checked and dropped.
 */

export interface SandboxCardOptions {
  readonly clock: Clock;
  /** The secret key Tessera's adapter authenticates with. */
  readonly secretKey: string;
  /**
   * The base URL browsers reach this processor at (`https://pay.example/sandbox/card`); a function
   * when it is only known once a server listens.
   */
  readonly publicUrl: string | (() => string);
  /** Origins the hosted card form may redirect back to; anything else is refused (no open redirect). */
  readonly allowedReturnOrigins: readonly string[];
  readonly maxCards?: number;
  readonly maxPayments?: number;
}

/** A card as the processor keeps it: the number (it is the PSP), never the CVC. */
export interface StoredCard {
  readonly id: string;
  readonly pan: string;
  readonly brand: string;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly behaviour: CardBehaviour;
}

export class SandboxCardProcessor {
  readonly controls = new SandboxControls();
  readonly book: PaymentsBook;
  private readonly cards = new Map<string, StoredCard>();

  constructor(readonly options: SandboxCardOptions) {
    this.book = new PaymentsBook({
      prefix: 'pay',
      clock: options.clock,
      maxPayments: options.maxPayments,
      hooks: { decide: (request, now) => this.decide(request, now) },
      challengeUrl: (payment) =>
        `${this.publicUrl()}/challenge/${encodeURIComponent(payment.id)}?secret=${payment.challengeSecret ?? ''}`,
    });
  }

  publicUrl(): string {
    const url = this.options.publicUrl;
    return (typeof url === 'string' ? url : url()).replace(/\/+$/, '');
  }

  /** Tokenises what the hosted form received. The CVC is only checked. */
  tokenize(input: { number: string; expiry: string; cvc: string }): WireToken | { problem: CardProblem } {
    const checked = checkCard(input, this.options.clock.now());
    if ('problem' in checked) return checked;
    if (this.cards.size >= (this.options.maxCards ?? 100_000)) {
      throw new SandboxApiError(503, 'sandbox_full', 'The sandbox holds its maximum of cards; restart it');
    }
    const card: StoredCard = {
      id: randomId('pm'),
      pan: checked.pan,
      brand: checked.brand,
      last4: checked.pan.slice(-4),
      expMonth: checked.expiry.month,
      expYear: checked.expiry.year,
      behaviour: checked.behaviour,
    };
    this.cards.set(card.id, card);
    return tokenView(card);
  }

  token(id: string): WireToken {
    const card = this.cards.get(id);
    if (!card) throw new SandboxApiError(404, 'not_found', `No token ${id}`);
    return tokenView(card);
  }

  /** Every card held, for the sandbox's own tests. */
  storedCards(): readonly StoredCard[] {
    return [...this.cards.values()];
  }

  /** True for an absolute http(s) URL on an allowed origin. */
  returnUrlAllowed(url: string): boolean {
    try {
      const parsed = new URL(url);
      return (
        (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
        this.options.allowedReturnOrigins.includes(parsed.origin)
      );
    } catch {
      return false;
    }
  }

  private decide(request: WireAuthorizeBody, now: Date): Decision {
    if (request.method.type !== 'card') {
      throw new SandboxApiError(400, 'invalid_request', 'This processor takes cards only');
    }
    const card = this.cards.get(request.method.token);
    if (!card) return { outcome: 'declined', code: 'invalid_token', message: 'No such card token' };
    if (expired({ month: card.expMonth, year: card.expYear }, now)) {
      return { outcome: 'declined', code: 'expired_card', message: DECLINE_MESSAGES['expired_card']! };
    }
    switch (card.behaviour.kind) {
      case 'approve':
        return { outcome: 'authorized' };
      case 'challenge':
        return { outcome: 'requires_action' };
      case 'decline':
        return {
          outcome: 'declined',
          code: card.behaviour.code,
          message: DECLINE_MESSAGES[card.behaviour.code] ?? 'Declined',
        };
    }
  }
}

function tokenView(card: StoredCard): WireToken {
  return {
    object: 'token',
    id: card.id,
    brand: card.brand,
    last4: card.last4,
    exp_month: card.expMonth,
    exp_year: card.expYear,
  };
}
