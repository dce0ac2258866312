import { type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type { ProviderCommand } from './commands.js';
import { type ProviderEvent, ServiceProviderRegistered, ServiceProviderRenamed } from './events.js';
import { ContactSchema, ProviderNameSchema } from './values.js';

export type ProviderState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'registered'; readonly providerId: string; readonly name: string };

/** A service provider: registered once, renamable. */
export const providerDecider: Decider<ProviderState, ProviderCommand, ProviderEvent> = {
  initialState: () => ({ status: 'unregistered' }),

  evolve(state, event) {
    switch (event.type) {
      case 'ServiceProviderRegistered':
        return { status: 'registered', providerId: event.data.providerId, name: event.data.name };
      case 'ServiceProviderRenamed':
        return state.status === 'registered' ? { ...state, name: event.data.name } : state;
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterProvider': {
        if (state.status === 'registered') {
          throw new DomainError(
            'conflict',
            'provider_exists',
            'This service provider is already registered.',
          );
        }
        const name = ensureValid(ProviderNameSchema, command.name, 'name', 'invalid_name');
        const contact =
          command.contact === undefined
            ? undefined
            : ensureValid(ContactSchema, command.contact, 'contact', 'invalid_contact');
        return [
          ServiceProviderRegistered({
            providerId: command.providerId,
            name,
            ...(contact ? { contact } : {}),
          }),
        ];
      }
      case 'RenameProvider': {
        if (state.status !== 'registered') {
          throw new DomainError('not_found', 'provider_not_found', 'No such service provider.');
        }
        const name = ensureValid(ProviderNameSchema, command.name, 'name', 'invalid_name');
        if (name === state.name) return [];
        return [ServiceProviderRenamed({ providerId: state.providerId, name, previousName: state.name })];
      }
    }
  },
};
