import { expect } from 'chai';
import type { GrantRight, RightCommand } from '../../../domain/right/commands.js';
import { rightDecider } from '../../../domain/right/decider.js';
import {
  RightExtended,
  rightEvents,
  RightGranted,
  RightReactivated,
  RightSuspended,
  RightTerminated,
  RightUsed,
} from '../../../domain/right/events.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { rightStateAt, rightStreamId } from '../../../domain/right/values.js';
import { deciderSpec } from '../../support/decider-spec.js';

const rightId = '0190f3c2-7a1b-7c3d-8e4f-0000000000a1';
const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const otherProvider = '0190f3c2-7a1b-7c3d-8e4f-cccccccccccc';
const productId = '0190f3c2-7a1b-7c3d-8e4f-000000000001';
const sub = '0190f3c2-7a1b-7c3d-8e4f-00000000005b';
const grantor = { kind: 'provider' as const, id: 'client-1' };

const FROM = '2026-01-10T00:00:00.000Z';
const UNTIL = '2026-01-12T00:00:00.000Z';

/** A spec whose decisions happen at `now`. */
const at = (now: string) => deciderSpec(rightDecider, { now: new Date(now) });
const spec = at('2026-01-11T00:00:00.000Z');

const grant = (extra: Partial<GrantRight> = {}): GrantRight => ({
  type: 'GrantRight',
  rightId,
  providerId,
  productId,
  sku: 'film-rental-48h',
  sub,
  grantor,
  validFrom: FROM,
  validUntil: UNTIL,
  ...extra,
});

const granted = RightGranted({
  rightId,
  providerId,
  productId,
  sku: 'film-rental-48h',
  sub,
  grantor,
  validFrom: FROM,
  validUntil: UNTIL,
  payload: null,
  initialState: 'active',
});
const grantedSuspended = RightGranted({ ...granted.data, initialState: 'suspended' });
const perpetual = RightGranted({ ...granted.data, validUntil: null });
const suspended = RightSuspended({ rightId });
const terminated = RightTerminated({ rightId });
const used = RightUsed({ rightId, usedAt: '2026-01-10T12:00:00.000Z' });

const cmd = {
  extendTo: (validUntil: string): RightCommand => ({ type: 'ExtendRight', providerId, validUntil }),
  extendBy: (by: string): RightCommand => ({ type: 'ExtendRight', providerId, by }),
  suspend: { type: 'SuspendRight', providerId } as RightCommand,
  reactivate: { type: 'ReactivateRight', providerId } as RightCommand,
  terminate: { type: 'TerminateRight', providerId, reason: 'fraud' } as RightCommand,
  use: { type: 'RecordRightUsage', providerId } as RightCommand,
};

