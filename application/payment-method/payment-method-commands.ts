import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { PaymentMethodCommand } from '../../domain/payment-method/commands.js';
import { walletDecider } from '../../domain/payment-method/decider.js';
import {
  CardFingerprintSchema,
  CardTokenSchema,
  maskPhone,
  WALLET_HASH_PURPOSE,
  walletStreamId,
} from '../../domain/payment-method/values.js';
import { ensureValid } from '../../domain/shared/validate.js';
import type { ActiveUser } from '../../domain/user/state.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import {
  PERSONAL_DATA_VAULT,
  type PersonalDataVault,
  SubjectErasedError,
} from '../ports/personal-data-vault.js';
import { PORTS } from '../tokens.js';
import { normaliseIdentifier } from '../user/identifiers.js';
import { USER_SETTINGS, type UserSettings } from '../user/settings.js';
import { loadActiveUser, verifiedPhone } from './wallet-owner.js';

/**
 * A card to save, exactly as the card provider described its token server to server
 * (CardTokenizer.describeToken), never as a browser redirect reported it: a payer can edit a URL.
 */
export interface SaveCardInput {
  readonly token: string;
  readonly brand: string;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  /** The provider's card fingerprint (the same card tokenised twice), when it gives one. */
  readonly fingerprint?: string;
  readonly makeDefault?: boolean;
  /** The caller's id for the method, so a retried save is recorded once; generated when absent. */
  readonly methodId?: string;
}

export interface SaveCarrierInput {
  /** One of the account's verified phones, in any format; the primary phone when absent. */
  readonly phone?: string;
  readonly makeDefault?: boolean;
  readonly methodId?: string;
}

export interface PaymentMethodWriteResult {
  readonly methodId: string;
  /** Global log position of the write (pass as `minPosition`); null when nothing changed. */
  readonly position: number | null;
  /** Whether the method is the wallet's default after the command. */
  readonly isDefault: boolean;
}

function phoneNotVerified(): DomainError {
  return new DomainError(
    'invalid',
    'phone_not_verified',
    'phone: must be a verified phone number on this account.',
    'phone',
  );
}

/**
 * Write side of a user's saved payment methods (the wallet, domain/payment-method). The card token
 * and the phone are sealed under the user's vault key and hashed with the vault's keyed hash before
 * they reach a command, so the log never holds either in clear and erasure makes every saved method
 * unchargeable. A carrier method must be one of the account's verified phones.
 */
@injectable()
export class PaymentMethodCommands {
  constructor(
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @inject(USER_SETTINGS) private readonly settings: UserSettings,
  ) {}

  private async seal(sub: string, clear: string): Promise<string> {
    try {
      return await this.vault.encrypt(sub, clear);
    } catch (err) {
      if (err instanceof SubjectErasedError)
        throw new DomainError('not_found', 'user_erased', 'This account has been deleted.');
      throw err;
    }
  }

  private async run(
    sub: string,
    methodId: string,
    command: PaymentMethodCommand,
    ctx: CommandContext,
  ): Promise<PaymentMethodWriteResult> {
    const result = await this.handler.handle(walletDecider, walletStreamId(sub), command, ctx);
    return { methodId, position: result.position, isDefault: result.state.defaultId === methodId };
  }

  /** Saves a tokenised card. Refuses an expired card, a card already saved, and a full wallet. */
  async saveCard(sub: string, input: SaveCardInput, ctx: CommandContext): Promise<PaymentMethodWriteResult> {
    const token = ensureValid(CardTokenSchema, input.token, 'token', 'invalid_card');
    const fingerprint =
      input.fingerprint === undefined
        ? undefined
        : ensureValid(CardFingerprintSchema, input.fingerprint, 'fingerprint', 'invalid_card');
    await loadActiveUser(this.handler, sub);
    const methodId = input.methodId ?? newId();
    const card = {
      token: await this.seal(sub, token),
      tokenHash: this.vault.keyedHash(WALLET_HASH_PURPOSE.cardToken, token),
      ...(fingerprint === undefined
        ? {}
        : { fingerprintHash: this.vault.keyedHash(WALLET_HASH_PURPOSE.cardFingerprint, fingerprint) }),
      brand: input.brand,
      last4: input.last4,
      expMonth: input.expMonth,
      expYear: input.expYear,
    };
    return this.run(
      sub,
      methodId,
      { type: 'SaveCard', sub, methodId, card, ...(input.makeDefault ? { makeDefault: true } : {}) },
      ctx,
    );
  }

  /** Saves a verified phone of the account (by default its primary phone) for carrier billing. */
  async saveCarrier(
    sub: string,
    input: SaveCarrierInput,
    ctx: CommandContext,
  ): Promise<PaymentMethodWriteResult> {
    const user = await loadActiveUser(this.handler, sub);
    const { e164, hash } = await this.phoneOf(user, input.phone);
    const methodId = input.methodId ?? newId();
    const carrier = { phone: await this.seal(sub, e164), phoneHash: hash, masked: maskPhone(e164) };
    return this.run(
      sub,
      methodId,
      { type: 'SaveCarrier', sub, methodId, carrier, ...(input.makeDefault ? { makeDefault: true } : {}) },
      ctx,
    );
  }

  private async phoneOf(
    user: ActiveUser,
    phone: string | undefined,
  ): Promise<{ e164: string; hash: string }> {
    if (phone !== undefined) {
      const identifier = normaliseIdentifier(
        this.vault,
        { kind: 'phone', value: phone },
        this.settings.defaultCountry,
      );
      if (!verifiedPhone(user, identifier.hash)) throw phoneNotVerified();
      return { e164: identifier.value, hash: identifier.hash };
    }
    const primary = user.primaryPhone === null ? undefined : verifiedPhone(user, user.primaryPhone);
    if (!primary) throw phoneNotVerified();
    const e164 = await this.vault.decrypt(user.userId, primary.sealed);
    if (e164 === null) throw new DomainError('not_found', 'user_erased', 'This account has been deleted.');
    return { e164, hash: primary.hash };
  }

  /** Makes the method the default one-click and renewals charge. Refuses an expired card. */
  async setDefault(sub: string, methodId: string, ctx: CommandContext): Promise<PaymentMethodWriteResult> {
    return this.run(sub, methodId, { type: 'SetDefaultPaymentMethod', methodId }, ctx);
  }

  /** Removes the method (idempotent). Removing the default leaves the wallet without one. */
  async remove(sub: string, methodId: string, ctx: CommandContext): Promise<PaymentMethodWriteResult> {
    return this.run(sub, methodId, { type: 'RemovePaymentMethod', methodId }, ctx);
  }
}
