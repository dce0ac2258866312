/**
 * Injection tokens for the ports the application layer depends on. They live here, not in
 * infrastructure/, so use-case classes can name what they need (`@inject(PORTS.Views)`) without
 * importing outward; the composition root binds each token to an adapter.
 */
export const PORTS = {
  Clock: Symbol.for('tessera.port.Clock'),
  Logger: Symbol.for('tessera.port.Logger'),
  EventStore: Symbol.for('tessera.port.EventStore'),
  ReadModelStore: Symbol.for('tessera.port.ReadModelStore'),
  EphemeralStore: Symbol.for('tessera.port.EphemeralStore'),
  Views: Symbol.for('tessera.port.Views'),
  CommandHandler: Symbol.for('tessera.kernel.CommandHandler'),
} as const;