describe('Right decider', () => {
  it('names one stream per right and registers its events', () => {
    expect(rightStreamId(rightId)).to.equal(`right-${rightId}`);
    const registry = new EventRegistry(rightEvents);
    expect(registry.types()).to.have.members([
      'RightGranted',
      'RightExtended',
      'RightSuspended',
      'RightReactivated',
      'RightTerminated',
      'RightUsed',
    ]);
    expect(() => registry.encode('RightGranted', { ...granted.data, payload: 'x'.repeat(4097) })).to.throw(
      /payload/,
    );
  });

  describe('rightStateAt', () => {
    const right = { status: 'active' as const, validFrom: FROM, validUntil: UNTIL };
    it('derives CREATED before validFrom, ACTIVE from validFrom, EXPIRED from validUntil', () => {
      expect(rightStateAt(right, new Date('2026-01-09T23:59:59.999Z'))).to.equal('CREATED');
      expect(rightStateAt(right, new Date(FROM))).to.equal('ACTIVE');
      expect(rightStateAt(right, new Date('2026-01-11T23:59:59.999Z'))).to.equal('ACTIVE');
      expect(rightStateAt(right, new Date(UNTIL))).to.equal('EXPIRED');
    });
    it('shows SUSPENDED inside the interval, TERMINATED always, and never expires a perpetual right', () => {
      expect(rightStateAt({ ...right, status: 'suspended' }, new Date(FROM))).to.equal('SUSPENDED');
      expect(rightStateAt({ ...right, status: 'suspended' }, new Date(UNTIL))).to.equal('EXPIRED');
      expect(rightStateAt({ ...right, status: 'terminated' }, new Date('2020-01-01'))).to.equal('TERMINATED');
      expect(rightStateAt({ ...right, validUntil: null }, new Date('9999-01-01'))).to.equal('ACTIVE');
    });
  });

  describe('GrantRight', () => {
    it('grants a right with the stated interval, normalised to UTC', () => {
      spec
        .given([])
        .when(grant({ validFrom: '2026-01-10T01:00:00+01:00', validUntil: '2026-01-12T00:00:00Z' }))
        .then([granted]);
    });

    it('defaults validFrom to now and validUntil to validFrom plus the default validity', () => {
      spec
        .given([])
        .when(
          grant({ validFrom: undefined, validUntil: undefined, defaultValidity: 'PT48H', payload: 'seat 7' }),
        )
        .then([
          RightGranted({
            ...granted.data,
            validFrom: '2026-01-11T00:00:00.000Z',
            validUntil: '2026-01-13T00:00:00.000Z',
            payload: 'seat 7',
          }),
        ]);
    });

    it('grants a perpetual right for a perpetual default or an explicit null end', () => {
      spec
        .given([])
        .when(grant({ validUntil: undefined, defaultValidity: 'perpetual' }))
        .then([perpetual]);
      spec
        .given([])
        .when(grant({ validUntil: null }))
        .then([perpetual]);
    });

    it('grants a suspended right when asked to', () => {
      spec
        .given([])
        .when(grant({ initialState: 'suspended' }))
        .then([grantedSuspended]);
    });

    it('needs an end when there is no default validity', () => {
      const err = spec
        .given([])
        .when(grant({ validUntil: undefined }))
        .thenThrows('validity_required', 'invalid');
      expect(err.field).to.equal('validUntil');
    });

    it('refuses an end that is not after the start, and instants that are not instants', () => {
      spec
        .given([])
        .when(grant({ validUntil: FROM }))
        .thenThrows('invalid_validity', 'invalid');
      spec
        .given([])
        .when(grant({ validUntil: '2026-01-09T00:00:00.000Z' }))
        .thenThrows('invalid_validity');
      const err = spec
        .given([])
        .when(grant({ validFrom: 'tomorrow' }))
        .thenThrows('invalid_validity');
      expect(err.field).to.equal('validFrom');
      spec
        .given([])
        .when(grant({ validUntil: undefined, defaultValidity: 'P9999Y' }))
        .thenThrows('invalid_validity');
    });

    it('refuses a payload longer than 4096 characters and a malformed grantor or user', () => {
      spec
        .given([])
        .when(grant({ payload: 'x'.repeat(4096) }))
        .then([RightGranted({ ...granted.data, payload: 'x'.repeat(4096) })]);
      const err = spec
        .given([])
        .when(grant({ payload: 'x'.repeat(4097) }))
        .thenThrows('invalid_payload', 'invalid');
      expect(err.field).to.equal('payload');
      spec
        .given([])
        .when(grant({ sub: 'nobody' }))
        .thenThrows('invalid_sub');
      spec
        .given([])
        .when(grant({ grantor: { kind: 'friend' as 'provider', id: 'x' } }))
        .thenThrows('invalid_grantor');
      spec
        .given([])
        .when(grant({ rightId: 'a/b' }))
        .thenThrows('invalid_right_id');
    });

    it('treats a repeat of the same grant as a no-op, even with a defaulted start later on', () => {
      spec.given([granted]).when(grant()).then([]);
      const original = RightGranted({
        ...granted.data,
        validFrom: '2026-01-11T00:00:00.000Z',
        validUntil: '2026-01-13T00:00:00.000Z',
      });
      at('2026-01-11T05:00:00.000Z')
        .given([original])
        .when(grant({ validFrom: undefined, validUntil: undefined, defaultValidity: 'PT48H' }))
        .then([]);
    });

    it('refuses a different grant under an existing rightId', () => {
      spec
        .given([granted])
        .when(grant({ validUntil: '2026-02-01T00:00:00.000Z' }))
        .thenThrows('right_exists', 'conflict');
      spec
        .given([granted])
        .when(grant({ providerId: otherProvider }))
        .thenThrows('right_exists', 'conflict');
    });
  });

  describe('ExtendRight', () => {
    it('moves the end to a later instant', () => {
      spec
        .given([granted])
        .when(cmd.extendTo('2026-01-14T00:00:00Z'))
        .then([
          RightExtended({ rightId, validUntil: '2026-01-14T00:00:00.000Z', previousValidUntil: UNTIL }),
        ]);
    });

    it('moves the end by a duration', () => {
      const state = spec.given([granted]).when(cmd.extendBy('P2D')).thenState();
      expect(state).to.deep.include({ validUntil: '2026-01-14T00:00:00.000Z' });
    });

    it('extends a suspended right (its validity keeps running)', () => {
      spec
        .given([granted, suspended])
        .when(cmd.extendBy('PT1H'))
        .then([
          RightExtended({ rightId, validUntil: '2026-01-12T01:00:00.000Z', previousValidUntil: UNTIL }),
        ]);
    });

    it('refuses an earlier or equal end, a bad duration, and both or neither', () => {
      spec.given([granted]).when(cmd.extendTo(UNTIL)).thenThrows('invalid_validity', 'invalid');
      spec.given([granted]).when(cmd.extendTo('2026-01-11T12:00:00.000Z')).thenThrows('invalid_validity');
      spec.given([granted]).when(cmd.extendBy('two days')).thenThrows('invalid_validity');
      spec.given([granted]).when({ type: 'ExtendRight', providerId }).thenThrows('invalid_validity');
      spec
        .given([granted])
        .when({ type: 'ExtendRight', providerId, by: 'P1D', validUntil: '2026-02-01T00:00:00Z' })
        .thenThrows('invalid_validity');
    });

    it('refuses to extend an expired right, also at exactly its end', () => {
      at(UNTIL).given([granted]).when(cmd.extendBy('P1D')).thenThrows('right_expired', 'conflict');
      at('2026-03-01T00:00:00.000Z')
        .given([granted])
        .when(cmd.extendTo('2026-04-01T00:00:00Z'))
        .thenThrows('right_expired');
    });

    it('refuses to extend a terminated or perpetual right', () => {
      spec.given([granted, terminated]).when(cmd.extendBy('P1D')).thenThrows('right_terminated', 'conflict');
      spec.given([perpetual]).when(cmd.extendBy('P1D')).thenThrows('right_perpetual', 'conflict');
    });
  });

  describe('SuspendRight and ReactivateRight', () => {
    it('suspends an active right, and a right not yet valid', () => {
      spec
        .given([granted])
        .when({ type: 'SuspendRight', providerId, reason: 'chargeback' })
        .then([RightSuspended({ rightId, reason: 'chargeback' })]);
      at('2026-01-01T00:00:00.000Z').given([granted]).when(cmd.suspend).then([suspended]);
    });

    it('refuses to suspend a suspended, expired or terminated right', () => {
      spec.given([granted, suspended]).when(cmd.suspend).thenThrows('right_not_active', 'conflict');
      at(UNTIL).given([granted]).when(cmd.suspend).thenThrows('right_expired');
      spec.given([granted, terminated]).when(cmd.suspend).thenThrows('right_terminated');
    });

    it('reactivates a suspended right (also one granted suspended)', () => {
      spec
        .given([granted, suspended])
        .when(cmd.reactivate)
        .then([RightReactivated({ rightId })]);
      const state = spec.given([grantedSuspended]).when(cmd.reactivate).thenState();
      if (state.status === 'none') throw new Error('expected a granted right');
      expect(rightStateAt(state, new Date(FROM))).to.equal('ACTIVE');
    });

    it('refuses to reactivate a right that is not suspended, has expired or is terminated', () => {
      spec.given([granted]).when(cmd.reactivate).thenThrows('right_not_suspended', 'conflict');
      at(UNTIL).given([granted, suspended]).when(cmd.reactivate).thenThrows('right_expired');
      spec.given([granted, suspended, terminated]).when(cmd.reactivate).thenThrows('right_terminated');
    });
  });

  describe('TerminateRight', () => {
    it('terminates a right in any state but terminated, expired ones included', () => {
      spec
        .given([granted])
        .when(cmd.terminate)
        .then([RightTerminated({ rightId, reason: 'fraud' })]);
      spec
        .given([granted, suspended])
        .when(cmd.terminate)
        .then([RightTerminated({ rightId, reason: 'fraud' })]);
      at('2027-01-01T00:00:00.000Z')
        .given([granted])
        .when(cmd.terminate)
        .then([RightTerminated({ rightId, reason: 'fraud' })]);
    });

    it('refuses to terminate twice', () => {
      spec.given([granted, terminated]).when(cmd.terminate).thenThrows('right_terminated', 'conflict');
    });
  });

  describe('RecordRightUsage', () => {
    it('marks an active right used at now, at exactly validFrom too', () => {
      spec
        .given([granted])
        .when(cmd.use)
        .then([RightUsed({ rightId, usedAt: '2026-01-11T00:00:00.000Z' })]);
      at(FROM)
        .given([granted])
        .when(cmd.use)
        .then([RightUsed({ rightId, usedAt: FROM })]);
      at('2026-01-11T23:59:59.999Z')
        .given([granted])
        .when(cmd.use)
        .then([RightUsed({ rightId, usedAt: '2026-01-11T23:59:59.999Z' })]);
    });

    it('records a second usage as nothing: used never goes back', () => {
      spec.given([granted, used]).when(cmd.use).then([]);
      const state = spec.given([granted, used]).when(cmd.use).thenState();
      expect(state).to.deep.include({ used: true, usedAt: '2026-01-10T12:00:00.000Z' });
    });

    it('refuses usage at exactly validUntil (expired) and before validFrom', () => {
      at(UNTIL).given([granted]).when(cmd.use).thenThrows('right_expired', 'conflict');
      at('2026-01-09T23:59:59.999Z')
        .given([granted])
        .when(cmd.use)
        .thenThrows('right_not_yet_valid', 'conflict');
    });

    it('refuses to mark a suspended or terminated right used', () => {
      spec.given([granted, suspended]).when(cmd.use).thenThrows('right_not_active', 'conflict');
      spec.given([grantedSuspended]).when(cmd.use).thenThrows('right_not_active');
      spec.given([granted, terminated]).when(cmd.use).thenThrows('right_terminated');
    });
  });

  describe('isolation and existence', () => {
    const others: RightCommand[] = [
      { type: 'ExtendRight', providerId: otherProvider, by: 'P1D' },
      { type: 'SuspendRight', providerId: otherProvider },
      { type: 'ReactivateRight', providerId: otherProvider },
      { type: 'TerminateRight', providerId: otherProvider },
      { type: 'RecordRightUsage', providerId: otherProvider },
    ];
    it("answers right_not_found for another provider's right, whatever the command", () => {
      for (const command of others) {
        spec.given([granted, suspended]).when(command).thenThrows('right_not_found', 'not_found');
      }
    });
    it('answers right_not_found for a right that was never granted', () => {
      for (const command of [cmd.extendBy('P1D'), cmd.suspend, cmd.reactivate, cmd.terminate, cmd.use]) {
        spec.given([]).when(command).thenThrows('right_not_found', 'not_found');
      }
    });
  });
});
