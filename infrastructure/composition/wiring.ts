import type { Container } from 'inversify';
import type { Clock } from '../../application/ports/clock.js';
import type { Logger } from '../../application/ports/logger.js';
import type { Config } from '../config.js';
import type { OidcSlot } from '../oidc/tessera-oidc.js';
import type { Secrets } from '../secrets.js';
import type { Stores } from './stores.js';

/** What every part of the composition root binds with: the container and the shared pieces. */
export interface Wiring {
  readonly container: Container;
  readonly config: Config;
  readonly stores: Stores;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly secrets: Secrets;
  readonly oidcSlot: OidcSlot;
}
