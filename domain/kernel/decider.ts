import type { DomainEvent } from './event.js';

/** What a decision may depend on besides the command and the state. Time enters only here. */
export interface DecideContext {
  readonly now: Date;
}

/**
 * An aggregate's rules as three pure functions (the Emmett decider shape).
 * `decide` returns the events that record the decision, or throws a DomainError.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, context: DecideContext): Event[];
}

/**
 * How a refusal should be understood by a caller (HTTP maps these onto status codes):
 * invalid → 422, not_found → 404, conflict → 409, forbidden → 403.
 */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden';

/** A rule refused a command. `code` is stable and machine-readable; `message` is for a person. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Folds events into state with a decider's evolve. */
export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState();
  for (const e of events) state = decider.evolve(state, e);
  return state;
}
