import SwaggerParser from '@apidevtools/swagger-parser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppOptions,
  buildApp,
  checkApiClients,
  checkApiToken,
  createRecognizer,
  type HcrApp,
  parseApiTokens,
} from '../src/index.js';
import { capturedLog } from './support/log-lines.js';
import { FIXTURE_MODEL } from './support/models.js';

const TOKEN = 'f3a9c1e07b5d42a8b6e1c9d0a7f3e2b4';
const PIXELS = JSON.stringify({ pixels: new Array(784).fill(0).map((_, i) => (i % 28 === 14 ? 255 : 0)) });

/** The fixture model served with `options` (the guards under test), built before a describe's tests, shut after. */
function serving(options: Omit<AppOptions, 'recognizer' | 'logger'> & Partial<Pick<AppOptions, 'logger'>>) {
  const held = {} as { hcr: HcrApp };
  beforeAll(async () => {
    const recognizer = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    held.hcr = await buildApp({ recognizer, logger: pino({ level: 'silent' }), ...options });
  });
  afterAll(() => held.hcr.shutdown());
  return held;
}

describe('an API token on /v1/', () => {
  const server = serving({ apiToken: TOKEN, origins: { corsOrigins: ['https://app.example.com'] } });

  const predict = (headers: Record<string, string> = {}) =>
    server.hcr.app.inject({
      method: 'POST',
      url: '/v1/predict',
      headers: { 'content-type': 'application/json', ...headers },
      payload: PIXELS,
    });

  it('answers a request that carries it, and 401 with WWW-Authenticate to one that does not', async () => {
    expect((await predict({ authorization: `Bearer ${TOKEN}` })).statusCode).toBe(200);
    // the scheme's case is free (RFC 7235), the token's is not
    expect((await predict({ authorization: `bearer ${TOKEN}` })).statusCode).toBe(200);

    const none = await predict();
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="hcr"');
    expect(none.json().error).toMatchObject({
      code: 'TOKEN_REQUIRED',
      hint: expect.stringContaining('Authorization: Bearer <token>'),
    });

    for (const authorization of [`Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, 'Bearer', TOKEN]) {
      const res = await predict({ authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json().error.code, authorization).toBe('TOKEN_REQUIRED');
      expect(res.json().error.message, authorization).toContain('not `Bearer <token>`');
    }

    for (const wrong of [TOKEN.toUpperCase(), `${TOKEN}x`, TOKEN.slice(1), 'short']) {
      const res = await predict({ authorization: `Bearer ${wrong}` });
      expect(res.statusCode, wrong).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="hcr", error="invalid_token"');
      expect(res.json().error.code, wrong).toBe('TOKEN_INVALID');
    }
  });

  it('guards every /v1/ route, the model description too, and counts the refusals', async () => {
    for (const [method, url] of [
      ['GET', '/v1/model'],
      ['POST', '/v1/read'],
      ['POST', '/v1/samples'],
      ['GET', '/v1/no-such-route'],
      // the same routes spelt otherwise: the guard goes by the route matched, not the raw URL
      ['GET', '/%761/model'],
      ['POST', '/v1/%72ead'],
      ['GET', '/%761/no-such-route'],
    ] as const) {
      const res = await server.hcr.app.inject({ method, url });
      expect(res.statusCode, url).toBe(401);
    }
    const metrics = (await server.hcr.app.inject('/metrics')).body;
    expect(metrics).toMatch(/code="TOKEN_REQUIRED"/);
    expect(metrics).toMatch(/code="TOKEN_INVALID"/);
  });

  it('leaves the page, the probes, /metrics and /openapi.json open', async () => {
    for (const url of ['/', '/common.js', '/healthz', '/readyz', '/metrics', '/openapi.json'])
      expect((await server.hcr.app.inject(url)).statusCode, url).toBe(200);
  });

  it('lets a listed origin’s CORS preflight through (it carries no credentials), not its request', async () => {
    const preflight = await server.hcr.app.inject({
      method: 'OPTIONS',
      url: '/v1/read',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/authorization/i);
    const refused = await predict({ origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' });
    expect(refused.statusCode).toBe(401);
    // the page of that origin can read why: the refusal carries the CORS headers too
    expect(refused.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('swaps in a new token (a rotation): the old one is refused from then on; a bad one changes nothing', async () => {
    const rotated = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    expect(() => server.hcr.updateCredentials({ apiToken: 'short' })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTIONS' }),
    );
    expect((await predict({ authorization: `Bearer ${TOKEN}` })).statusCode).toBe(200);
    server.hcr.updateCredentials({ apiToken: rotated });
    expect((await predict({ authorization: `Bearer ${TOKEN}` })).json().error.code).toBe('TOKEN_INVALID');
    expect((await predict({ authorization: `Bearer ${rotated}` })).statusCode).toBe(200);
    // a server of plain HTTP has no certificate to swap; nothing else changes
    expect(() => server.hcr.updateCredentials({ apiToken: TOKEN, tls: { cert: 'x', key: 'y' } })).toThrow(
      /plain HTTP, so it has no certificate/,
    );
    expect((await predict({ authorization: `Bearer ${rotated}` })).statusCode).toBe(200);
    server.hcr.updateCredentials({ apiToken: TOKEN });
  });

  it('says in /openapi.json that the /v1/ operations need it', async () => {
    const doc = (await server.hcr.app.inject('/openapi.json')).json();
    expect(doc.components.securitySchemes.apiToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/predict'].post.security).toEqual([{ apiToken: [] }]);
    expect(doc.paths['/v1/read'].post.security).toEqual([{ apiToken: [] }]);
    expect(doc.paths['/healthz'].get.security).toBeUndefined();
    // the refusal is documented beside the answer, the answer's schema kept
    expect(doc.paths['/v1/read'].post.responses['401'].description).toMatch(
      /^TOKEN_REQUIRED or TOKEN_INVALID/,
    );
    expect(doc.paths['/v1/predict'].post.responses['200']).toBeDefined();
    expect(doc.paths['/v1/samples'].post.responses['403'].description).toMatch(/^INSUFFICIENT_SCOPE/);
    expect(doc.paths['/v1/model'].get.responses['403']).toBeUndefined();
    expect(doc.paths['/v1/predict'].post.responses['429']).toBeUndefined(); // no rate limit on this server
    expect(doc.paths['/healthz'].get.responses?.['401']).toBeUndefined();
    await SwaggerParser.validate(structuredClone(doc)); // still a valid OpenAPI document
  });
});

describe('which tokens a server accepts', () => {
  it('refuses one that is short, or that a header cannot carry, naming how to make one', () => {
    expect(() => checkApiToken('0123456789abcdef')).not.toThrow();
    for (const bad of [
      '',
      'abc',
      '0123456789abcde',
      'with a space in it, long enough',
      'tab\there-long-enough-x',
      'naïve-but-long-enough-token',
    ])
      expect(() => checkApiToken(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({
          code: 'BAD_OPTIONS',
          hint: expect.stringContaining('openssl rand -hex 32'),
        }),
      );
    expect(() => checkApiToken(42)).toThrow(/not a string/);
  });

  it('a server without one answers /v1/ as before', async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    const open = await buildApp({ recognizer: rec, logger: pino({ level: 'silent' }) });
    try {
      expect((await open.app.inject('/v1/model')).statusCode).toBe(200);
      expect((await open.app.inject('/v1/model')).json().client).toBeNull();
      // nor can it be given one later: the guard is set up at start
      expect(() => open.updateCredentials({ apiToken: TOKEN })).toThrow(
        expect.objectContaining({
          code: 'BAD_OPTIONS',
          message: expect.stringMatching(/started without an API token/),
        }),
      );
      expect((await open.app.inject('/v1/model')).statusCode).toBe(200);
      const doc = (await open.app.inject('/openapi.json')).json();
      expect(doc.components?.securitySchemes).toBeUndefined();
      expect(doc.paths['/v1/predict'].post.security).toBeUndefined();
    } finally {
      await open.shutdown();
    }
  });
});

describe('a token per client', () => {
  const SCANNER = '5ca11e5ca11e5ca11e5ca11e';
  const PHONE = 'b0b0b0b0b0b0b0b0b0b0b0b0';
  const { logger, lines: log } = capturedLog();
  const server = serving({
    logger,
    apiToken: [
      { name: 'scanner', token: SCANNER },
      { name: 'phone', token: PHONE },
    ],
  });
  const model = (token: string) =>
    server.hcr.app.inject({ url: '/v1/model', headers: { authorization: `Bearer ${token}` } });

  it('answers each client, and names it in the request log and /metrics (never the token)', async () => {
    expect((await model(SCANNER)).statusCode).toBe(200);
    expect((await model(PHONE)).statusCode).toBe(200);
    expect((await model(PHONE)).statusCode).toBe(200);
    expect((await model(`${PHONE}0`)).statusCode).toBe(401);
    const lines = log.filter((l) => l.msg === 'request' && l.route === '/v1/model');
    expect(lines.map((l) => l.client)).toEqual(['scanner', 'phone', 'phone', undefined]);
    expect(lines[0]).toMatchObject({ status: 200, ip: '127.0.0.1' });
    expect(JSON.stringify(log)).not.toContain(SCANNER);
    const metrics = (await server.hcr.app.inject('/metrics')).body;
    expect(metrics).toMatch(/hcr_client_requests_total\{client="scanner",status="200"\} 1/);
    expect(metrics).toMatch(/hcr_client_requests_total\{client="phone",status="200"\} 2/);
  });

  it('rotates one client at a time: the others keep working through the swap', async () => {
    const renewed = 'n3wn3wn3wn3wn3wn3wn3wn3w';
    server.hcr.updateCredentials({
      apiToken: [
        { name: 'scanner', token: SCANNER },
        { name: 'phone', token: renewed },
      ],
    });
    expect((await model(SCANNER)).statusCode).toBe(200);
    expect((await model(PHONE)).json().error.code).toBe('TOKEN_INVALID');
    expect((await model(renewed)).statusCode).toBe(200);
    // a list that cannot be taken changes nothing
    expect(() => server.hcr.updateCredentials({ apiToken: [] })).toThrow(/list of API tokens is empty/);
    expect((await model(renewed)).statusCode).toBe(200);
  });

  it('takes both tokens of a client moving to a new one, both as that client, then the new one alone', async () => {
    const next = 'n3xtn3xtn3xtn3xtn3xtn3xt';
    const phone = { name: 'phone', token: PHONE };
    server.hcr.updateCredentials({ apiToken: [phone, { name: 'phone', token: next }] });
    log.length = 0;
    expect((await model(PHONE)).statusCode).toBe(200);
    expect((await model(next)).statusCode).toBe(200);
    expect((await model(next)).json().client).toEqual({ name: 'phone', scopes: ['read', 'collect'] });
    const lines = log.filter((l) => l.msg === 'request' && l.route === '/v1/model');
    expect(lines.map((l) => l.client)).toEqual(['phone', 'phone', 'phone']);
    server.hcr.updateCredentials({ apiToken: [{ name: 'phone', token: next }] });
    expect((await model(PHONE)).json().error.code).toBe('TOKEN_INVALID');
    expect((await model(next)).statusCode).toBe(200);
  });
});

describe('scopes: a token that may read, or collect examples', () => {
  const READER = 'r3ad0nlyr3ad0nlyr3ad0nly';
  const COLLECTOR = 'c0113c7c0113c7c0113c7c01';
  const server = serving({
    apiToken: parseApiTokens(`scanner ${READER} read\ntrainer ${COLLECTOR} collect\n`, 'tokens'),
  });
  const call = (method: 'GET' | 'POST', url: string, token: string) =>
    server.hcr.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(method === 'POST' && { payload: PIXELS }),
    });

  it('lets each client do what its scopes say, and answers 403 INSUFFICIENT_SCOPE to the rest', async () => {
    expect((await call('POST', '/v1/predict', READER)).statusCode).toBe(200);
    const writes = await call('POST', '/v1/samples', READER);
    expect(writes.statusCode).toBe(403);
    expect(writes.headers['www-authenticate']).toBe(
      'Bearer realm="hcr", error="insufficient_scope", scope="collect"',
    );
    expect(writes.json().error).toEqual({
      code: 'INSUFFICIENT_SCOPE',
      message: 'Client scanner may read, not collect examples.',
      hint: expect.stringContaining('add collect to this client'),
    });
    const reads = await call('POST', '/v1/predict', COLLECTOR);
    expect(reads.statusCode).toBe(403);
    expect(reads.json().error.message).toBe('Client trainer may collect, not read.');
    expect((await call('POST', '/v1/read', COLLECTOR)).statusCode).toBe(403);
    // past the guard (the body is no example: BAD_JSON); either client may see the models
    expect((await call('POST', '/v1/samples', COLLECTOR)).json().error.code).toBe('BAD_JSON');
    // /v1/model says which client asked and what it may do (the page offers to save examples by it)
    expect((await call('GET', '/v1/model', COLLECTOR)).json().client).toEqual({
      name: 'trainer',
      scopes: ['collect'],
    });
    expect((await call('GET', '/v1/model', READER)).json().client).toEqual({
      name: 'scanner',
      scopes: ['read'],
    });
  });

  it('refuses a scope it does not know, or none', () => {
    for (const [line, message] of [
      [`a ${READER} read,write`, /^tokens: Client a has the unknown scope 'write'\.$/],
      [`a ${READER} ,`, /^tokens: Client a has the unknown scope ''\.$/],
    ] as const)
      expect(() => parseApiTokens(line, 'tokens'), line).toThrow(
        expect.objectContaining({ code: 'BAD_OPTIONS', problem: expect.stringMatching(message) }),
      );
    expect(() => checkApiClients([{ name: 'a', token: READER, scopes: [] }])).toThrow(
      /Client a has no scope/,
    );
    expect(parseApiTokens(`a ${READER} collect,read`, 'tokens')).toEqual([
      { name: 'a', token: READER, scopes: ['collect', 'read'] },
    ]);
  });
});

describe('the metrics scope: /metrics closed to all but its scrapers', () => {
  const READER = 'r3ad0nlyr3ad0nlyr3ad0nly';
  const SCRAPER = 'pr0m37h3uspr0m37h3uspr0m';
  const ALL = 'a11d3f4u175a11d3f4u175a1';
  // `everyone` writes no scopes: read and collect, as token files written before the metrics scope mean
  const server = serving({
    apiToken: parseApiTokens(`scanner ${READER} read\nprometheus ${SCRAPER} metrics\neveryone ${ALL}\n`, 't'),
  });
  const get = (url: string, token?: string) =>
    server.hcr.app.inject({ url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('answers /metrics to a token with the scope only, and 401 / 403 to the rest', async () => {
    const scraped = await get('/metrics', SCRAPER);
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toMatch(/^# HELP /m);
    const anonymous = await get('/metrics');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('TOKEN_REQUIRED');
    expect(anonymous.body).not.toMatch(/hcr_/);
    const reader = await get('/metrics', READER);
    expect(reader.statusCode).toBe(403);
    expect(reader.headers['www-authenticate']).toBe(
      'Bearer realm="hcr", error="insufficient_scope", scope="metrics"',
    );
    expect(reader.json().error.message).toBe('Client scanner may read, not scrape metrics.');
    expect((await get('/metrics', ALL)).json().error.message).toBe(
      'Client everyone may read and collect, not scrape metrics.',
    );
    // the scraper's token reads no image; the probes and the page stay open to anyone
    const read = await server.hcr.app.inject({
      method: 'POST',
      url: '/v1/predict',
      headers: { authorization: `Bearer ${SCRAPER}`, 'content-type': 'application/json' },
      payload: PIXELS,
    });
    expect(read.json().error.message).toBe('Client prometheus may scrape metrics, not read.');
    for (const url of ['/', '/healthz', '/readyz', '/openapi.json'])
      expect((await get(url)).statusCode, url).toBe(200);
    expect((await get('/v1/model', SCRAPER)).json().client).toEqual({
      name: 'prometheus',
      scopes: ['metrics'],
    });
  });

  it('says so in /openapi.json, and leaves /metrics open on a server where no client holds it', async () => {
    const doc = (await get('/openapi.json')).json();
    expect(doc.paths['/metrics'].get.security).toEqual([{ apiToken: [] }]);
    expect(doc.paths['/metrics'].get.responses['403'].description).toMatch(/^INSUFFICIENT_SCOPE/);
    expect(Object.keys(doc.paths['/metrics'].get.responses).sort()).toEqual(['200', '401', '403']);
    expect(doc.paths['/healthz'].get.security).toBeUndefined();
    await SwaggerParser.validate(structuredClone(doc));
    // a rotation that gives no client the scope any more opens /metrics again, and the document says so
    server.hcr.updateCredentials({ apiToken: [{ name: 'scanner', token: READER, scopes: ['read'] }] });
    expect((await get('/metrics')).statusCode).toBe(200);
    const open = (await get('/openapi.json')).json();
    expect(open.paths['/metrics'].get.security).toBeUndefined();
    expect(Object.keys(open.paths['/metrics'].get.responses)).toEqual(['200']);
    expect(open.paths['/v1/read'].post.security).toEqual([{ apiToken: [] }]);
    await SwaggerParser.validate(structuredClone(open));
    server.hcr.updateCredentials({ apiToken: [{ name: 'prometheus', token: SCRAPER, scopes: ['metrics'] }] });
    expect((await get('/metrics')).statusCode).toBe(401);
    expect((await get('/openapi.json')).json().paths['/metrics'].get.security).toEqual([{ apiToken: [] }]);
  });
});

describe('an API token file', () => {
  const A = 'aaaaaaaaaaaaaaaaaaaa';
  const B = 'bbbbbbbbbbbbbbbbbbbb';

  it('reads one token per line, named or not; comments, blank lines and CRLF are skipped', () => {
    expect(parseApiTokens(`${A}\n`, 'f')).toEqual([{ name: 'default', token: A }]);
    expect(parseApiTokens(`\uFEFF# who\r\nscanner\t${A}\r\n\r\n  ${B}  \r\n`, 'f')).toEqual([
      { name: 'scanner', token: A },
      { name: 'token-2', token: B },
    ]);
  });

  it('refuses what would lock every client out or mix two up, naming the file and line', () => {
    const cases: [string, RegExp][] = [
      ['', /^tokens\.txt holds no API token\.$/],
      ['# only a comment\n', /holds no API token/],
      [`scanner ${A} read extra\n`, /^tokens\.txt line 1 has 4 fields\.$/],
      [
        `a ${A}\na ${B} read\n`,
        /^tokens\.txt: Client a has two tokens of different scopes \(read,collect and read\)\.$/,
      ],
      [
        `a ${A}\na ${B}\na ${'c'.repeat(20)}\n`,
        /^tokens\.txt: Client a has 3 tokens; a client holds at most two/,
      ],
      [`a ${A}\nb ${A}\n`, /^tokens\.txt: Client b has the same token as another client\.$/],
      [`a ${A}\nb short\n`, /^tokens\.txt: Client b: The API token has 5 characters/],
      [`sc@nner ${A}\n`, /^tokens\.txt: The API client name "sc@nner" is not allowed\.$/],
      ['short\n', /^tokens\.txt: The API token has 5 characters/],
    ];
    for (const [text, message] of cases)
      expect(() => parseApiTokens(text, 'tokens.txt'), JSON.stringify(text)).toThrow(
        expect.objectContaining({ code: 'BAD_OPTIONS', problem: expect.stringMatching(message) }),
      );
    expect(() => checkApiClients([{ name: '-lead', token: A }])).toThrow(/"-lead" is not allowed/);
  });
});
