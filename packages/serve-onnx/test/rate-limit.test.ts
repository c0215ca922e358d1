import SwaggerParser from '@apidevtools/swagger-parser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildApp,
  checkTrustProxy,
  createRecognizer,
  type HcrApp,
  parseRateLimit,
  type Recognizer,
} from '../src/index.js';
import { FIXTURE_MODEL } from './support/models.js';

const SCANNER = '5ca11e5ca11e5ca11e5ca11e';
const PHONE = 'b0b0b0b0b0b0b0b0b0b0b0b0';

describe('a rate limit per client', () => {
  let rec: Recognizer;
  const apps: HcrApp[] = [];
  beforeAll(async () => {
    rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
  });
  afterAll(async () => {
    for (const app of apps) await app.app.close();
    await rec.close();
  });
  /** An app over the shared recognizer (closing an app does not close it). */
  const app = async (opts: Partial<Parameters<typeof buildApp>[0]>) => {
    const made = await buildApp({ recognizer: rec, logger: pino({ level: 'silent' }), ...opts });
    apps.push(made);
    return made.app;
  };

  it("counts each token's requests apart, says what is left, and answers 429 RATE_LIMITED with Retry-After", async () => {
    const server = await app({
      apiToken: [
        { name: 'scanner', token: SCANNER },
        { name: 'phone', token: PHONE },
      ],
      rateLimit: { max: 2, windowMs: 60_000 },
    });
    const model = (token: string) =>
      server.inject({ url: '/v1/model', headers: { authorization: `Bearer ${token}` } });
    const first = await model(SCANNER);
    expect(first.statusCode).toBe(200);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1' });
    expect((await model(SCANNER)).statusCode).toBe(200);
    const limited = await model(SCANNER);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json().error).toEqual({
      code: 'RATE_LIMITED',
      message: 'Client scanner has used the 2 requests it may send per minute.',
      hint: expect.stringMatching(
        /^Retry in \d+ (seconds?|minute) \(the Retry-After header says when\), or send several images per request/,
      ),
    });
    // another client is not held back by the first; a wrong token is refused for the token and costs no one
    expect((await model(PHONE)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await model('not-a-token-of-ours-at-all')).statusCode).toBe(401);
    expect((await model(PHONE)).statusCode).toBe(200);
    // the page, probes, metrics and the OpenAPI document are never counted
    for (const url of ['/', '/healthz', '/readyz', '/openapi.json', '/metrics', '/metrics'])
      expect((await server.inject(url)).statusCode, url).toBe(200);
    expect((await server.inject('/metrics')).body).toMatch(
      /hcr_http_errors_total\{route="\/v1\/model",code="RATE_LIMITED"\} 1/,
    );
  });

  it('counts by IP address without tokens, and by the forwarded one only from a trusted proxy', async () => {
    const open = await app({ rateLimit: { max: 1, windowMs: 60_000 } });
    const from = (remoteAddress: string, forwarded?: string) =>
      open.inject({
        url: '/v1/model',
        remoteAddress,
        headers: forwarded ? { 'x-forwarded-for': forwarded } : {},
      });
    expect((await from('192.0.2.1')).statusCode).toBe(200);
    const limited = await from('192.0.2.1', '198.51.100.7'); // not from a trusted proxy: the header is ignored
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.message).toBe('This address has used the 1 request it may send per minute.');
    expect((await from('192.0.2.2')).statusCode).toBe(200);

    const proxied = await app({ rateLimit: { max: 1, windowMs: 60_000 }, trustProxy: ['10.0.0.0/8'] });
    const via = (forwarded: string) =>
      proxied.inject({
        url: '/v1/model',
        remoteAddress: '10.1.2.3',
        headers: { 'x-forwarded-for': forwarded },
      });
    expect((await via('198.51.100.7')).statusCode).toBe(200);
    expect((await via('198.51.100.8')).statusCode).toBe(200);
    expect((await via('198.51.100.7')).statusCode).toBe(429);
  });

  it('holds a client the limit names to a limit of its own, the others to the default', async () => {
    const server = await app({
      apiToken: [
        { name: 'scanner', token: SCANNER },
        { name: 'phone', token: PHONE },
      ],
      rateLimit: { max: 1, windowMs: 60_000, clients: { scanner: { max: 3, windowMs: 3_600_000 } } },
    });
    const model = (token: string) =>
      server.inject({ url: '/v1/model', headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await model(SCANNER)).headers['x-ratelimit-limit']).toBe('3');
    const scanner = await model(SCANNER);
    expect(scanner.statusCode).toBe(429);
    expect(scanner.json().error.message).toBe('Client scanner has used the 3 requests it may send per hour.');
    expect((await model(PHONE)).statusCode).toBe(200);
    const phone = await model(PHONE);
    expect(phone.statusCode).toBe(429);
    expect(phone.json().error.message).toBe('Client phone has used the 1 request it may send per minute.');
  });

  it('refuses a limit for a client the tokens do not have, or on a server without tokens', async () => {
    const own = { max: 3, windowMs: 1000 };
    await expect(
      app({
        apiToken: [{ name: 'scanner', token: SCANNER }],
        rateLimit: { max: 1, windowMs: 1000, clients: { scaner: own } },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTIONS',
      problem: 'The rate limit names a client the API tokens do not have: scaner.',
      hint: expect.stringContaining('scanner'),
    });
    await expect(
      app({ rateLimit: { max: 1, windowMs: 1000, clients: { scanner: own } } }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTIONS',
      problem: expect.stringMatching(/names clients \(scanner\), and the server has no API tokens/),
    });
    await expect(
      app({
        apiToken: SCANNER,
        rateLimit: { max: 1, windowMs: 1000, clients: { default: { max: 0, windowMs: 1000 } } },
      }),
    ).rejects.toMatchObject({
      problem: expect.stringMatching(/^The rate limit of client default's max is 0/),
    });
  });

  it('gives a client its requests back when the window is over', async () => {
    const server = await app({ rateLimit: { max: 1, windowMs: 1000 } });
    expect((await server.inject('/v1/model')).statusCode).toBe(200);
    expect((await server.inject('/v1/model')).statusCode).toBe(429);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await server.inject('/v1/model')).statusCode).toBe(200);
  });

  it('says in /openapi.json that /v1/ operations may answer 429', async () => {
    const server = await app({ rateLimit: { max: 5, windowMs: 1000 } });
    const doc = (await server.inject('/openapi.json')).json();
    for (const [path, method] of [
      ['/v1/read', 'post'],
      ['/v1/predict', 'post'],
      ['/v1/model', 'get'],
    ] as const)
      expect(doc.paths[path][method].responses['429'].description, path).toMatch(/^RATE_LIMITED/);
    expect(doc.paths['/v1/read'].post.security).toBeUndefined(); // no token on this server
    expect(doc.paths['/healthz'].get.responses?.['429']).toBeUndefined();
    await SwaggerParser.validate(structuredClone(doc));
  });

  it('refuses a limit that cannot be kept before anything is built', async () => {
    for (const rateLimit of [
      { max: 0, windowMs: 1000 },
      { max: 1.5, windowMs: 1000 },
      { max: 5, windowMs: 0 },
      { max: 5, windowMs: 2 * 86_400_000 },
    ])
      await expect(app({ rateLimit }), JSON.stringify(rateLimit)).rejects.toMatchObject({
        code: 'BAD_OPTIONS',
      });
  });
});

