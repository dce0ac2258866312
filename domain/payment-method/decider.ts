import { z } from 'zod';
import { type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type {
  PaymentMethodCommand,
  RemovePaymentMethod,
  SaveCard,
  SaveCarrier,
  SetDefaultPaymentMethod,
} from './commands.js';
import {
  DefaultPaymentMethodSet,
  type PaymentMethodEvent,
  PaymentMethodRemoved,
  PaymentMethodSaved,
} from './events.js';
import {
  cardExpired,
  MAX_PAYMENT_METHODS,
  PaymentMethodIdSchema,
  type SavedCard,
  SavedCardSchema,
  type SavedCarrier,
  SavedCarrierSchema,
} from './values.js';

/**
 * The wallet: all saved payment methods of one user, as ONE aggregate (stream `wallet-<sub>`).
 *
 * Why one stream per user rather than one per method: every rule here spans the user's methods —
 * at most MAX_PAYMENT_METHODS, the same card or phone never saved twice, exactly one default at a
 * time. Inside one stream the expected-revision append enforces them without cross-stream
 * reservations, and a wallet is tiny (a handful of methods, changed by one person), so contention
 * and stream length are no concern. The payment flow reads one stream to find what to charge.
 *
 * Defaults: a saved method becomes the default when the user asks, or when the wallet has none (the
 * first card saved is the one one-click uses). Removing the default leaves the wallet WITHOUT a
 * default: one-click charges the default without asking, so it must never silently move to a card
 * the person did not choose; the payment page asks instead. An expired card cannot be made the
 * default (nor saved); expiry is derived from the clock, never recorded.
 */

export type WalletMethod =
  | { readonly methodId: string; readonly kind: 'card'; readonly card: SavedCard }
  | { readonly methodId: string; readonly kind: 'carrier'; readonly carrier: SavedCarrier };

export interface WalletState {
  /** The owner, once anything was saved. */
  readonly sub: string | null;
  /** Methods in use, oldest first. */
  readonly methods: readonly WalletMethod[];
  /** Ids of removed methods: never reused, removal is final. */
  readonly removed: readonly string[];
  readonly defaultId: string | null;
}

export function findMethod(state: WalletState, methodId: string): WalletMethod | undefined {
  return state.methods.find((m) => m.methodId === methodId);
}

const Sub = z.uuid();

function notFound(): DomainError {
  return new DomainError('not_found', 'payment_method_not_found', 'No such saved payment method.');
}

function expiredError(): DomainError {
  return new DomainError('invalid', 'card_expired', 'This card has expired.', 'card');
}

/** Same identity as an existing method: the same token or card fingerprint, or the same phone. */
function sameAs(method: WalletMethod, candidate: WalletMethod): boolean {
  if (method.kind === 'card' && candidate.kind === 'card') {
    const a = method.card;
    const b = candidate.card;
    return (
      a.tokenHash === b.tokenHash ||
      (a.fingerprintHash !== undefined && a.fingerprintHash === b.fingerprintHash)
    );
  }
  if (method.kind === 'carrier' && candidate.kind === 'carrier')
    return method.carrier.phoneHash === candidate.carrier.phoneHash;
  return false;
}

function checkOwner(sub: string, state: WalletState): void {
  ensureValid(Sub, sub, 'sub', 'invalid_sub');
  if (state.sub !== null && state.sub !== sub)
    throw new DomainError('conflict', 'wallet_owner_mismatch', 'This wallet belongs to another user.');
}

function candidateOf(command: SaveCard | SaveCarrier): WalletMethod {
  const methodId = ensureValid(PaymentMethodIdSchema, command.methodId, 'methodId', 'invalid_method_id');
  return command.type === 'SaveCard'
    ? { methodId, kind: 'card', card: ensureValid(SavedCardSchema, command.card, 'card', 'invalid_card') }
    : {
        methodId,
        kind: 'carrier',
        carrier: ensureValid(SavedCarrierSchema, command.carrier, 'carrier', 'invalid_carrier'),
      };
}

function decideSave(command: SaveCard | SaveCarrier, state: WalletState, now: Date): PaymentMethodEvent[] {
  checkOwner(command.sub, state);
  const candidate = candidateOf(command);
  const { methodId } = candidate;
  const existing = findMethod(state, methodId);
  // A retry of the same save (same id, same token or phone) records nothing new.
  if (existing && existing.kind === candidate.kind && sameAs(existing, candidate)) return [];
  if (existing || state.removed.includes(methodId))
    throw new DomainError('conflict', 'payment_method_id_taken', 'This payment method id is already used.');
  if (candidate.kind === 'card' && cardExpired(candidate.card, now)) throw expiredError();
  if (state.methods.some((m) => sameAs(m, candidate))) {
    throw new DomainError(
      'conflict',
      'payment_method_exists',
      candidate.kind === 'card' ? 'This card is already saved.' : 'This phone is already saved for billing.',
    );
  }
  if (state.methods.length >= MAX_PAYMENT_METHODS) {
    throw new DomainError(
      'conflict',
      'wallet_full',
      `At most ${MAX_PAYMENT_METHODS} payment methods can be saved; remove one first.`,
    );
  }
  const saved =
    candidate.kind === 'card'
      ? PaymentMethodSaved({ sub: command.sub, methodId, kind: 'card', card: candidate.card })
      : PaymentMethodSaved({ sub: command.sub, methodId, kind: 'carrier', carrier: candidate.carrier });
  const events: PaymentMethodEvent[] = [saved];
  if (command.makeDefault === true || state.defaultId === null) {
    events.push(DefaultPaymentMethodSet({ sub: command.sub, methodId, previousMethodId: state.defaultId }));
  }
  return events;
}

function decideSetDefault(
  command: SetDefaultPaymentMethod,
  state: WalletState,
  now: Date,
): PaymentMethodEvent[] {
  const method = findMethod(state, command.methodId);
  if (!method || state.sub === null) throw notFound();
  if (state.defaultId === method.methodId) return [];
  if (method.kind === 'card' && cardExpired(method.card, now)) throw expiredError();
  return [
    DefaultPaymentMethodSet({ sub: state.sub, methodId: method.methodId, previousMethodId: state.defaultId }),
  ];
}

function decideRemove(command: RemovePaymentMethod, state: WalletState): PaymentMethodEvent[] {
  if (state.removed.includes(command.methodId)) return [];
  const method = findMethod(state, command.methodId);
  if (!method || state.sub === null) throw notFound();
  return [
    PaymentMethodRemoved({
      sub: state.sub,
      methodId: method.methodId,
      wasDefault: state.defaultId === method.methodId,
    }),
  ];
}

export function evolveWallet(state: WalletState, event: PaymentMethodEvent): WalletState {
  switch (event.type) {
    case 'PaymentMethodSaved': {
      const d = event.data;
      const method: WalletMethod =
        d.kind === 'card'
          ? { methodId: d.methodId, kind: 'card', card: d.card }
          : { methodId: d.methodId, kind: 'carrier', carrier: d.carrier };
      return { ...state, sub: d.sub, methods: [...state.methods, method] };
    }
    case 'DefaultPaymentMethodSet':
      return { ...state, defaultId: event.data.methodId };
    case 'PaymentMethodRemoved': {
      const { methodId } = event.data;
      return {
        ...state,
        methods: state.methods.filter((m) => m.methodId !== methodId),
        removed: [...state.removed, methodId],
        defaultId: state.defaultId === methodId ? null : state.defaultId,
      };
    }
  }
}

export const walletDecider: Decider<WalletState, PaymentMethodCommand, PaymentMethodEvent> = {
  initialState: () => ({ sub: null, methods: [], removed: [], defaultId: null }),
  evolve: evolveWallet,
  decide(command, state, { now }) {
    switch (command.type) {
      case 'SaveCard':
      case 'SaveCarrier':
        return decideSave(command, state, now);
      case 'SetDefaultPaymentMethod':
        return decideSetDefault(command, state, now);
      case 'RemovePaymentMethod':
        return decideRemove(command, state);
    }
  },
};
