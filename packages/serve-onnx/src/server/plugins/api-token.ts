import { createHash, timingSafeEqual } from 'node:crypto';
import { HcrError } from '@hcr/core';
import { isApiRequest, sendError } from '../http.js';
import type { HcrFastify } from '../types.js';

/** Shorter tokens are refused: a guessable token guards nothing (`openssl rand -hex 32` gives 64 characters). */
export const MIN_API_TOKEN_LENGTH = 16;

/**
 * What a token may do: `read` (POST /v1/read and /v1/predict), `collect` (POST /v1/samples, which writes the
 * examples fine-tuning learns from), `metrics` (GET /metrics, which then needs it). GET /v1/model is open to any.
 */
export type ApiScope = 'read' | 'collect' | 'metrics';
export const API_SCOPES: readonly ApiScope[] = Object.freeze(['read', 'collect', 'metrics']);
/**
 * A client's scopes when none are written: the API's. Not `metrics`, which closes /metrics to everyone else as soon
 * as one client holds it, so it is given only by name (token files written before it existed keep their meaning).
 */
export const DEFAULT_API_SCOPES: readonly ApiScope[] = Object.freeze(['read', 'collect']);
/** What each scope lets a client do, as the 403 answer says it. */
const MAY: Record<ApiScope, string> = { read: 'read', collect: 'collect', metrics: 'scrape metrics' };
const NOT: Record<ApiScope, string> = {
  read: 'read',
  collect: 'collect examples',
  metrics: 'scrape metrics',
};

/** A client of the API: its name (in the request log, /metrics and rate limits; never the token) and its token. */
export interface ApiClient {
  name: string;
  token: string;
  /** What its token may do; default DEFAULT_API_SCOPES (read, collect). */
  scopes?: readonly ApiScope[];
}

/** One token (its client named `default`), or one per client: several let tokens be rotated one client at a time. */
export type ApiTokens = string | readonly ApiClient[];

/** Whether GET /metrics needs a token: as soon as one client holds the `metrics` scope (none by default). */
export function guardsMetrics(clients: readonly Pick<ApiClient, 'scopes'>[]): boolean {
  return clients.some((c) => c.scopes?.includes('metrics') === true);
}

/** A client's tokens at most: one, and a second while it moves to a new one (a rotation without refusals). */
export const MAX_TOKENS_PER_CLIENT = 2;

export const MAKE_ONE = 'Make one with `openssl rand -hex 32` (or `hcr token add <client> --file <tokens>`).';
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

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

/**
 * The clients a server takes, checked: at least one, each token as checkApiToken asks, names of letters, digits,
 * `.`, `_` and `-` (they go into logs and metric labels), no token twice. A name comes once, or twice with the same
 * scopes: a client's old and new token while a rotation is under way (`hcr token rotate --keep-old`). `source` (a
 * file, an environment variable) starts each refusal's message, saying where the tokens came from.
 */
export function checkApiClients(tokens: ApiTokens, source?: string): ApiClient[] {
  if (source === undefined) return checkClients(tokens);
  try {
    return checkClients(tokens);
  } catch (e) {
    if (e instanceof HcrError) throw new HcrError(e.code, `${source}: ${e.problem}`, { hint: e.hint });
    throw e;
  }
}

function checkClients(tokens: ApiTokens): ApiClient[] {
  const clients = typeof tokens === 'string' ? [{ name: 'default', token: tokens }] : [...tokens];
  if (clients.length === 0)
    throw new HcrError('BAD_OPTIONS', 'The list of API tokens is empty: every request would be refused.', {
      hint: `Give at least one token. ${MAKE_ONE}`,
    });
  const names = new Map<string, string>(); // name -> its scopes, as written out
  const seen = new Set<string>();
  for (const { name, token, scopes } of clients) {
    if (typeof name !== 'string' || !CLIENT_NAME.test(name))
      throw new HcrError('BAD_OPTIONS', `The API client name ${JSON.stringify(name)} is not allowed.`, {
        hint: 'Name clients with letters, digits, `.`, `_` and `-` (at most 64 characters, starting with a letter or digit).',
      });
    const unknown = scopes?.find((k) => !API_SCOPES.includes(k));
    if (scopes !== undefined && (scopes.length === 0 || unknown !== undefined))
      throw new HcrError(
        'BAD_OPTIONS',
        unknown === undefined
          ? `Client ${name} has no scope.`
          : `Client ${name} has the unknown scope '${unknown}'.`,
        {
          hint: `A client's scopes are some of ${API_SCOPES.join(', ')} (comma-separated in a token file); leave them out for ${DEFAULT_API_SCOPES.join(' and ')}.`,
        },
      );
    try {
      checkApiToken(token);
    } catch (e) {
      if (!(e instanceof HcrError) || clients.length === 1) throw e;
      throw new HcrError(e.code, `Client ${name}: ${e.problem}`, { hint: e.hint });
    }
    const may = (scopes ?? DEFAULT_API_SCOPES).join(',');
    const before = names.get(name);
    const held = before === undefined ? 1 : clients.filter((c) => c.name === name).length;
    if (held > MAX_TOKENS_PER_CLIENT)
      throw new HcrError(
        'BAD_OPTIONS',
        `Client ${name} has ${held} tokens; a client holds at most two, its old and new one during a rotation.`,
        {
          hint: `Give each client a name of its own (the log and the rate limits tell clients apart by it), or retire the old token (hcr token retire ${name}).`,
        },
      );
    if (before !== undefined && before !== may)
      throw new HcrError(
        'BAD_OPTIONS',
        `Client ${name} has two tokens of different scopes (${before} and ${may}).`,
        {
          hint: 'Give each client a name of its own: the log and the rate limits tell clients apart by it; two tokens of one client (a rotation) have the same scopes.',
        },
      );
    if (seen.has(token))
      throw new HcrError('BAD_OPTIONS', `Client ${name} has the same token as another client.`, {
        hint: `Give each client a token of its own. ${MAKE_ONE}`,
      });
    names.set(name, may);
    seen.add(token);
  }
  return clients;
}

