import type { z } from 'zod';
import type { EventDefinition } from './event.js';

/** The stored event type is not known to this build. */
export class UnknownEventTypeError extends Error {
  constructor(readonly eventType: string) {
    super(`Unknown event type "${eventType}"`);
    this.name = 'UnknownEventTypeError';
  }
}

/** Event data does not match its schema (on append, or when read back after upcasting). */
export class InvalidEventDataError extends Error {
  constructor(
    readonly eventType: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(
      `Invalid data for event "${eventType}": ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
    this.name = 'InvalidEventDataError';
  }
}

function toIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/**
 * All event types an application knows. Stores use it to validate every event written and to
 * upcast and validate every event read, so bad or unknown data fails loudly at the boundary.
 */
export class EventRegistry {
  private readonly definitions = new Map<string, EventDefinition>();

  constructor(definitions: Iterable<EventDefinition> = []) {
    for (const d of definitions) this.register(d);
  }

  register(definition: EventDefinition): this {
    const existing = this.definitions.get(definition.type);
    if (existing && existing !== definition)
      throw new Error(`Event type "${definition.type}" registered twice`);
    this.definitions.set(definition.type, definition);
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  types(): string[] {
    return [...this.definitions.keys()];
  }

  private definition(type: string): EventDefinition {
    const d = this.definitions.get(type);
    if (!d) throw new UnknownEventTypeError(type);
    return d;
  }

  /** Validates data for writing; returns the parsed data and the schema version to record. */
  encode(type: string, data: unknown): { data: unknown; schemaVersion: number } {
    const d = this.definition(type);
    const parsed = d.schema.safeParse(data);
    if (!parsed.success) throw new InvalidEventDataError(type, toIssues(parsed.error));
    return { data: parsed.data, schemaVersion: d.version };
  }

  /** Upcasts data written at `schemaVersion` to the current version and validates it. */
  decode(type: string, schemaVersion: number, data: unknown): unknown {
    const d = this.definition(type);
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > d.version) {
      throw new InvalidEventDataError(type, [
        {
          path: 'metadata.schemaVersion',
          message: `unsupported schema version ${schemaVersion} (current ${d.version})`,
        },
      ]);
    }
    let current = data;
    for (let v = schemaVersion; v < d.version; v++) current = d.upcasters[v]!(current);
    const parsed = d.schema.safeParse(current);
    if (!parsed.success) throw new InvalidEventDataError(type, toIssues(parsed.error));
    return parsed.data;
  }
}
