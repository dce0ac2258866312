import { expect } from 'chai';
import {
  type DecideContext,
  type Decider,
  DomainError,
  type DomainErrorKind,
} from '../../domain/kernel/decider.js';
import type { DomainEvent } from '../../domain/kernel/event.js';

/**
 * Given/when/then for deciders, so specs read like business rules:
 *
 *   const product = deciderSpec(productDecider);
 *   product.given([added]).when({ type: 'RetireProduct' }).then([ProductRetired({ productId })]);
 *   product.given([]).when({ type: 'RetireProduct' }).thenThrows('product_not_found');
 *
 * Events are folded with the decider's own `evolve`, so the spec also exercises evolution.
 */
export function deciderSpec<State, Command, Event extends DomainEvent>(
  decider: Decider<State, Command, Event>,
  context: DecideContext = { now: new Date('2026-01-01T00:00:00.000Z') },
) {
  return {
    given(events: readonly Event[]) {
      let state = decider.initialState();
      for (const e of events) state = decider.evolve(state, e);
      return {
        when(command: Command) {
          const run = () => decider.decide(command, state, context);
          return {
            /** The decision produced exactly these events (deep equality, in order). */
            then(expected: readonly Event[]): void {
              expect(run()).to.deep.equal(expected);
            },
            /** The decision was refused with this DomainError code (and kind, when given). */
            thenThrows(code: string, kind?: DomainErrorKind): DomainError {
              let thrown: unknown;
              try {
                run();
              } catch (err) {
                thrown = err;
              }
              expect(thrown, `expected DomainError "${code}"`).to.be.instanceOf(DomainError);
              const error = thrown as DomainError;
              expect(error.code).to.equal(code);
              if (kind) expect(error.kind).to.equal(kind);
              return error;
            },
            /** The state after applying the decided events: for checking evolve. */
            thenState(): State {
              let next = state;
              for (const e of run()) next = decider.evolve(next, e);
              return next;
            },
          };
        },
      };
    },
  };
}
