import type { RecordedEvent } from '../domain/kernel/event.js';
import type { StaffEvent } from '../domain/staff/events.js';
import type { StaffRoleName } from '../domain/staff/values.js';
import type { UserErased } from '../domain/user/events.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * Read model of staff accounts (collection `staff`, id = the account's `sub`): the roles it holds
 * and the providers whose reports it may read. `active` is true while it holds anything, so the
 * staff list is one indexed query; a document stays when everything was revoked, to keep `since`.
 *
 * An erased account holds nothing, whatever its staff stream says: the erasure leaves a tombstone
 * (`erased: true`) that later staff events cannot bring back to life.
 */
export type StaffDoc = {
  readonly id: string;
  readonly roles: readonly StaffRoleName[];
  readonly providerIds: readonly string[];
  readonly active: boolean;
  readonly erased: boolean;
  /** When the account was first made staff. */
  readonly since: string;
  readonly updatedAt: string;
  /** Global position of the last event applied. */
  readonly position: number;
};

export const STAFF_PROJECTION = 'staff';

type Handled = StaffEvent | UserErased;

function next(doc: StaffDoc, event: RecordedEvent<StaffEvent>): Pick<StaffDoc, 'roles' | 'providerIds'> {
  const { roles, providerIds } = doc;
  switch (event.type) {
    case 'StaffRoleGranted': {
      const { role } = event.data as StaffEvent['data'] & { role: StaffRoleName };
      return { roles: roles.includes(role) ? roles : [...roles, role], providerIds };
    }
    case 'StaffRoleRevoked': {
      const { role } = event.data as StaffEvent['data'] & { role: StaffRoleName };
      return { roles: roles.filter((r) => r !== role), providerIds };
    }
    case 'ProviderAccessGranted': {
      const { providerId } = event.data as StaffEvent['data'] & { providerId: string };
      return {
        roles,
        providerIds: providerIds.includes(providerId) ? providerIds : [...providerIds, providerId],
      };
    }
    case 'ProviderAccessRevoked': {
      const { providerId } = event.data as StaffEvent['data'] & { providerId: string };
      return { roles, providerIds: providerIds.filter((p) => p !== providerId) };
    }
  }
}

async function applyStaffEvent(event: RecordedEvent<Handled>, tx: ProjectionTx): Promise<void> {
  const at = event.occurredAt;
  if (event.type === 'UserErased') {
    const sub = (event.data as UserErased['data']).userId;
    const existing = await tx.get<StaffDoc>('staff', sub);
    tx.upsert('staff', {
      id: sub,
      roles: [],
      providerIds: [],
      active: false,
      erased: true,
      since: existing?.since ?? at,
      updatedAt: at,
      position: event.globalPosition,
    } satisfies StaffDoc);
    return;
  }
  const staffEvent = event as RecordedEvent<StaffEvent>;
  const sub = staffEvent.data.sub;
  const existing = await tx.get<StaffDoc>('staff', sub);
  if (existing?.erased === true) return;
  const base: StaffDoc = existing ?? {
    id: sub,
    roles: [],
    providerIds: [],
    active: false,
    erased: false,
    since: at,
    updatedAt: at,
    position: event.globalPosition,
  };
  const held = next(base, staffEvent);
  tx.upsert('staff', {
    ...base,
    ...held,
    active: held.roles.length > 0 || held.providerIds.length > 0,
    updatedAt: at,
    position: event.globalPosition,
  } satisfies StaffDoc);
}

/** Staff accounts as the StaffDirectory, the admin API and the CLI read them. */
export const staffProjection = defineProjection<Handled>({
  name: STAFF_PROJECTION,
  version: 1,
  handles: [
    'StaffRoleGranted',
    'StaffRoleRevoked',
    'ProviderAccessGranted',
    'ProviderAccessRevoked',
    'UserErased',
  ],
  collections: {
    staff: { indexes: [{ fields: ['active', 'since'] }] },
  },
  apply: applyStaffEvent,
});
