import { inject, injectable } from 'inversify';
import { CONSENTS_PROJECTION } from '../../projections/consents.js';
import { ConsentCommands } from '../consent/consent-commands.js';
import { GRANT_REVOKER, type GrantRevoker } from '../consent/grant-revoker.js';
import { ConsentQueries } from '../consent/consent-queries.js';
import type { CommandContext } from '../kernel/command-handler.js';
import type { EventStore } from '../ports/event-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import { UserCommands } from './user-commands.js';
import { USER_SESSIONS, type UserSessions } from './user-sessions.js';

export interface AccountDeletionResult {
  readonly sub: string;
  readonly consentsRevoked: number;
  readonly sessionsEnded: number;
  /** Position of the erasure in the log. */
  readonly position: number | null;
}

/** How long deletion waits for the consents list to show everything written before it. */
const CATCH_UP_MS = 5000;

/**
 * "Delete my account": every service loses access before the personal data goes. Each consent is
 * withdrawn (recorded, with the reason, and the client's grants and tokens destroyed), any grant
 * left without a consent is swept, every session is ended (relying parties with back-channel
 * logout are told), and finally the account is erased by crypto-shredding (UserCommands.erase).
 *
 * Every step is idempotent, so running it again after an interruption finishes the job; an account
 * already erased is still swept for leftovers.
 */
@injectable()
export class AccountDeletion {
  constructor(
    @inject(UserCommands) private readonly users: Pick<UserCommands, 'erase'>,
    @inject(ConsentCommands) private readonly consents: Pick<ConsentCommands, 'revoke'>,
    @inject(ConsentQueries) private readonly consentList: Pick<ConsentQueries, 'listForUser'>,
    @inject(GRANT_REVOKER) private readonly grants: GrantRevoker,
    @inject(USER_SESSIONS) private readonly sessions: UserSessions,
    @inject(PORTS.Views) private readonly views: Pick<Views, 'waitFor'>,
    @inject(PORTS.EventStore) private readonly store: Pick<EventStore, 'headPosition'>,
  ) {}

  async delete(
    sub: string,
    ctx: CommandContext,
    reason = 'deleted by the account holder',
  ): Promise<AccountDeletionResult> {
    // A consent given a moment ago must be in the list: wait for the projection to reach the log's end.
    await this.views.waitFor(await this.store.headPosition(), {
      projections: [CONSENTS_PROJECTION],
      timeoutMs: CATCH_UP_MS,
    });
    let consentsRevoked = 0;
    for (const consent of await this.consentList.listForUser(sub)) {
      const result = await this.consents.revoke(sub, consent.clientId, { reason: 'account_deleted' }, ctx);
      if (result.revoked) consentsRevoked += 1;
    }
    await this.grants.revokeAllFor(sub);
    const sessionsEnded = await this.sessions.endAll(sub);
    const erased = await this.users.erase(sub, ctx, reason);
    return { sub, consentsRevoked, sessionsEnded, position: erased.position };
  }
}
