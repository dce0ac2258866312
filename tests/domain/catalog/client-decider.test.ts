import { expect } from 'chai';
import { clientDecider } from '../../../domain/catalog/client-decider.js';
import type { RegisterClient } from '../../../domain/catalog/client-commands.js';
import {
  clientEvents,
  OAuthClientDisabled,
  OAuthClientEnabled,
  OAuthClientRegistered,
  OAuthClientSecretRotated,
  OAuthClientUpdated,
} from '../../../domain/catalog/client-events.js';
import { KNOWN_SCOPES } from '../../../domain/catalog/client-scopes.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { deciderSpec } from '../../support/decider-spec.js';

const clientId = '0190f3c2-7a1b-7c3d-8e4f-0000000000c1';
const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const digestA = 'a'.repeat(64);
const digestB = 'b'.repeat(64);

const registerWeb: RegisterClient = {
  type: 'RegisterClient',
  clientId,
  providerId,
  clientType: 'confidential',
  name: '  Acme TV  ',
  logoUri: 'https://cdn.acme.example/logo.png',
  redirectUris: ['https://tv.acme.example/callback', 'http://localhost:8081/callback'],
  postLogoutRedirectUris: ['https://tv.acme.example/'],
  backchannelLogoutUri: 'https://tv.acme.example/backchannel-logout',
  scopes: ['openid', 'profile', 'offline_access', 'id.user.write'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  secretDigest: digestA,
};

const webRegistered = OAuthClientRegistered({
  clientId,
  providerId,
  clientType: 'confidential',
  name: 'Acme TV',
  logoUri: 'https://cdn.acme.example/logo.png',
  redirectUris: ['https://tv.acme.example/callback', 'http://localhost:8081/callback'],
  postLogoutRedirectUris: ['https://tv.acme.example/'],
  backchannelLogoutUri: 'https://tv.acme.example/backchannel-logout',
  scopes: ['openid', 'profile', 'offline_access', 'id.user.write'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  secretDigest: digestA,
});

const registerApp: RegisterClient = {
  type: 'RegisterClient',
  clientId,
  providerId,
  clientType: 'public',
  name: 'Acme app',
  redirectUris: ['com.acme.app:/oauth/callback'],
  scopes: ['openid', 'phone'],
};

const appRegistered = OAuthClientRegistered({
  clientId,
  providerId,
  clientType: 'public',
  name: 'Acme app',
  redirectUris: ['com.acme.app:/oauth/callback'],
  postLogoutRedirectUris: [],
  scopes: ['openid', 'phone'],
  grantTypes: ['authorization_code', 'refresh_token'],
});

const client = deciderSpec(clientDecider);

describe('OAuthClient decider', () => {
  it('declares every event it can emit for the registry, and its events pass their own schemas', () => {
    const registry = new EventRegistry(clientEvents);
    for (const e of [
      webRegistered,
      appRegistered,
      OAuthClientUpdated({ clientId, changes: { name: 'x', logoUri: null } }),
      OAuthClientSecretRotated({ clientId, secretDigest: digestB }),
      OAuthClientDisabled({ clientId }),
      OAuthClientEnabled({ clientId }),
    ]) {
      expect(registry.encode(e.type, e.data).data).to.deep.equal(e.data);
    }
  });

  describe('register', () => {
    it('registers a confidential client with its secret digest, trimming the name', () => {
      client.given([]).when(registerWeb).then([webRegistered]);
    });

    it('registers a public native app with defaults: authorization_code + refresh_token, no logout URIs', () => {
      client.given([]).when(registerApp).then([appRegistered]);
    });

    it('accepts a client_credentials-only backend without redirect URIs or openid', () => {
      const events = clientDecider.decide(
        {
          ...registerWeb,
          redirectUris: [],
          postLogoutRedirectUris: [],
          scopes: ['id.user.read'],
          grantTypes: ['client_credentials'],
        },
        clientDecider.initialState(),
        { now: new Date() },
      );
      const [event] = events;
      if (event?.type !== 'OAuthClientRegistered') expect.fail('expected OAuthClientRegistered');
      expect(event.data.clientType).to.equal('confidential');
      expect(event.data.grantTypes).to.deep.equal(['client_credentials']);
      expect(event.data.redirectUris).to.deep.equal([]);
    });

    it('refuses to register the same client twice', () => {
      client.given([webRegistered]).when(registerWeb).thenThrows('client_exists', 'conflict');
    });

    const refusals: Array<[string, Partial<RegisterClient>, string, string]> = [
      [
        'an unknown client type',
        { clientType: 'trusted' as RegisterClient['clientType'] },
        'invalid_client_type',
        'clientType',
      ],
      ['an empty name', { name: '   ' }, 'invalid_name', 'name'],
      [
        'a public client with client_credentials',
        { ...registerApp, grantTypes: ['authorization_code', 'client_credentials'] },
        'client_credentials_not_for_public_clients',
        'grantTypes',
      ],
      [
        'a confidential client_credentials client without a secret',
        {
          grantTypes: ['client_credentials'],
          redirectUris: [],
          scopes: ['id.user.read'],
          secretDigest: undefined,
        },
        'secret_required',
        'clientSecret',
      ],
      [
        'a public client with a secret',
        { ...registerApp, grantTypes: undefined, secretDigest: digestA },
        'secret_not_allowed',
        'clientSecret',
      ],
      [
        'a malformed secret digest',
        { secretDigest: 'not-a-digest' },
        'invalid_secret_digest',
        'clientSecret',
      ],
      ['an unknown scope', { scopes: ['openid', 'admin'] }, 'unknown_scope', 'scopes.1'],
      ['a scope listed twice', { scopes: ['openid', 'email', 'openid'] }, 'duplicate_scope', 'scopes.2'],
      ['no scopes', { scopes: [] }, 'scopes_required', 'scopes'],
      [
        'id.user.write for a public client',
        { ...registerApp, grantTypes: undefined, scopes: ['openid', 'id.user.write'] },
        'scope_not_for_public_clients',
        'scopes.1',
      ],
      ['sign-in without openid', { scopes: ['profile'] }, 'openid_scope_required', 'scopes'],
      [
        'offline_access without refresh_token',
        { grantTypes: ['authorization_code'] },
        'offline_access_requires_refresh_token',
        'scopes',
      ],
      [
        'refresh_token without authorization_code',
        { grantTypes: ['refresh_token', 'client_credentials'], scopes: ['openid'] },
        'refresh_token_requires_authorization_code',
        'grantTypes',
      ],
      [
        'an unknown grant type',
        { grantTypes: ['authorization_code', 'password'] },
        'unknown_grant_type',
        'grantTypes.1',
      ],
      [
        'a grant type listed twice',
        { grantTypes: ['authorization_code', 'authorization_code'] },
        'duplicate_grant_type',
        'grantTypes.1',
      ],
      ['no grant types', { grantTypes: [] }, 'grant_types_required', 'grantTypes'],
      [
        'authorization_code without a redirect URI',
        { redirectUris: [] },
        'redirect_uri_required',
        'redirectUris',
      ],
      [
        'a redirect URI with a fragment',
        { redirectUris: ['https://tv.acme.example/cb#x'] },
        'invalid_redirect_uri',
        'redirectUris.0',
      ],
      [
        'a relative redirect URI',
        { redirectUris: ['https://ok.example/cb', '/callback'] },
        'invalid_redirect_uri',
        'redirectUris.1',
      ],
      [
        'plain http to a public host',
        { redirectUris: ['http://tv.acme.example/cb'] },
        'invalid_redirect_uri',
        'redirectUris.0',
      ],
      [
        'a javascript: redirect URI',
        { redirectUris: ['javascript:alert(1)'] },
        'invalid_redirect_uri',
        'redirectUris.0',
      ],
      [
        'a redirect URI with credentials',
        { redirectUris: ['https://user:pw@tv.acme.example/cb'] },
        'invalid_redirect_uri',
        'redirectUris.0',
      ],
      [
        'a duplicate redirect URI',
        { redirectUris: ['https://tv.acme.example/cb', 'https://TV.acme.example/cb'] },
        'duplicate_redirect_uri',
        'redirectUris.1',
      ],
      [
        'more than 20 redirect URIs',
        { redirectUris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) },
        'too_many_redirect_uris',
        'redirectUris',
      ],
      [
        'a bad post-logout redirect URI',
        { postLogoutRedirectUris: ['ftp://x.example/'] },
        'invalid_redirect_uri',
        'postLogoutRedirectUris.0',
      ],
      [
        'an http back-channel logout URI',
        { backchannelLogoutUri: 'http://localhost/logout' },
        'invalid_backchannel_logout_uri',
        'backchannelLogoutUri',
      ],
      ['an http logo', { logoUri: 'http://cdn.acme.example/logo.png' }, 'invalid_logo_uri', 'logoUri'],
    ];
    for (const [what, change, code, field] of refusals) {
      it(`refuses ${what} (${code} at ${field})`, () => {
        const error = client
          .given([])
          .when({ ...registerWeb, ...change })
          .thenThrows(code, 'invalid');
        expect(error.field).to.equal(field);
        expect(error.message).to.include(field);
      });
    }

    it('accepts every redirect URI form it documents', () => {
      const redirectUris = [
        'https://tv.acme.example/callback?x=1',
        'http://localhost/cb',
        'http://127.0.0.1:51004/cb',
        'http://[::1]:8080/cb',
        'com.acme.app:/oauth2redirect',
        'no.acme.tv://connect/oauth2callback',
      ];
      const [event] = clientDecider.decide({ ...registerWeb, redirectUris }, clientDecider.initialState(), {
        now: new Date(),
      });
      expect(event?.type === 'OAuthClientRegistered' && event.data.redirectUris).to.deep.equal(redirectUris);
    });

    it('knows exactly the documented scopes', () => {
      expect([...KNOWN_SCOPES]).to.have.members([
        'openid',
        'profile',
        'email',
        'phone',
        'offline_access',
        'id.user.read',
        'id.user.write',
        'id.user.right.read',
        'id.user.right.use',
        'id.user.right.write',
        'events.read',
        'payment.transactions.write',
        'reports.read',
      ]);
    });
  });

  describe('update', () => {
    it('records only the fields that changed, with their new values', () => {
      client
        .given([webRegistered])
        .when({ type: 'UpdateClient', name: 'Acme TV+', scopes: webRegistered.data.scopes, logoUri: null })
        .then([OAuthClientUpdated({ clientId, changes: { name: 'Acme TV+', logoUri: null } })]);
    });

    it('evolves to the merged registration data', () => {
      const state = client
        .given([webRegistered])
        .when({
          type: 'UpdateClient',
          redirectUris: ['https://new.acme.example/cb'],
          backchannelLogoutUri: null,
        })
        .thenState();
      expect(state.status).to.equal('active');
      if (state.status === 'none') return;
      expect(state.metadata.redirectUris).to.deep.equal(['https://new.acme.example/cb']);
      expect(state.metadata.backchannelLogoutUri).to.equal(null);
      expect(state.metadata.name).to.equal('Acme TV');
      expect(state.secretDigest).to.equal(digestA);
    });

    it('changes nothing when the values are the same', () => {
      client.given([webRegistered]).when({ type: 'UpdateClient', name: 'Acme TV' }).then([]);
    });

    it('refuses an empty update', () => {
      client.given([webRegistered]).when({ type: 'UpdateClient' }).thenThrows('nothing_to_change', 'invalid');
    });

    it('checks the merged result as a whole', () => {
      client
        .given([webRegistered])
        .when({ type: 'UpdateClient', grantTypes: ['authorization_code'] })
        .thenThrows('offline_access_requires_refresh_token', 'invalid');
      client
        .given([appRegistered])
        .when({ type: 'UpdateClient', scopes: ['openid', 'id.user.write'] })
        .thenThrows('scope_not_for_public_clients', 'invalid');
      client
        .given([appRegistered])
        .when({ type: 'UpdateClient', grantTypes: ['authorization_code', 'client_credentials'] })
        .thenThrows('client_credentials_not_for_public_clients', 'invalid');
    });

    it('refuses to update an unknown client', () => {
      client.given([]).when({ type: 'UpdateClient', name: 'x' }).thenThrows('client_not_found', 'not_found');
    });
  });

  describe('secret rotation', () => {
    it('replaces the secret digest', () => {
      client
        .given([webRegistered])
        .when({ type: 'RotateClientSecret', secretDigest: digestB })
        .then([OAuthClientSecretRotated({ clientId, secretDigest: digestB })]);
      const state = client
        .given([webRegistered])
        .when({ type: 'RotateClientSecret', secretDigest: digestB })
        .thenState();
      expect(state.status !== 'none' && state.secretDigest).to.equal(digestB);
    });

    it('works on a disabled client, so it can be repaired before it is enabled', () => {
      client
        .given([webRegistered, OAuthClientDisabled({ clientId })])
        .when({ type: 'RotateClientSecret', secretDigest: digestB })
        .then([OAuthClientSecretRotated({ clientId, secretDigest: digestB })]);
    });

    it('refuses for a public client, a bad digest, or an unknown client', () => {
      client
        .given([appRegistered])
        .when({ type: 'RotateClientSecret', secretDigest: digestB })
        .thenThrows('public_client_has_no_secret', 'conflict');
      client
        .given([webRegistered])
        .when({ type: 'RotateClientSecret', secretDigest: 'XYZ' })
        .thenThrows('invalid_secret_digest', 'invalid');
      client
        .given([])
        .when({ type: 'RotateClientSecret', secretDigest: digestB })
        .thenThrows('client_not_found', 'not_found');
    });
  });

  describe('disable and enable', () => {
    it('disables with an optional reason, and disabling again changes nothing', () => {
      client
        .given([webRegistered])
        .when({ type: 'DisableClient', reason: ' leaked secret ' })
        .then([OAuthClientDisabled({ clientId, reason: 'leaked secret' })]);
      client
        .given([webRegistered, OAuthClientDisabled({ clientId })])
        .when({ type: 'DisableClient' })
        .then([]);
      const state = client.given([webRegistered]).when({ type: 'DisableClient' }).thenState();
      expect(state.status).to.equal('disabled');
    });

    it('enables a disabled client, and enabling an active one changes nothing', () => {
      client
        .given([webRegistered, OAuthClientDisabled({ clientId })])
        .when({ type: 'EnableClient' })
        .then([OAuthClientEnabled({ clientId })]);
      client.given([webRegistered]).when({ type: 'EnableClient' }).then([]);
    });

    it('can still edit a disabled client', () => {
      const state = client
        .given([webRegistered, OAuthClientDisabled({ clientId })])
        .when({ type: 'UpdateClient', name: 'Renamed' })
        .thenState();
      expect(state.status).to.equal('disabled');
      expect(state.status !== 'none' && state.metadata.name).to.equal('Renamed');
    });

    it('refuses for an unknown client', () => {
      client.given([]).when({ type: 'DisableClient' }).thenThrows('client_not_found', 'not_found');
      client.given([]).when({ type: 'EnableClient' }).thenThrows('client_not_found', 'not_found');
    });
  });
});
