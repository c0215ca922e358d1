import { createHash, timingSafeEqual } from 'node:crypto';
import { HcrError } from '@hcr/core';
import { isApiRequest, sendError } from '../http.js';
import type { HcrFastify } from '../types.js';

/** Shorter tokens are refused: a guessable token guards nothing (`openssl rand -hex 32` gives 64 characters). */
export const MIN_API_TOKEN_LENGTH = 16;

const MAKE_ONE = 'Make one with `openssl rand -hex 32`.';

/**
 * Refuses a token that could not guard the API or could not be sent: too short, or holding characters an HTTP
 * header cannot carry as they are (spaces, control characters, non-ASCII). Returns the token.
 */
export function checkApiToken(token: unknown): string {
  if (typeof token !== 'string')
    throw new HcrError('BAD_OPTIONS', `The API token is ${typeof token}, not a string.`, { hint: MAKE_ONE });
  if (!/^[\x21-\x7e]*$/.test(token))
    throw new HcrError(
      'BAD_OPTIONS',
      'The API token holds spaces, control or non-ASCII characters, which an Authorization header cannot carry as they are.',
      { hint: `Use printable ASCII only. ${MAKE_ONE}` },
    );
  if (token.length < MIN_API_TOKEN_LENGTH)
    throw new HcrError(
      'BAD_OPTIONS',
      `The API token has ${token.length} characters; at least ${MIN_API_TOKEN_LENGTH} are needed for it to be hard to guess.`,
      { hint: MAKE_ONE },
    );
  return token;
}

/** sha256 of a string: equal-length digests, so the comparison below takes the same time for any guess. */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Swaps the token a running server takes (a rotation: the old one is refused from the next request on). */
export interface ApiTokenGuard {
  setToken(token: string): void;
}

/**
 * Every /v1/ request must carry `Authorization: Bearer <token>`; else 401 with `WWW-Authenticate: Bearer`
 * (RFC 6750). The page, /healthz, /readyz, /metrics and /openapi.json stay open: probes and scrapers carry no
 * token, and none of them reads an image or writes a file. A browser's CORS preflight (OPTIONS) carries no
 * credentials by design, so it passes; the request it precedes does not without the token.
 */
export function registerApiToken(app: HcrFastify, token: string): ApiTokenGuard {
  let expected = digest(checkApiToken(token));
  const hint =
    'Send the header `Authorization: Bearer <token>` with the token hcr serve was started with (--api-token-file or HCR_API_TOKEN).';
  app.addHook('onRequest', (req, reply, done) => {
    if (!isApiRequest(req) || req.method === 'OPTIONS') return done();
    const header = req.headers.authorization;
    const given = header?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i)?.[1];
    if (given === undefined) {
      reply.header('www-authenticate', 'Bearer realm="hcr"');
      sendError(
        reply,
        401,
        'TOKEN_REQUIRED',
        header === undefined
          ? 'This server needs an API token, and the request has none.'
          : 'The Authorization header is not `Bearer <token>`.',
        hint,
      );
      return;
    }
    if (!timingSafeEqual(digest(given), expected)) {
      reply.header('www-authenticate', 'Bearer realm="hcr", error="invalid_token"');
      sendError(reply, 401, 'TOKEN_INVALID', "The API token does not match the server's.", hint);
      return;
    }
    done();
  });
  return {
    setToken(next) {
      expected = digest(checkApiToken(next));
    },
  };
}
