import { DomainError } from '../../domain/kernel/decider.js';
import type { AgreementStatus } from '../../domain/agreement/values.js';
import { AGREEMENTS_PROJECTION, type AgreementDoc } from '../../projections/agreements.js';
import type { Page } from '../ports/read-model-store.js';
import type { Views } from '../ports/views.js';

const notFound = () => new DomainError('not_found', 'agreement_not_found', 'No such charging agreement.');

/** Read side of charging agreements, from the `agreements` projection. */
export class AgreementQueries {
  constructor(private readonly views: Views) {}

  private agreements() {
    return this.views.view<AgreementDoc>(AGREEMENTS_PROJECTION, 'agreements');
  }

  /** Any agreement by id (the hosted page checks the user itself), or null. */
  async find(agreementId: string): Promise<AgreementDoc | null> {
    return this.agreements().get(agreementId);
  }

  /** One of the provider's agreements; another provider's is `agreement_not_found`. */
  async get(providerId: string, agreementId: string): Promise<AgreementDoc> {
    const doc = await this.find(agreementId);
    if (doc === null || doc.providerId !== providerId) throw notFound();
    return doc;
  }

  /** The provider's agreements, newest first, optionally of one user or in one status. */
  async listForProvider(
    providerId: string,
    options: {
      readonly sub?: string;
      readonly status?: AgreementStatus;
      readonly limit?: number;
      readonly cursor?: string;
    } = {},
  ): Promise<Page<AgreementDoc>> {
    return this.agreements().find({
      where: {
        providerId,
        ...(options.sub === undefined ? {} : { sub: options.sub }),
        ...(options.status === undefined ? {} : { status: options.status }),
      },
      sort: { field: 'createdAt', direction: 'desc' },
      limit: options.limit ?? 50,
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    });
  }

  /** The user's agreements at every provider, newest first (the account page). */
  async listForUser(sub: string): Promise<AgreementDoc[]> {
    const page = await this.agreements().find({
      where: { sub },
      sort: { field: 'createdAt', direction: 'desc' },
      limit: 200,
    });
    return page.items;
  }
}
