import { expect } from 'chai';
import type { RecordedEvent } from '../../../domain/kernel/event.js';
import type { EventStore } from '../../../application/ports/event-store.js';
import { rightsFeedSource } from '../../../application/feed/rights-feed.js';

const PROVIDER = '0190a3c4-1111-7000-8000-000000000001';
const SUB = '0190a3c4-2222-7000-8000-000000000002';
const RIGHT = '0190a3c4-3333-7000-8000-000000000003';

let position = 0;
function recorded(type: string, revision: number, data: Record<string, unknown>): RecordedEvent {
  position += 1;
  return {
    eventId: `00000000-0000-7000-8000-${String(position).padStart(12, '0')}`,
    type,
    streamId: `right-${RIGHT}`,
    revision,
    globalPosition: position,
    occurredAt: '2026-03-01T12:00:00.000Z',
    data,
    metadata: { correlationId: 'c', causationId: null, actor: { kind: 'system', id: 't' }, schemaVersion: 1 },
  };
}

const granted = recorded('RightGranted', 0, {
  rightId: RIGHT,
  providerId: PROVIDER,
  sub: SUB,
  sku: 'film-48h',
  validFrom: '2026-03-01T12:00:00.000Z',
  validUntil: '2026-03-03T12:00:00.000Z',
});
const suspended = recorded('RightSuspended', 1, { rightId: RIGHT, reason: 'fraud check' });

/** A store holding the right's stream that counts how often it is read. */
function countingStore() {
  const reads: string[] = [];
  const store: Pick<EventStore, 'readStream'> = {
    readStream: async (streamId, options) => {
      reads.push(streamId);
      return streamId === granted.streamId ? [granted, suspended].slice(0, options?.maxCount ?? 2) : [];
    },
  };
  return { store, reads };
}

describe('Rights change feed source', () => {
  it('addresses a grant from the event itself, without reading the stream', async () => {
    const { store, reads } = countingStore();
    const message = await rightsFeedSource(store).mapper(granted);
    expect(message).to.deep.include({ providerId: PROVIDER, type: 'right.granted' });
    expect(message?.subject).to.deep.equal({ sub: SUB, rightId: RIGHT });
    expect(reads).to.deep.equal([]);
  });

  it('finds the owner of a later change in the stream’s opening event, once', async () => {
    const { store, reads } = countingStore();
    const source = rightsFeedSource(store);
    const first = await source.mapper(suspended);
    const again = await source.mapper(suspended);
    expect(first).to.deep.include({ providerId: PROVIDER, type: 'right.suspended' });
    expect(first?.subject).to.deep.equal({ sub: SUB, rightId: RIGHT });
    expect(again).to.deep.equal(first);
    expect(reads).to.deep.equal([granted.streamId]);
  });

  it('reads nothing more for changes after a grant it has mapped', async () => {
    const { store, reads } = countingStore();
    const source = rightsFeedSource(store);
    await source.mapper(granted);
    expect(await source.mapper(suspended)).to.deep.include({ providerId: PROVIDER });
    expect(reads).to.deep.equal([]);
  });
});
