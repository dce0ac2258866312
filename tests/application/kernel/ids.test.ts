import { expect } from 'chai';
import { newId } from '../../../application/kernel/ids.js';

describe('newId', () => {
  it('makes distinct UUID v7 strings whose timestamps never go backwards', () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    expect(new Set(ids).size).to.equal(ids.length);
    for (const id of ids)
      expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const millis = ids.map((id) => parseInt(id.replace(/-/g, '').slice(0, 12), 16));
    for (let i = 1; i < millis.length; i++) expect(millis[i]).to.be.at.least(millis[i - 1]!);
    expect(Math.abs(millis.at(-1)! - Date.now())).to.be.below(5000);
  });
});
