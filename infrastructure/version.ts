import { readFileSync } from 'node:fs';

/** Tessera's version, from package.json (shown in the OpenAPI document). */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
