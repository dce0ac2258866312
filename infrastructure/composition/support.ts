/**
 * Support and audit in the composition root: the account history (timeline, state as of) and the
 * support actions for support staff, and the signed transaction export for auditors. Both /v1 APIs
 * are for staff, authenticated by staff API tokens and authorised by role; the support console page
 * (/support) serves the same to staff signed in through Tessera's own provider.
 */
import { Router, type RequestHandler } from 'express';
import { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import type { Views } from '../../application/ports/views.js';
import { STAFF_DIRECTORY, type StaffDirectory } from '../../application/staff/staff-directory.js';
import { AuditExporter } from '../../application/audit/audit-exporter.js';
import { MANIFEST_SIGNER, type ManifestSigner } from '../../application/ports/manifest-signer.js';
import type { StaffRole } from '../../application/staff/staff-directory.js';
import { PORTS } from '../../application/tokens.js';
import type { StaffRequirement } from '../../application/staff/staff-access.js';
import { CatalogNames } from '../../application/support/names.js';
import { StateAsOfQuery } from '../../application/support/state-as-of.js';
import {
  DEFAULT_SUPPORT_POLICY,
  SUPPORT_POLICY,
  type SupportPolicy,
} from '../../application/support/support-access.js';
import { SupportActions } from '../../application/support/support-actions.js';
import { AccountTimeline } from '../../application/support/timeline.js';
import { UserLookup } from '../../application/support/user-lookup.js';
import { UserStreams } from '../../application/support/user-streams.js';
import { JwsManifestSigner } from '../audit/jws-manifest.js';
import type { AppRoutes } from '../http/app.js';
import { createAuditRouter } from '../http/audit-router.js';
import { CsrfTokens } from '../http/pages/csrf.js';
import { createSupportConsoleRouter } from '../http/support/support-console-router.js';
import { staffTokenCaller } from '../http/staff/staff-token-auth.js';
import { createSupportApiRouter } from '../http/support-api-router.js';
import { openTesseraSigningKeys } from '../oidc/tessera-keys.js';
import { OidcUserSessions } from '../oidc/user-sessions.js';
import { staffApiAuth } from './staff.js';
import type { Wiring } from './wiring.js';

export function bindSupport(w: Wiring): void {
  const { container, stores, clock, secrets } = w;
  container.bind<SupportPolicy>(SUPPORT_POLICY).toConstantValue(DEFAULT_SUPPORT_POLICY);
  container.bind(UserStreams).toSelf();
  container.bind(CatalogNames).toSelf();
  container.bind(UserLookup).toSelf();
  container.bind(AccountTimeline).toSelf();
  container.bind(StateAsOfQuery).toSelf();
  container.bind(SupportActions).toSelf();
  // Export manifests are signed with the OpenID Connect keys (opened on first use), so an auditor
  // verifies them against the same JWKS as tokens.
  // A data directory the server never ran on has no key yet: the first export makes one, as the
  // server would at its start.
  let keys: Promise<Awaited<ReturnType<typeof openTesseraSigningKeys>>> | null = null;
  const openKeys = async () => {
    const store = await openTesseraSigningKeys({ readModels: stores.readModels, clock, secrets });
    await store.ensureCurrent();
    return store;
  };
  container
    .bind<ManifestSigner>(MANIFEST_SIGNER)
    .toConstantValue(new JwsManifestSigner({ jwks: async () => (await (keys ??= openKeys())).jwks() }));
  container.bind(AuditExporter).toSelf();
}

/** What a role's guard accepts: a support lead may do whatever an agent may. */
const ACCEPTS: Readonly<Record<StaffRole, readonly StaffRequirement[]>> = {
  'support-agent': ['support-agent', 'support-lead'],
  'support-lead': ['support-lead'],
  auditor: ['auditor'],
};

/** The support console page at /support, for staff signed in through Tessera's own provider. */
function supportConsole(w: Wiring): Router {
  const { container, stores, clock, oidcSlot } = w;
  const catalog = container.get(CatalogQueries);
  return createSupportConsoleRouter({
    staff: {
      provider: () => oidcSlot.provider(),
      store: stores.ephemeral,
      userSessions: container.get(OidcUserSessions),
      clock,
      directory: container.get<StaffDirectory>(STAFF_DIRECTORY),
      csrf: new CsrfTokens(w.secrets.derive('support-page-csrf')),
    },
    lookup: container.get(UserLookup),
    timeline: container.get(AccountTimeline),
    state: container.get(StateAsOfQuery),
    actions: container.get(SupportActions),
    providers: async () =>
      (await catalog.listProviders({ limit: 100 })).items.map((p) => ({ id: p.id, name: p.name })),
    views: container.get<Views>(PORTS.Views),
    clock,
  });
}

/** The support and audit APIs under /v1, behind staff API tokens, and the support console page. */
export function supportRoutes(w: Wiring): AppRoutes {
  const { container } = w;
  const auth = staffApiAuth(container);
  const guard = (role: StaffRole): RequestHandler => {
    const check = auth.requireStaffToken(ACCEPTS[role]);
    return (req, res, next) =>
      check(req, res, (err?: unknown) => {
        if (err !== undefined) return next(err);
        const caller = staffTokenCaller(res);
        res.locals.staff = { sub: caller.sub, roles: caller.roles };
        next();
      });
  };
  const support = Router();
  support.use(
    '/support',
    createSupportApiRouter({
      guard,
      lookup: container.get(UserLookup),
      timeline: container.get(AccountTimeline),
      state: container.get(StateAsOfQuery),
      actions: container.get(SupportActions),
    }),
  );
  return {
    v1: [support, createAuditRouter({ exporter: container.get(AuditExporter), guard })],
    pages: [{ prefixes: ['/support'], router: supportConsole(w) }],
  };
}
