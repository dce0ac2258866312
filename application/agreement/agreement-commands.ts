import type { AgreementPlanOffer } from '../../domain/agreement/commands.js';
import { agreementDecider } from '../../domain/agreement/decider.js';
import type { Agreement } from '../../domain/agreement/state.js';
import { AgreementIdSchema, agreementStreamId } from '../../domain/agreement/values.js';
import { DomainError } from '../../domain/kernel/decider.js';
import type { Money } from '../../domain/shared/money.js';
import { CATALOG_PROJECTION, type ProductDoc } from '../../projections/catalog.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import type { PaymentMethodQueries } from '../payment-method/payment-method-queries.js';
import type { Views } from '../ports/views.js';
import type { ChargeOutcome } from './agreement-charger.js';
import { type AgreementRenewals, agreementNotFound } from './agreement-renewals.js';

/** What a provider asks for (POST /v1/agreements). */
export interface CreateAgreementInput {
  /** A subscription plan of the provider's catalog. */
  readonly sku: string;
  /** The user who must confirm, when the provider knows them. */
  readonly sub?: string;
  readonly price?: Money;
  readonly recurrence?: string;
  readonly trial?: string | null;
  readonly firstPayment?: boolean;
  readonly successRedirect: string;
  readonly cancelRedirect: string;
  /** The client that makes the agreement. */
  readonly createdBy: string;
}

export interface AgreementWriteResult {
  readonly agreementId: string;
  /** Global log position of the write (pass as `minPosition`); null when nothing was recorded. */
  readonly position: number | null;
  readonly deduplicated: boolean;
  readonly agreement: Agreement;
}

/** How a confirmation went: confirmed (and, with a first payment, paid), or what stands in the way. */
export interface ConfirmOutcome {
  readonly agreement: Agreement;
  /** The first payment's try at confirmation; null with a trial (nothing is charged yet). */
  readonly charge: ChargeOutcome | null;
}

export interface AgreementCommandsDeps {
  readonly handler: CommandHandler;
  readonly views: Views;
  readonly renewals: AgreementRenewals;
  readonly methods: Pick<PaymentMethodQueries, 'chargeableMethod'>;
}

/** The subscription an agreement drives: its id is the agreement's, so a retry never starts another. */
export const agreementSubscriptionId = (agreementId: string) => agreementId;

/**
 * Write side of charging agreements. A provider creates one (scoped to the provider: another's is
 * `agreement_not_found`); its user confirms it on the hosted page with a saved method before its
 * deadline (`confirmBy`, from the renewal settings' pending lifetime), which pays the first period
 * at once when the agreement says so; the provider or the user stops it. Every transition is the
 * ChargingAgreement decider's; charging is the renewal process's.
 */
export class AgreementCommands {
  constructor(private readonly deps: AgreementCommandsDeps) {}

  async create(
    providerId: string,
    input: CreateAgreementInput,
    ctx: CommandContext,
    options: { readonly idempotencyKey?: string } = {},
  ): Promise<AgreementWriteResult> {
    const plan = await this.plan(providerId, input.sku);
    const agreementId = newId();
    const key = options.idempotencyKey;
    const result = await this.deps.handler.handle(
      agreementDecider,
      agreementStreamId(agreementId),
      {
        type: 'CreateAgreement',
        agreementId,
        providerId,
        createdBy: input.createdBy,
        plan,
        successRedirect: input.successRedirect,
        cancelRedirect: input.cancelRedirect,
        pendingLifetimeMs: this.deps.renewals.settings.pendingLifetimeMs,
        ...(input.sub === undefined ? {} : { sub: input.sub }),
        ...(input.price === undefined ? {} : { price: input.price }),
        ...(input.recurrence === undefined ? {} : { recurrence: input.recurrence }),
        ...(input.trial === undefined ? {} : { trial: input.trial }),
        ...(input.firstPayment === undefined ? {} : { firstPayment: input.firstPayment }),
      },
      ctx,
      key === undefined
        ? {}
        : {
            idempotency: {
              key,
              scope: `agreements:${providerId}`,
              request: { op: 'createAgreement', providerId, ...input },
            },
          },
    );
    const agreement = result.state;
    if (agreement.status === 'none') throw agreementNotFound();
    return {
      agreementId: agreement.agreementId,
      position: result.position,
      deduplicated: result.deduplicated,
      agreement,
    };
  }

