/**
 * The staff slice of the composition root: staff roles and provider access (StaffDirectory), staff
 * API tokens and the admin API for them; the providers' reports (API and dashboard); and the demo
 * shop (a separate relying party served by Tessera when the demo data is seeded). Routers are handed
 * to the app through AppRoutes, which mounts them in its fixed order.
 */
import type { Container } from 'inversify';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import { STAFF_DIRECTORY, type StaffDirectory } from '../../application/staff/staff-directory.js';
import { StaffCommands } from '../../application/staff/staff-commands.js';
import { StaffQueries } from '../../application/staff/staff-queries.js';
import { StaffTokens } from '../../application/staff/staff-tokens.js';
import { UserQueries } from '../../application/user/user-queries.js';
import { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import { ReportQueries } from '../../application/reports/report-queries.js';
import type { TokenVerifier } from '../../application/ports/token-verifier.js';
import type { UserSessions } from '../../application/user/user-sessions.js';
import { AccountSessions } from '../http/account/account-session.js';
import type { ProviderOfClient } from '../http/caller.js';
import { createDashboardRouter, DASHBOARD_SESSION_SCOPE } from '../http/dashboard/dashboard-router.js';
import { createReportsRouter } from '../http/reports-router.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import type { AppRoutes, MountContext } from '../http/app.js';
import { DEMO_SHOP_PATH } from '../demo-seed.js';
import { DemoShopSlot } from '../http/demo/demo-config.js';
import { createDemoShopRouter } from '../http/demo/demo-router.js';
import { createStaffRouter } from '../http/staff-router.js';
import { staffTokenAuth, type StaffTokenAuth } from '../http/staff/staff-token-auth.js';
import { TOKENS } from '../tokens.js';
import type { Wiring } from './wiring.js';

export function bindStaff(w: Wiring): void {
  const { container } = w;
  container.bind(StaffCommands).toSelf();
  container.bind(StaffQueries).toSelf();
  container.bind<StaffDirectory>(STAFF_DIRECTORY).toService(StaffQueries);
  container.bind(StaffTokens).toSelf();
  container.bind(ReportQueries).toSelf();
  container.bind(DemoShopSlot).toConstantValue(new DemoShopSlot());
}

/** The guard for /v1 APIs that serve staff (support tools, auditors): staff API tokens. */
export function staffApiAuth(container: Container): StaffTokenAuth {
  return staffTokenAuth({
    tokens: container.get(StaffTokens),
    directory: container.get<StaffDirectory>(STAFF_DIRECTORY),
  });
}

export interface StaffRouteDeps {
  readonly verifier: TokenVerifier;
  readonly providerOf: ProviderOfClient;
  readonly userSessions: UserSessions;
}

/** The staff admin API, the reports API and dashboard, and (with the demo data) the demo shop. */
export function staffRoutes(w: Wiring, mc: MountContext, deps: StaffRouteDeps): AppRoutes {
  const { container, config, stores, clock, oidcSlot } = w;
  const runner = container.get<ProjectionRunner>(TOKENS.ProjectionRunner);
  const slot = container.get(DemoShopSlot);
  const dashboard = createDashboardRouter({
    provider: () => oidcSlot.provider(),
    sessions: new AccountSessions({
      store: stores.ephemeral,
      sessions: deps.userSessions,
      clock,
      scope: DASHBOARD_SESSION_SCOPE,
    }),
    staff: container.get<StaffDirectory>(STAFF_DIRECTORY),
    reports: container.get(ReportQueries),
    providerName: async (id) => {
      try {
        return (await container.get(CatalogQueries).getProvider(id)).name;
      } catch {
        return null;
      }
    },
    clock,
  });
  return {
    v1: [
      createReportsRouter({
        queries: container.get(ReportQueries),
        verifier: deps.verifier,
        providerOf: deps.providerOf,
      }),
    ],
    admin: [
      createStaffRouter({
        commands: container.get(StaffCommands),
        queries: container.get(StaffQueries),
        users: container.get(UserQueries),
        views: runner,
        awaitMinPosition: mc.awaitMinPosition,
        writeVisibleTimeoutMs: mc.writeVisibleTimeoutMs,
      }),
    ],
    pages: [
      { prefixes: ['/dashboard'], router: dashboard },
      ...(config.demoSeed
        ? [
            {
              mountPath: DEMO_SHOP_PATH,
              router: createDemoShopRouter({
                config: () => slot.get(),
                store: stores.ephemeral satisfies EphemeralStore,
              }),
            },
          ]
        : []),
    ],
  };
}