/** The scope a route needs: POST /v1/samples writes examples, the readers read; /v1/model needs none. */
function scopeOf(route: string | undefined): ApiScope | undefined {
  if (route === '/v1/samples') return 'collect';
  if (route === '/v1/read' || route === '/v1/predict') return 'read';
  if (route === '/metrics') return 'metrics';
  return undefined;
}

/** `a`, `a and b`, `a, b and c`. */
function listed(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** sha256 of a string: equal-length digests, so the comparison below takes the same time for any guess. */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Swaps the tokens a running server takes (a rotation: a token left out is refused from the next request on). */
export interface ApiTokenGuard {
  setTokens(tokens: ApiTokens): void;
  /** Whether GET /metrics needs a token with the tokens taken now (guardsMetrics). */
  metricsGuarded(): boolean;
}

/**
 * Every /v1/ request must carry `Authorization: Bearer <token>` of one of the clients; else 401 with
 * `WWW-Authenticate: Bearer` (RFC 6750). The client's name is kept on the request (`req.apiClient`) for the log
 * line and the rate limit. The page, /healthz, /readyz and /openapi.json stay open: probes carry no token, and none
 * of them reads an image or writes a file. /metrics stays open too until a client holds the `metrics` scope; then
 * it needs that client's token (it names the clients and shows their traffic). A browser's CORS preflight
 * (OPTIONS) carries no credentials by design, so it passes; the request it precedes does not without the token.
 */
export function registerApiToken(app: HcrFastify, tokens: ApiTokens): ApiTokenGuard {
  const digests = (t: ApiTokens) =>
    checkApiClients(t).map(({ name, token, scopes = DEFAULT_API_SCOPES }) => ({
      name,
      scopes,
      digest: digest(token),
    }));
  let expected = digests(tokens);
  const metricsGuarded = () => guardsMetrics(expected);
  const hint =
    'Send the header `Authorization: Bearer <token>` with the token hcr serve was started with (--api-token-file or HCR_API_TOKEN).';
  app.addHook('onRequest', (req, reply, done) => {
    if (req.method === 'OPTIONS') return done();
    const scope = scopeOf(req.routeOptions.url);
    if (!isApiRequest(req) && !(scope === 'metrics' && metricsGuarded())) return done();
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
    const mine = digest(given);
    let client: (typeof expected)[number] | undefined;
    // every client's digest is compared, so the time taken says nothing about which came close
    for (const entry of expected) if (timingSafeEqual(mine, entry.digest)) client = entry;
    if (client === undefined) {
      reply.header('www-authenticate', 'Bearer realm="hcr", error="invalid_token"');
      sendError(reply, 401, 'TOKEN_INVALID', "The API token does not match the server's.", hint);
      return;
    }
    req.apiClient = client.name;
    req.apiScopes = client.scopes;
    if (scope && !client.scopes.includes(scope)) {
      reply.header('www-authenticate', `Bearer realm="hcr", error="insufficient_scope", scope="${scope}"`);
      sendError(
        reply,
        403,
        'INSUFFICIENT_SCOPE',
        `Client ${client.name} may ${listed(client.scopes.map((k) => MAY[k]))}, not ${NOT[scope]}.`,
        `This route needs a token with the ${scope} scope: ask for one, or add ${scope} to this client's line of the token file.`,
      );
      return;
    }
    done();
  });
  return {
    setTokens(next) {
      expected = digests(next);
    },
    metricsGuarded,
  };
}
