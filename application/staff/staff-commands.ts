import { inject, injectable } from 'inversify';
import { providerDecider } from '../../domain/catalog/provider-decider.js';
import { providerStreamId } from '../../domain/catalog/values.js';
import { DomainError } from '../../domain/kernel/decider.js';
import type { StaffCommand } from '../../domain/staff/commands.js';
import { staffDecider } from '../../domain/staff/decider.js';
import { staffStreamId } from '../../domain/staff/values.js';
import { userDecider } from '../../domain/user/decider.js';
import { userStreamId } from '../../domain/user/values.js';
import type { WriteResult } from '../catalog/results.js';
import type { CommandContext, CommandHandler } from '../kernel/command-handler.js';
import { PORTS } from '../tokens.js';
import type { StaffRole } from './staff-directory.js';

/** Who makes a change and why; both are recorded in the event. */
export interface StaffChangeInput {
  /** `operator` for the CLI and the admin API, or the acting staff member's `sub`. */
  readonly by: string;
  readonly reason: string;
}

/** A staff write: `id` is the account's `sub`; `changed` is false when it already held the grant. */
export interface StaffWriteResult extends WriteResult {
  readonly changed: boolean;
}

/**
 * Write side of staff accounts: grant and revoke platform roles and per-provider access. Only an
 * existing account that was not erased can be given anything (checked on its own stream, so an
 * account that signed up a moment ago counts); provider access needs a registered provider.
 * Revoking needs neither: what an account holds can always be taken away.
 */
@injectable()
export class StaffCommands {
  constructor(@inject(PORTS.CommandHandler) private readonly handler: CommandHandler) {}

  async grantRole(sub: string, role: StaffRole | string, input: StaffChangeInput, ctx: CommandContext) {
    await this.requireAccount(sub);
    return this.run({ type: 'GrantStaffRole', sub, role, ...input }, ctx);
  }

  /**
   * Grants several roles and providers at once. The account and every provider are checked before
   * anything is written, so a typo in one provider id grants nothing. Resolves to the last write.
   */
  async grant(
    sub: string,
    holdings: { readonly roles?: readonly string[]; readonly providerIds?: readonly string[] },
    input: StaffChangeInput,
    ctx: CommandContext,
  ): Promise<StaffWriteResult> {
    await this.requireAccount(sub);
    for (const providerId of holdings.providerIds ?? []) await this.requireProvider(providerId);
    const commands: StaffCommand[] = [
      ...(holdings.roles ?? []).map((role) => ({ type: 'GrantStaffRole' as const, sub, role, ...input })),
      ...(holdings.providerIds ?? []).map((providerId) => ({
        type: 'GrantProviderAccess' as const,
        sub,
        providerId,
        ...input,
      })),
    ];
    let last: StaffWriteResult = { id: sub, position: null, deduplicated: false, changed: false };
    for (const command of commands) {
      const result = await this.run(command, ctx);
      last = {
        ...last,
        position: result.position ?? last.position,
        changed: last.changed || result.changed,
      };
    }
    return last;
  }

  async revokeRole(sub: string, role: StaffRole | string, input: StaffChangeInput, ctx: CommandContext) {
    return this.run({ type: 'RevokeStaffRole', sub, role, ...input }, ctx);
  }

  async grantProviderAccess(sub: string, providerId: string, input: StaffChangeInput, ctx: CommandContext) {
    await this.requireAccount(sub);
    await this.requireProvider(providerId);
    return this.run({ type: 'GrantProviderAccess', sub, providerId, ...input }, ctx);
  }

  async revokeProviderAccess(sub: string, providerId: string, input: StaffChangeInput, ctx: CommandContext) {
    return this.run({ type: 'RevokeProviderAccess', sub, providerId, ...input }, ctx);
  }

  private async run(command: StaffCommand, ctx: CommandContext): Promise<StaffWriteResult> {
    const result = await this.handler.handle(staffDecider, staffStreamId(command.sub), command, ctx);
    return {
      id: command.sub,
      position: result.position,
      deduplicated: false,
      changed: result.events.length > 0,
    };
  }

  private async requireAccount(sub: string): Promise<void> {
    // A malformed sub is left to the decider, which names the field.
    if (!/^[0-9a-f-]{36}$/i.test(sub)) return;
    const { state } = await this.handler.load(userDecider, userStreamId(sub));
    if (state.status === 'unregistered') {
      throw new DomainError('not_found', 'user_not_found', 'No account has this sub.');
    }
    if (state.status === 'erased') {
      throw new DomainError('conflict', 'user_erased', 'The account was erased; it cannot be made staff.');
    }
  }

  private async requireProvider(providerId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(providerId)) return;
    const { state } = await this.handler.load(providerDecider, providerStreamId(providerId));
    if (state.status !== 'registered') {
      throw new DomainError('not_found', 'provider_not_found', 'No such service provider.');
    }
  }
}
