import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../infrastructure/config.js';
import { Secrets } from '../../infrastructure/secrets.js';

describe('Secrets', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('derives independent 32-byte keys per purpose, stable for one master secret', () => {
    const a = Secrets.fromString('m'.repeat(40));
    const b = Secrets.fromString('m'.repeat(40));
    const other = Secrets.fromString('n'.repeat(40));
    expect(a.derive('oidc-cookies')).to.have.length(32);
    expect(a.derive('oidc-cookies').equals(b.derive('oidc-cookies'))).to.equal(true);
    expect(a.derive('oidc-cookies').equals(a.derive('one-time-codes'))).to.equal(false);
    expect(a.derive('oidc-cookies').equals(other.derive('oidc-cookies'))).to.equal(false);
  });

  it('generates the embedded master secret once into DATA_DIR and reuses it', () => {
    const config = loadConfig({ DATA_DIR: dir });
    const first = Secrets.fromConfig(config).derive('one-time-codes');
    expect(readFileSync(join(dir, 'secret-key'), 'utf8').trim()).to.have.length.greaterThan(40);
    expect(Secrets.fromConfig(config).derive('one-time-codes').equals(first)).to.equal(true);
  });

  it('uses SECRET_KEY when set, so every process of a deployment derives the same keys', () => {
    const key = 's'.repeat(48);
    const fromEnv = Secrets.fromConfig(loadConfig({ DATA_DIR: dir, SECRET_KEY: key }));
    expect(fromEnv.derive('oidc-cookies').equals(Secrets.fromString(key).derive('oidc-cookies'))).to.equal(
      true,
    );
  });

  it('refuses a short master secret', () => {
    expect(() => Secrets.fromString('short')).to.throw('at least 32');
  });
});
