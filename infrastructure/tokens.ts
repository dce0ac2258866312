import { PORTS } from '../application/tokens.js';

/**
 * Every injection token of the composition root: the application's port tokens plus those only
 * infrastructure needs. Classes are bound under themselves and need no token.
 */
export const TOKENS = {
  ...PORTS,
  Config: Symbol.for('tessera.Config'),
  EventRegistry: Symbol.for('tessera.EventRegistry'),
  Projections: Symbol.for('tessera.Projections'),
  ProjectionRunner: Symbol.for('tessera.ProjectionRunner'),
  AdminToken: Symbol.for('tessera.AdminToken'),
  HttpApp: Symbol.for('tessera.HttpApp'),
  Secrets: Symbol.for('tessera.Secrets'),
  OidcSlot: Symbol.for('tessera.OidcSlot'),
  ProviderFeedStore: Symbol.for('tessera.ProviderFeedStore'),
} as const;
