import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSecretFile } from '../../infrastructure/secret-file.js';

describe('resolveSecretFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a random secret once, readable by the owner only, and returns it on later calls', () => {
    const first = resolveSecretFile(join(dir, 'nested'), 'key', 32);
    expect(first.generated).to.equal(true);
    expect(Buffer.from(first.value, 'base64url')).to.have.length(32);
    expect(statSync(first.file).mode & 0o777).to.equal(0o600);
    const again = resolveSecretFile(join(dir, 'nested'), 'key', 32);
    expect(again).to.deep.equal({ ...first, generated: false });
    expect(resolveSecretFile(dir, 'other', 32).value).to.not.equal(first.value);
  });

  it('refuses a file too short to be a secret, naming the file', () => {
    writeFileSync(join(dir, 'key'), 'short\n');
    expect(() => resolveSecretFile(dir, 'key', 32)).to.throw(join(dir, 'key'));
  });
});
