import { expect } from 'chai';
import { z } from 'zod';
import { defineEvent } from '../../../domain/kernel/event.js';
import {
  EventRegistry,
  InvalidEventDataError,
  UnknownEventTypeError,
} from '../../../domain/kernel/registry.js';

const NoteTakenV1 = defineEvent('NoteTaken', z.object({ text: z.string() }));
const NoteTakenV2 = defineEvent('NoteTaken', z.object({ text: z.string(), tags: z.array(z.string()) }), {
  version: 2,
  upcasters: { 1: (v1) => ({ ...(v1 as object), tags: [] }) },
});
const NoteTakenV3 = defineEvent(
  'NoteTaken',
  z.object({ body: z.string(), tags: z.array(z.string()), pinned: z.boolean() }),
  {
    version: 3,
    upcasters: {
      1: (v1) => ({ ...(v1 as object), tags: [] }),
      2: (v2) => {
        const { text, tags } = v2 as { text: string; tags: string[] };
        return { body: text, tags, pinned: false };
      },
    },
  },
);

describe('EventRegistry', () => {
  it('encodes valid data with the current schema version', () => {
    const registry = new EventRegistry([NoteTakenV2]);
    expect(registry.encode('NoteTaken', { text: 'hi', tags: ['a'] })).to.deep.equal({
      data: { text: 'hi', tags: ['a'] },
      schemaVersion: 2,
    });
  });

  it('rejects unknown event types on write and read', () => {
    const registry = new EventRegistry([NoteTakenV1]);
    expect(() => registry.encode('Nope', {})).to.throw(UnknownEventTypeError, 'Nope');
    expect(() => registry.decode('Nope', 1, {})).to.throw(UnknownEventTypeError);
  });

  it('rejects invalid data naming the field', () => {
    const registry = new EventRegistry([NoteTakenV2]);
    try {
      registry.encode('NoteTaken', { text: 42, tags: [] });
      expect.fail('expected an error');
    } catch (err) {
      expect(err).to.be.instanceOf(InvalidEventDataError);
      expect((err as InvalidEventDataError).issues.map((i) => i.path)).to.deep.equal(['text']);
    }
  });

  it('strips fields the schema does not know on write', () => {
    const registry = new EventRegistry([NoteTakenV1]);
    expect(registry.encode('NoteTaken', { text: 'x', secret: 'y' }).data).to.deep.equal({ text: 'x' });
  });

  it('upcasts old versions step by step and validates the result', () => {
    const registry = new EventRegistry([NoteTakenV3]);
    expect(registry.decode('NoteTaken', 1, { text: 'old' })).to.deep.equal({
      body: 'old',
      tags: [],
      pinned: false,
    });
    expect(registry.decode('NoteTaken', 2, { text: 'mid', tags: ['t'] })).to.deep.equal({
      body: 'mid',
      tags: ['t'],
      pinned: false,
    });
    expect(registry.decode('NoteTaken', 3, { body: 'new', tags: [], pinned: true })).to.deep.equal({
      body: 'new',
      tags: [],
      pinned: true,
    });
    expect(() => registry.decode('NoteTaken', 1, { text: 5 })).to.throw(InvalidEventDataError);
  });

  it('refuses schema versions it cannot read', () => {
    const registry = new EventRegistry([NoteTakenV2]);
    expect(() => registry.decode('NoteTaken', 3, { text: 'x', tags: [] })).to.throw(
      InvalidEventDataError,
      'unsupported',
    );
    expect(() => registry.decode('NoteTaken', 0, { text: 'x', tags: [] })).to.throw(InvalidEventDataError);
  });

  it('refuses a definition whose upcaster chain has a gap', () => {
    expect(() => defineEvent('Gap', z.object({}), { version: 3, upcasters: { 1: (d) => d } })).to.throw(
      'upcaster from version 2',
    );
  });

  it('refuses two different definitions of one type', () => {
    expect(() => new EventRegistry([NoteTakenV1, NoteTakenV2])).to.throw('registered twice');
  });
});
