import type { RecordedEvent } from '../domain/kernel/event.js';
import type { RightEvent } from '../domain/right/events.js';
import type { Grantor, RightStatus } from '../domain/right/values.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * One right as readers see it (collection `rights`, id = rightId). Only the recorded `status` is
 * stored: CREATED and EXPIRED depend on the instant asked about, so the query side derives them
 * with rightStateAt rather than a scheduler rewriting documents as time passes.
 */
export type RightDoc = {
  readonly id: string;
  readonly providerId: string;
  readonly productId: string;
  readonly sku: string;
  readonly sub: string;
  readonly grantor: Grantor;
  readonly validFrom: string;
  /** Exclusive end; null for a perpetual right. */
  readonly validUntil: string | null;
  /**
   * validUntil, or PERPETUAL_END for a perpetual right: the range key of the access check's
   * lookup, which reads only the rights that have not ended rather than a user's whole history.
   */
  readonly endsAt: string;
  readonly status: RightStatus;
  readonly used: boolean;
  readonly usedAt: string | null;
  readonly payload: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Stream revision of the last event applied. */
  readonly revision: number;
};

export const RIGHTS_PROJECTION = 'rights';

/** The endsAt of a perpetual right: after every instant an ISO 8601 UTC text can name. */
export const PERPETUAL_END = '9999-12-31T23:59:59.999Z';

const endsAt = (validUntil: string | null): string => validUntil ?? PERPETUAL_END;

type DataOf<T extends RightEvent['type']> = Extract<RightEvent, { type: T }>['data'];

async function applyRightEvent(event: RecordedEvent<RightEvent>, tx: ProjectionTx): Promise<void> {
  const at = event.occurredAt;
  const id = (event.data as { rightId: string }).rightId;
  if (event.type === 'RightGranted') {
    const d = event.data as DataOf<'RightGranted'>;
    const doc: RightDoc = {
      id,
      providerId: d.providerId,
      productId: d.productId,
      sku: d.sku,
      sub: d.sub,
      grantor: d.grantor,
      validFrom: d.validFrom,
      validUntil: d.validUntil,
      endsAt: endsAt(d.validUntil),
      status: d.initialState,
      used: false,
      usedAt: null,
      payload: d.payload,
      createdAt: at,
      updatedAt: at,
      revision: event.revision,
    };
    tx.upsert('rights', doc);
    return;
  }
  const doc = await tx.get<RightDoc>('rights', id);
  if (!doc) return;
  const touched = { updatedAt: at, revision: event.revision };
  switch (event.type) {
    case 'RightExtended': {
      const validUntil = (event.data as DataOf<'RightExtended'>).validUntil;
      tx.upsert('rights', { ...doc, validUntil, endsAt: endsAt(validUntil), ...touched });
      return;
    }
    case 'RightSuspended':
      tx.upsert('rights', { ...doc, status: 'suspended', ...touched });
      return;
    case 'RightReactivated':
      tx.upsert('rights', { ...doc, status: 'active', ...touched });
      return;
    case 'RightTerminated':
      tx.upsert('rights', { ...doc, status: 'terminated', ...touched });
      return;
    case 'RightUsed':
      if (doc.used) return;
      tx.upsert('rights', {
        ...doc,
        used: true,
        usedAt: (event.data as DataOf<'RightUsed'>).usedAt,
        ...touched,
      });
      return;
  }
}

/**
 * Rights per user: all of a user's rights (the user's own view, across providers), a provider's
 * rights for a user, the rights for one SKU, and those of them that have not ended by an instant
 * (the access check's lookup).
 */
export const rightsProjection = defineProjection<RightEvent>({
  name: RIGHTS_PROJECTION,
  version: 2,
  handles: [
    'RightGranted',
    'RightExtended',
    'RightSuspended',
    'RightReactivated',
    'RightTerminated',
    'RightUsed',
  ],
  collections: {
    rights: {
      indexes: [
        { fields: ['sub', 'providerId'] },
        { fields: ['providerId', 'sub', 'sku'] },
        { fields: ['providerId', 'sub', 'sku', 'endsAt'] },
      ],
    },
  },
  apply: applyRightEvent,
});
