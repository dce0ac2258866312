import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

const REALM = 'tessera-admin';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Admin API authentication: `Authorization: Bearer <ADMIN_TOKEN>`. Both sides are hashed first so
 * the constant-time comparison works on equal-length inputs and leaks neither content nor length.
 */
export function adminAuth(adminToken: string): RequestHandler {
  const expected = digest(adminToken);
  return (req, _res, next) => {
    const header = req.get('Authorization');
    if (!header) {
      throw new HttpProblem(401, 'unauthorized', 'Send the admin token as `Authorization: Bearer <token>`.', {
        headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
      });
    }
    const match = /^Bearer +([^\s]+) *$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new HttpProblem(401, 'invalid_token', 'The admin token is missing, malformed or wrong.', {
        headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token"` },
      });
    }
    next();
  };
}
