import { inject, injectable } from 'inversify';
import type { StaffRoleName } from '../../domain/staff/values.js';
import { STAFF_PROJECTION, type StaffDoc } from '../../projections/staff.js';
import type { Page } from '../ports/read-model-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import type { StaffDirectory, StaffRole } from './staff-directory.js';

// The domain's role names and the directory's roles are one list, written twice only because the
// domain imports nothing outside itself: each must be assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameRoles: Same<StaffRole, StaffRoleName> = true;
void sameRoles;

/** A staff account as the admin API, the CLI and the staff pages show it. */
export interface StaffMember {
  readonly sub: string;
  readonly roles: readonly StaffRole[];
  readonly providerIds: readonly string[];
  /** When the account was first made staff. */
  readonly since: string;
  readonly updatedAt: string;
}

export interface StaffPageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

const DEFAULT_LIMIT = 50;

function toMember(doc: StaffDoc): StaffMember {
  return {
    sub: doc.id,
    roles: doc.roles,
    providerIds: doc.providerIds,
    since: doc.since,
    updatedAt: doc.updatedAt,
  };
}

/**
 * Read side of staff accounts, from the `staff` projection; also the StaffDirectory every staff
 * page and API asks. Answers are as fresh as the projection (it applies a grant or revocation
 * within milliseconds of the write); an erased account holds nothing.
 */
@injectable()
export class StaffQueries implements StaffDirectory {
  constructor(@inject(PORTS.Views) private readonly views: Views) {}

  private staff() {
    return this.views.view<StaffDoc>(STAFF_PROJECTION, 'staff');
  }

  /** The account's holdings, or null when it was never staff (or was erased). */
  async get(sub: string): Promise<StaffMember | null> {
    const doc = await this.staff().get(sub);
    return doc === null || doc.erased ? null : toMember(doc);
  }

  async rolesOf(sub: string): Promise<readonly StaffRole[]> {
    return (await this.get(sub))?.roles ?? [];
  }

  async providersOf(sub: string): Promise<readonly string[]> {
    return (await this.get(sub))?.providerIds ?? [];
  }

  /** Accounts that hold a role or provider access now, in the order they became staff. */
  async list(request: StaffPageRequest = {}): Promise<Page<StaffMember>> {
    const page = await this.staff().find({
      where: { active: true },
      sort: { field: 'since', direction: 'asc' },
      limit: request.limit ?? DEFAULT_LIMIT,
      ...(request.cursor ? { cursor: request.cursor } : {}),
    });
    return { items: page.items.map(toMember), nextCursor: page.nextCursor };
  }
}
