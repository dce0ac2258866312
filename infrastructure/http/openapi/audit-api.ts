import { z } from 'zod';
import { AuditRowSchema } from '../../../application/audit/audit-row.js';
import { AuditExportQuery } from '../audit-router.js';
import { defineRoutes, json, problem, type RouteDoc } from './registry.js';

/**
 * The auditor export (audit-router.ts, mounted at /v1), described for the OpenAPI document. The
 * body is a file, NDJSON or CSV; the document shows the shape of one row.
 */

const TAG = 'Audit';

export const AUDIT_API: readonly RouteDoc[] = defineRoutes([
  {
    method: 'get',
    path: '/v1/audit/transactions',
    operationId: 'exportTransactions',
    summary: 'Export every money movement of a period, hash-chained and signed',
    description:
      'For staff with the `auditor` role. Streams one row per captured payment, refund and declined ' +
      'attempt whose event falls in [from, to): ids, provider, the user’s `sub` (never personal data), ' +
      'amounts in minor units with their signed effect (`net`) and VAT, the method kind (cards: brand ' +
      'and last four digits only), the transaction’s state after the event, the time and the actor. ' +
      'Each row carries `prevHash` and `hash` = SHA-256(prevHash ‖ stable JSON of the row without ' +
      'both), starting from 64 zeros. The last line is the manifest, a compact JWS signed with the ' +
      'OpenID Connect key (JWKS at /oauth/jwks): row count, totals per currency, first and last ' +
      'hash, period, creation time and key id. NDJSON (`application/x-ndjson`): the last line is ' +
      '`{"manifest":"<jws>"}`. CSV (`text/csv`, RFC 4180, header row): the last record is ' +
      '`#manifest,<jws>,,…`. Check a file offline with `tessera verify <file> --jwks <url or file>`.',
    tags: [TAG],
    security: { kind: 'bearer', anyOf: [[]] },
    query: AuditExportQuery,
    responses: {
      200: json(
        'The export, streamed: one row per line as below, then the manifest line.',
        z.array(AuditRowSchema),
        { 'Content-Disposition': 'attachment; filename="tessera-transactions-<from>-<to>.<format>"' },
      ),
      403: problem('The caller is not an auditor.', 'forbidden'),
    },
  },
]);