  /**
   * The user agrees with one of their saved methods (checked chargeable now). With a first
   * payment the period is charged at once while the user is on the page: a decline leaves the
   * agreement pending for another try; a challenge is handed back. With a trial the subscription
   * starts at once and the first charge comes before the trial ends.
   */
  async confirm(
    agreementId: string,
    sub: string,
    methodId: string,
    ctx: CommandContext,
  ): Promise<ConfirmOutcome> {
    const before = await this.load(agreementId);
    const method = await this.deps.methods.chargeableMethod(sub, methodId);
    await this.deps.renewals.decide(
      before.agreementId,
      {
        type: 'ConfirmAgreement',
        sub,
        methodId: method.methodId,
        methodLabel: method.label,
        subscriptionId: agreementSubscriptionId(before.agreementId),
      },
      ctx,
    );
    const step = await this.deps.renewals.advance(before.agreementId, ctx);
    return { agreement: step.agreement, charge: step.charge };
  }

  /** The provider stops charging (a pending agreement is canceled); the subscription ends with its paid period. */
  async stop(providerId: string, agreementId: string, by: string, ctx: CommandContext, reason?: string) {
    const a = await this.load(agreementId);
    if (a.providerId !== providerId) throw agreementNotFound();
    return this.stopAndWind(
      a,
      { type: 'StopAgreement', by: { kind: 'provider', id: by }, ...(reason ? { reason } : {}) },
      ctx,
    );
  }

  /**
   * The user stops their agreement, or cancels one they have not confirmed yet if it names them
   * (an agreement that names nobody is refused: `agreement_not_named`).
   */
  async stopByUser(sub: string, agreementId: string, ctx: CommandContext) {
    const a = await this.load(agreementId);
    return this.stopAndWind(a, { type: 'StopAgreement', by: { kind: 'user', id: sub } }, ctx);
  }

  private async stopAndWind(
    a: Agreement,
    command: { type: 'StopAgreement'; by: { kind: 'provider' | 'user'; id: string }; reason?: string },
    ctx: CommandContext,
  ): Promise<AgreementWriteResult> {
    const result = await this.deps.handler.handle(
      agreementDecider,
      agreementStreamId(a.agreementId),
      command,
      ctx,
    );
    // Schedule the subscription's end right away rather than at the next tick.
    const { agreement } = await this.deps.renewals.advance(a.agreementId, ctx);
    return { agreementId: a.agreementId, position: result.position, deduplicated: false, agreement };
  }

  /** Whether the agreement can no longer be confirmed because its deadline passed (recorded or not). */
  confirmationExpired(a: Agreement): boolean {
    return this.deps.renewals.confirmationExpired(a);
  }

  /** The agreement from its log. */
  async load(agreementId: string): Promise<Agreement> {
    if (!AgreementIdSchema.safeParse(agreementId).success) throw agreementNotFound();
    return this.deps.renewals.load(agreementId);
  }

  private async plan(providerId: string, sku: string): Promise<AgreementPlanOffer> {
    const page = await this.deps.views
      .view<ProductDoc>(CATALOG_PROJECTION, 'products')
      .find({ where: { providerId, sku }, limit: 1 });
    const p = page.items[0];
    if (!p)
      throw new DomainError('invalid', 'plan_not_found', `sku: no product "${sku}" in this catalog.`, 'sku');
    return {
      productId: p.id,
      providerId: p.providerId,
      sku: p.sku,
      name: p.name,
      kind: p.kind,
      price: p.price,
      vatRate: p.vatRate,
      period: p.period,
      trial: p.trial,
      status: p.status,
    };
  }
}
