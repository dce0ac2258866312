import type { Router } from 'express';
import { createSandboxApiRouter } from '../sandbox-kit/api-router.js';
import type { SandboxCarrierOperator } from './operator.js';

/**
 * The sandbox operator's billing API, mounted on its own path (e.g. `/sandbox/carrier`): JSON only,
 * `Authorization: Bearer <secret key>`, charges under `/v1/charges` (see sandbox-kit/api-router.ts).
 * Carrier billing has no challenge step: the subscriber is identified by the verified phone number.
 */
export function createSandboxCarrierRouter(operator: SandboxCarrierOperator): Router {
  return createSandboxApiRouter({
    book: operator.book,
    secretKey: operator.options.secretKey,
    controls: operator.controls,
    resource: 'charges',
  });
}
