import { expect } from 'chai';
import { providerDecider } from '../../../domain/catalog/provider-decider.js';
import { ServiceProviderRegistered, ServiceProviderRenamed } from '../../../domain/catalog/events.js';
import { deciderSpec } from '../../support/decider-spec.js';

const providerId = '0190f3c2-7a1b-7c3d-8e4f-123456789abc';
const registered = ServiceProviderRegistered({ providerId, name: 'Tessera Demo Media' });
const provider = deciderSpec(providerDecider);

describe('ServiceProvider decider', () => {
  describe('RegisterProvider', () => {
    it('registers a new provider with a trimmed name', () => {
      provider
        .given([])
        .when({ type: 'RegisterProvider', providerId, name: '  Tessera Demo Media ' })
        .then([ServiceProviderRegistered({ providerId, name: 'Tessera Demo Media' })]);
    });

    it('records the contact when given', () => {
      const contact = { email: 'ops@example.com', url: 'https://example.com/support' };
      provider
        .given([])
        .when({ type: 'RegisterProvider', providerId, name: 'Acme', contact })
        .then([ServiceProviderRegistered({ providerId, name: 'Acme', contact })]);
    });

    it('refuses to register the same provider twice', () => {
      provider
        .given([registered])
        .when({ type: 'RegisterProvider', providerId, name: 'Again' })
        .thenThrows('provider_exists', 'conflict');
    });

    it('refuses an empty name', () => {
      const error = provider
        .given([])
        .when({ type: 'RegisterProvider', providerId, name: '   ' })
        .thenThrows('invalid_name', 'invalid');
      expect(error.field).to.equal('name');
    });

    it('refuses a name over 200 characters', () => {
      provider
        .given([])
        .when({ type: 'RegisterProvider', providerId, name: 'x'.repeat(201) })
        .thenThrows('invalid_name');
    });

    it('refuses a contact without any way to reach anyone, and a malformed email', () => {
      provider
        .given([])
        .when({ type: 'RegisterProvider', providerId, name: 'Acme', contact: {} })
        .thenThrows('invalid_contact');
      const error = provider
        .given([])
        .when({ type: 'RegisterProvider', providerId, name: 'Acme', contact: { email: 'not-an-email' } })
        .thenThrows('invalid_contact');
      expect(error.field).to.equal('contact.email');
    });
  });

  describe('RenameProvider', () => {
    it('renames, remembering the previous name', () => {
      provider
        .given([registered])
        .when({ type: 'RenameProvider', name: 'Tessera Media' })
        .then([
          ServiceProviderRenamed({ providerId, name: 'Tessera Media', previousName: 'Tessera Demo Media' }),
        ]);
    });

    it('changes nothing when the name is the same', () => {
      provider.given([registered]).when({ type: 'RenameProvider', name: 'Tessera Demo Media ' }).then([]);
    });

    it('uses the latest name after earlier renames', () => {
      const renamed = ServiceProviderRenamed({
        providerId,
        name: 'Second',
        previousName: 'Tessera Demo Media',
      });
      provider
        .given([registered, renamed])
        .when({ type: 'RenameProvider', name: 'Third' })
        .then([ServiceProviderRenamed({ providerId, name: 'Third', previousName: 'Second' })]);
    });

    it('refuses to rename an unknown provider', () => {
      provider
        .given([])
        .when({ type: 'RenameProvider', name: 'Ghost' })
        .thenThrows('provider_not_found', 'not_found');
    });

    it('refuses an empty new name', () => {
      provider
        .given([registered])
        .when({ type: 'RenameProvider', name: '' })
        .thenThrows('invalid_name', 'invalid');
    });
  });
});