describe('the rate limit and proxies as written on the command line', () => {
  it('reads <requests>/<period>', () => {
    expect(parseRateLimit('120/min')).toEqual({ max: 120, windowMs: 60_000 });
    expect(parseRateLimit(' 5 / s ')).toEqual({ max: 5, windowMs: 1_000 });
    expect(parseRateLimit('2000/h')).toEqual({ max: 2000, windowMs: 3_600_000 });
    expect(parseRateLimit('10/30s')).toEqual({ max: 10, windowMs: 30_000 });
    for (const bad of ['120', '120/minute', '/min', '-1/s', '1.5/s', '5/0s', '0/s', '10/25h'])
      expect(() => parseRateLimit(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });

  it('reads limits of their own for named clients after the default', () => {
    expect(parseRateLimit('120/min,scanner=1000/min, phone = 10/30s')).toEqual({
      max: 120,
      windowMs: 60_000,
      clients: { scanner: { max: 1000, windowMs: 60_000 }, phone: { max: 10, windowMs: 30_000 } },
    });
    // any name a token file allows, even one an object has by inheritance
    expect(parseRateLimit('1/s,constructor=2/s').clients).toEqual({
      constructor: { max: 2, windowMs: 1000 },
    });
    for (const [bad, problem] of [
      ['scanner=10/s', /^--rate-limit scanner=10\/s is not <requests>\/<period>\.$/],
      ['120/min,scanner', /'scanner' is not <client>=<requests>\/<period>/],
      ['120/min,scanner=1000', /is not <requests>\/<period>\[,<client>=<requests>\/<period>\.\.\.\]/],
      ['120/min,a=1/s,a=2/s', /names client a twice/],
      ['120/min,a=0/s', /rate limit of client a's max is 0/],
    ] as const)
      expect(() => parseRateLimit(bad), bad).toThrow(
        expect.objectContaining({ code: 'BAD_OPTIONS', problem: expect.stringMatching(problem) }),
      );
  });

  it('takes proxy addresses and CIDR ranges, and names one that is neither', () => {
    expect(checkTrustProxy('10.0.0.0/8, ::1,loopback')).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    expect(checkTrustProxy(true)).toBe(true);
    expect(checkTrustProxy(['fd00::/8'])).toEqual(['fd00::/8']);
    for (const bad of ['10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1', '::1/129', '', '10.0.0.0/'])
      expect(() => checkTrustProxy(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS' }));
  });
});
