import { z } from 'zod';
import { type DecideContext, type Decider, DomainError } from '../kernel/decider.js';
import { SkuSchema } from '../catalog/values.js';
import { addDuration, parseDuration } from '../shared/iso8601.js';
import { ensureValid } from '../shared/validate.js';
import type {
  ExtendRight,
  GrantRight,
  RecordRightUsage,
  ReactivateRight,
  RightCommand,
  SuspendRight,
  TerminateRight,
} from './commands.js';
import {
  RightExtended,
  type RightEvent,
  RightGranted,
  RightReactivated,
  RightSuspended,
  RightTerminated,
  RightUsed,
} from './events.js';
import {
  GrantorSchema,
  InitialRightStateSchema,
  normaliseInstant,
  PayloadSchema,
  RightIdSchema,
  type RightState,
  rightStateAt,
  type RightValidity,
} from './values.js';

type GrantData = RightGranted['data'];

/** A right as its events describe it. `granted` is the original grant, kept to recognise retries. */
export interface GrantedRight extends RightValidity {
  readonly rightId: string;
  readonly providerId: string;
  readonly productId: string;
  readonly sku: string;
  readonly sub: string;
  readonly grantor: GrantData['grantor'];
  readonly payload: string | null;
  readonly used: boolean;
  readonly usedAt: string | null;
  readonly granted: GrantData;
}

export type RightAggregateState = { readonly status: 'none' } | GrantedRight;

const Uuid = z.uuid();
const Reason = z.string().trim().min(1).max(500);

function notFound(): DomainError {
  return new DomainError('not_found', 'right_not_found', 'No such right.');
}

/** The right, if it exists and belongs to the provider acting; otherwise "not found", never a leak. */
function ownRight(state: RightAggregateState, providerId: string): GrantedRight {
  if (state.status === 'none' || state.providerId !== providerId) throw notFound();
  return state;
}

/** The last instant a right may name: four-digit years keep instants comparable as text. */
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

function instant(text: string, field: string): string {
  const value = normaliseInstant(text);
  if (value === null) {
    throw new DomainError('invalid', 'invalid_validity', `${field}: must be an ISO 8601 instant`, field);
  }
  return inRange(Date.parse(value), field);
}

function inRange(ms: number, field: string): string {
  if (!(ms <= LATEST)) {
    throw new DomainError('invalid', 'invalid_validity', `${field}: must be before the year 10000.`, field);
  }
  return new Date(ms).toISOString();
}

function reasonOf(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason: ensureValid(Reason, reason, 'reason', 'invalid_reason') };
}

/** The end of a grant that did not state one: validFrom plus the product's validity, or perpetual. */
function defaultEnd(command: GrantRight, validFrom: string): string | null {
  if (command.defaultValidity === 'perpetual') return null;
  const duration = command.defaultValidity === undefined ? null : parseDuration(command.defaultValidity);
  if (duration === null) {
    throw new DomainError(
      'invalid',
      'validity_required',
      'validUntil: this product has no default validity, so the right needs an end.',
      'validUntil',
    );
  }
  return inRange(addDuration(new Date(validFrom), duration).getTime(), 'validUntil');
}

/** The RightGranted data a grant command stands for; `validFrom` defaults to `defaultFrom`. */
function grantData(command: GrantRight, defaultFrom: string): GrantData {
  const rightId = ensureValid(RightIdSchema, command.rightId, 'rightId', 'invalid_right_id');
  ensureValid(Uuid, command.providerId, 'providerId', 'invalid_provider_id');
  ensureValid(Uuid, command.productId, 'productId', 'invalid_product_id');
  ensureValid(Uuid, command.sub, 'sub', 'invalid_sub');
  const sku = ensureValid(SkuSchema, command.sku, 'sku', 'invalid_sku');
  const grantor = ensureValid(GrantorSchema, command.grantor, 'grantor', 'invalid_grantor');
  const payload =
    command.payload == null
      ? null
      : ensureValid(PayloadSchema, command.payload, 'payload', 'invalid_payload');
  const initialState = ensureValid(
    InitialRightStateSchema,
    command.initialState ?? 'active',
    'initialState',
    'invalid_initial_state',
  );
  const validFrom = command.validFrom === undefined ? defaultFrom : instant(command.validFrom, 'validFrom');
  const validUntil =
    command.validUntil === undefined
      ? defaultEnd(command, validFrom)
      : command.validUntil === null
        ? null
        : instant(command.validUntil, 'validUntil');
  if (validUntil !== null && Date.parse(validUntil) <= Date.parse(validFrom)) {
    throw new DomainError(
      'invalid',
      'invalid_validity',
      'validUntil: must be after validFrom.',
      'validUntil',
    );
  }
  return {
    rightId,
    providerId: command.providerId,
    productId: command.productId,
    sku,
    sub: command.sub,
    grantor: { kind: grantor.kind, id: grantor.id },
    validFrom,
    validUntil,
    payload,
    initialState,
  };
}

function sameGrant(a: GrantData, b: GrantData): boolean {
  return (
    a.rightId === b.rightId &&
    a.providerId === b.providerId &&
    a.productId === b.productId &&
    a.sku === b.sku &&
    a.sub === b.sub &&
    a.grantor.kind === b.grantor.kind &&
    a.grantor.id === b.grantor.id &&
    a.validFrom === b.validFrom &&
    a.validUntil === b.validUntil &&
    a.payload === b.payload &&
    a.initialState === b.initialState
  );
}

