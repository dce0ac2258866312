import { expect } from 'chai';
import { decideAccess } from '../../../application/right/right-queries.js';
import { PERPETUAL_END, type RightDoc } from '../../../projections/rights.js';

const AT = new Date('2026-06-01T10:00:00.000Z');

function right(id: string, fields: Partial<RightDoc>): RightDoc {
  const validUntil = fields.validUntil === undefined ? '2026-07-01T00:00:00.000Z' : fields.validUntil;
  return {
    id,
    providerId: 'p',
    productId: 'prod',
    sku: 'film',
    sub: 's',
    grantor: { kind: 'provider', id: 'c' },
    validFrom: '2026-05-01T00:00:00.000Z',
    validUntil,
    endsAt: validUntil ?? PERPETUAL_END,
    status: 'active',
    used: false,
    usedAt: null,
    payload: null,
    createdAt: '2026-05-01T00:00:00.000Z',
    updatedAt: '2026-05-01T00:00:00.000Z',
    revision: 0,
    ...fields,
  };
}

describe('decideAccess', () => {
  it('allows by the active right that lasts longest, a perpetual one above all', () => {
    const short = right('short', {});
    const long = right('long', { validUntil: '2026-08-01T00:00:00.000Z' });
    expect(decideAccess([short, long], AT)).to.deep.equal({
      allowed: true,
      rightId: 'long',
      validUntil: '2026-08-01T00:00:00.000Z',
      reason: 'active',
    });
    const forever = right('forever', { validUntil: null });
    expect(decideAccess([short, forever, long], AT).rightId).to.equal('forever');
  });

  it('names the right closest to usable: suspended, then not yet valid, expired, terminated', () => {
    const suspended = right('suspended', { status: 'suspended' });
    const later = right('later', { validFrom: '2026-06-20T00:00:00.000Z' });
    const sooner = right('sooner', { validFrom: '2026-06-10T00:00:00.000Z' });
    const expired = right('expired', { validUntil: '2026-05-20T00:00:00.000Z' });
    const expiredLast = right('expired-last', { validUntil: '2026-06-01T10:00:00.000Z' });
    const terminated = right('terminated', { status: 'terminated' });
    const all = [terminated, expired, expiredLast, later, sooner, suspended];
    expect(decideAccess(all, AT)).to.include({ allowed: false, rightId: 'suspended', reason: 'suspended' });
    expect(decideAccess(all.slice(0, 5), AT)).to.include({ rightId: 'sooner', reason: 'not_yet_valid' });
    expect(decideAccess(all.slice(0, 3), AT)).to.include({ rightId: 'expired-last', reason: 'expired' });
    expect(decideAccess([terminated], AT)).to.include({ rightId: 'terminated', reason: 'terminated' });
    expect(decideAccess([], AT)).to.deep.equal({
      allowed: false,
      rightId: null,
      validUntil: null,
      reason: 'no_right',
    });
  });

  it('gives ties to the lowest right id, whatever the order the rights are listed in', () => {
    expect(decideAccess([right('a', {}), right('b', {})], AT).rightId).to.equal('a');
    expect(decideAccess([right('b', {}), right('a', {})], AT).rightId).to.equal('a');
    const a = right('a', { validFrom: '2026-06-10T00:00:00.000Z' });
    const b = right('b', { validFrom: '2026-06-10T00:00:00.000Z', validUntil: '2026-06-20T00:00:00.000Z' });
    expect(decideAccess([a, b], AT).rightId).to.equal('a');
    expect(decideAccess([b, a], AT).rightId).to.equal('a');
    const ended = (id: string) => right(id, { validUntil: '2026-05-20T00:00:00.000Z' });
    expect(decideAccess([ended('d'), ended('c')], AT)).to.include({ rightId: 'c', reason: 'expired' });
  });
});
