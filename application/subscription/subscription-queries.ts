import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { SUBSCRIPTIONS_PROJECTION, type SubscriptionDoc } from '../../projections/subscriptions.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';

/** A user's subscriptions at one provider are few; one page holds them. */
const LIMIT = 1000;

/** Read side of subscriptions, from the `subscriptions` projection, scoped to a provider. */
@injectable()
export class SubscriptionQueries {
  constructor(@inject(PORTS.Views) private readonly views: Views) {}

  private subscriptions() {
    return this.views.view<SubscriptionDoc>(SUBSCRIPTIONS_PROJECTION, 'subscriptions');
  }

  /** One of the provider's subscriptions; another provider's is `subscription_not_found`. */
  async get(providerId: string, subscriptionId: string): Promise<SubscriptionDoc> {
    const doc = await this.subscriptions().get(subscriptionId);
    if (!doc || doc.providerId !== providerId) {
      throw new DomainError('not_found', 'subscription_not_found', 'No such subscription.');
    }
    return doc;
  }

  /** The user's subscriptions at the provider, newest first. */
  async listForUser(sub: string, providerId: string): Promise<SubscriptionDoc[]> {
    const page = await this.subscriptions().find({ where: { sub, providerId }, limit: LIMIT });
    return [...page.items].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }
}