function decideGrant(command: GrantRight, state: RightAggregateState, now: Date): RightEvent[] {
  if (state.status !== 'none') {
    // A retry: defaults count from the original grant, so "same request" means the same right.
    const again = grantData(command, state.granted.validFrom);
    if (sameGrant(again, state.granted)) return [];
    throw new DomainError(
      'conflict',
      'right_exists',
      'A different right with this rightId was already granted.',
      'rightId',
    );
  }
  return [RightGranted(grantData(command, now.toISOString()))];
}

/** Refuses changes to a right that is over: terminated, or expired at `now`. */
function ensureNotOver(state: RightState): void {
  if (state === 'TERMINATED') {
    throw new DomainError('conflict', 'right_terminated', 'The right has been terminated.');
  }
  if (state === 'EXPIRED') throw new DomainError('conflict', 'right_expired', 'The right has expired.');
}

function decideExtend(command: ExtendRight, right: GrantedRight, now: Date): RightEvent[] {
  ensureNotOver(rightStateAt(right, now));
  if ((command.validUntil === undefined) === (command.by === undefined)) {
    throw new DomainError(
      'invalid',
      'invalid_validity',
      'Give either validUntil (a new end) or by (an ISO 8601 duration), not both.',
      'validUntil',
    );
  }
  if (right.validUntil === null) {
    throw new DomainError('conflict', 'right_perpetual', 'A perpetual right cannot be extended.');
  }
  let validUntil: string;
  if (command.by !== undefined) {
    const duration = parseDuration(command.by);
    if (duration === null) {
      throw new DomainError(
        'invalid',
        'invalid_validity',
        'by: must be an ISO 8601 duration, e.g. P2D.',
        'by',
      );
    }
    validUntil = inRange(addDuration(new Date(right.validUntil), duration).getTime(), 'by');
  } else {
    validUntil = instant(command.validUntil!, 'validUntil');
    if (Date.parse(validUntil) <= Date.parse(right.validUntil)) {
      throw new DomainError(
        'invalid',
        'invalid_validity',
        `validUntil: must be later than the current end (${right.validUntil}).`,
        'validUntil',
      );
    }
  }
  return [RightExtended({ rightId: right.rightId, validUntil, previousValidUntil: right.validUntil })];
}

function decideSuspend(command: SuspendRight, right: GrantedRight, now: Date): RightEvent[] {
  const state = rightStateAt(right, now);
  ensureNotOver(state);
  if (right.status !== 'active') {
    throw new DomainError('conflict', 'right_not_active', 'The right is already suspended.');
  }
  return [RightSuspended({ rightId: right.rightId, ...reasonOf(command.reason) })];
}

function decideReactivate(_command: ReactivateRight, right: GrantedRight, now: Date): RightEvent[] {
  ensureNotOver(rightStateAt(right, now));
  if (right.status !== 'suspended') {
    throw new DomainError('conflict', 'right_not_suspended', 'The right is not suspended.');
  }
  return [RightReactivated({ rightId: right.rightId })];
}

function decideTerminate(command: TerminateRight, right: GrantedRight): RightEvent[] {
  if (right.status === 'terminated') {
    throw new DomainError('conflict', 'right_terminated', 'The right has already been terminated.');
  }
  return [RightTerminated({ rightId: right.rightId, ...reasonOf(command.reason) })];
}

function decideUsage(_command: RecordRightUsage, right: GrantedRight, now: Date): RightEvent[] {
  const state = rightStateAt(right, now);
  ensureNotOver(state);
  if (state === 'CREATED') {
    throw new DomainError('conflict', 'right_not_yet_valid', 'The right is not valid yet.');
  }
  if (state === 'SUSPENDED') {
    throw new DomainError('conflict', 'right_not_active', 'A suspended right cannot be used.');
  }
  if (right.used) return [];
  return [RightUsed({ rightId: right.rightId, usedAt: now.toISOString() })];
}

function evolveGranted(state: GrantedRight, event: RightEvent): GrantedRight {
  switch (event.type) {
    case 'RightGranted':
      return state;
    case 'RightExtended':
      return { ...state, validUntil: event.data.validUntil };
    case 'RightSuspended':
      return { ...state, status: 'suspended' };
    case 'RightReactivated':
      return { ...state, status: 'active' };
    case 'RightTerminated':
      return { ...state, status: 'terminated' };
    case 'RightUsed':
      return state.used ? state : { ...state, used: true, usedAt: event.data.usedAt };
  }
}

/**
 * One right's rules. Time decides CREATED and EXPIRED (rightStateAt at the decision's `now`); the
 * events record only what people and systems did: grant, extend, suspend, reactivate, terminate, use.
 */
export const rightDecider: Decider<RightAggregateState, RightCommand, RightEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'RightGranted') {
      if (state.status !== 'none') return state;
      const d = event.data;
      return {
        rightId: d.rightId,
        providerId: d.providerId,
        productId: d.productId,
        sku: d.sku,
        sub: d.sub,
        grantor: d.grantor,
        validFrom: d.validFrom,
        validUntil: d.validUntil,
        payload: d.payload,
        status: d.initialState,
        used: false,
        usedAt: null,
        granted: d,
      };
    }
    return state.status === 'none' ? state : evolveGranted(state, event);
  },

  decide(command, state, context: DecideContext) {
    const { now } = context;
    switch (command.type) {
      case 'GrantRight':
        return decideGrant(command, state, now);
      case 'ExtendRight':
        return decideExtend(command, ownRight(state, command.providerId), now);
      case 'SuspendRight':
        return decideSuspend(command, ownRight(state, command.providerId), now);
      case 'ReactivateRight':
        return decideReactivate(command, ownRight(state, command.providerId), now);
      case 'TerminateRight':
        return decideTerminate(command, ownRight(state, command.providerId));
      case 'RecordRightUsage':
        return decideUsage(command, ownRight(state, command.providerId), now);
    }
  },
};
