import { inject, injectable } from 'inversify';
import { CONSENTS_PROJECTION, type ConsentDoc, consentDocId } from '../../projections/consents.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import type { CommandHandler } from '../kernel/command-handler.js';
import { consentDecider, consentStreamId } from '../../domain/consent/decider.js';
import { ClientQueries } from '../catalog/client-queries.js';

/** An active consent as the user sees it among their connected services. */
export interface ConsentView {
  readonly clientId: string;
  /** The client's display name (its id when the client is no longer registered). */
  readonly clientName: string;
  readonly logoUri: string | null;
  readonly providerId: string;
  readonly scopes: readonly string[];
  readonly claims: readonly string[];
  readonly grantedAt: string;
  readonly updatedAt: string;
}

/** A user has few connected services; they are read in pages of this size. */
const PAGE = 200;

/** Read side of consents, from the `consents` projection joined with the clients read model. */
@injectable()
export class ConsentQueries {
  constructor(
    @inject(PORTS.Views) private readonly views: Views,
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(ClientQueries) private readonly clients: Pick<ClientQueries, 'findForAuthorization'>,
  ) {}

  private consents() {
    return this.views.view<ConsentDoc>(CONSENTS_PROJECTION, 'consents');
  }

  /** The user's consent to the client as recorded (active, revoked or denied), or null. */
  async get(sub: string, clientId: string): Promise<ConsentDoc | null> {
    return this.consents().get(consentDocId(sub, clientId));
  }

  /** The scopes the user has granted the client, or null without an active consent. */
  async consentedScopes(sub: string, clientId: string): Promise<readonly string[] | null> {
    const doc = await this.get(sub, clientId);
    return doc?.status === 'active' ? doc.scopes : null;
  }

  /**
   * The same answer as consentedScopes, from the consent's own event stream rather than the read
   * model: for the authorization server, which must never act on a consent revoked a moment ago.
   */
  async currentScopes(sub: string, clientId: string): Promise<readonly string[] | null> {
    const { state } = await this.handler.load(consentDecider, consentStreamId(sub, clientId));
    return state.status === 'active' ? state.scopes : null;
  }

  /** The user's active consents, oldest first, with each client's display name and logo. */
  async listForUser(sub: string): Promise<ConsentView[]> {
    const docs: ConsentDoc[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.consents().find({
        where: { sub, status: 'active' },
        sort: { field: 'grantedAt', direction: 'asc' },
        limit: PAGE,
        ...(cursor === null ? {} : { cursor }),
      });
      docs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return Promise.all(
      docs.map(async (doc) => {
        const client = await this.clients.findForAuthorization(doc.clientId);
        return {
          clientId: doc.clientId,
          clientName: client?.name ?? doc.clientId,
          logoUri: client?.logoUri ?? null,
          providerId: doc.providerId,
          scopes: doc.scopes,
          claims: doc.claims,
          grantedAt: doc.grantedAt ?? doc.updatedAt,
          updatedAt: doc.updatedAt,
        };
      }),
    );
  }
}
