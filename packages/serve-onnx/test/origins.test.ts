import Fastify from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkOriginPolicy,
  defaultOriginPolicy,
  hostName,
  type OriginPolicy,
  registerOrigins,
} from '../src/server/plugins/origins.js';
import type { HcrFastify } from '../src/server/types.js';

async function appWith(policy: OriginPolicy): Promise<HcrFastify> {
  const app = Fastify({ loggerInstance: pino({ level: 'silent' }) }) as unknown as HcrFastify;
  await registerOrigins(app, policy);
  app.get('/', async () => 'page');
  app.post('/v1/read', async () => ({ text: 'TAX' }));
  await app.ready();
  return app;
}

describe('which hosts and pages a server answers', () => {
  let local: HcrFastify;
  let withCors: HcrFastify;
  beforeAll(async () => {
    local = await appWith(defaultOriginPolicy('127.0.0.1'));
    withCors = await appWith({ allowedHosts: ['hcr.example.com'], corsOrigins: ['https://app.example.com'] });
  });
  afterAll(async () => {
    await local.close();
    await withCors.close();
  });

  it('on 127.0.0.1 answers its address, localhost and IPs, and refuses another name (DNS rebinding)', async () => {
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'app.localhost', '10.0.0.5'])
      expect((await local.inject({ url: '/', headers: { host } })).statusCode, host).toBe(200);
    const res = await local.inject({
      method: 'POST',
      url: '/v1/read',
      headers: { host: 'evil.example:8080' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({
      code: 'HOST_NOT_ALLOWED',
      message: expect.stringContaining("'evil.example:8080'"),
      hint: expect.stringContaining('--allowed-hosts evil.example'),
    });
  });

  it('answers a name it was given, and any name when it listens on another address', async () => {
    expect((await withCors.inject({ url: '/', headers: { host: 'HCR.example.com:443' } })).statusCode).toBe(
      200,
    );
    expect((await withCors.inject({ url: '/', headers: { host: 'other.example.com' } })).statusCode).toBe(
      403,
    );
    expect(defaultOriginPolicy('0.0.0.0').allowedHosts).toBe('any');
    expect(defaultOriginPolicy('localhost').allowedHosts).toEqual([]);
  });

  it("refuses another site's page calling the API, answers its own page and tools without browser headers", async () => {
    const post = (headers: Record<string, string>) =>
      local.inject({ method: 'POST', url: '/v1/read', headers: { host: '127.0.0.1:8080', ...headers } });
    const cross = await post({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().error).toMatchObject({
      code: 'CROSS_ORIGIN_REFUSED',
      hint: expect.stringContaining('--cors https://evil.example'),
    });
    // The same route spelt otherwise (`%76` is `v`) is the same route, refused the same way.
    const spelt = await local.inject({
      method: 'POST',
      url: '/%761/read',
      headers: { host: '127.0.0.1:8080', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(spelt.statusCode).toBe(403);
    // Another port of localhost is the same site but another origin.
    expect((await post({ origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' })).statusCode).toBe(
      403,
    );
    expect(
      (await post({ origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).statusCode,
    ).toBe(200);
    expect((await post({})).statusCode).toBe(200); // curl, scripts
    // The page itself may be opened from a link on another site.
    const page = await local.inject({
      url: '/',
      headers: { host: '127.0.0.1:8080', 'sec-fetch-site': 'cross-site' },
    });
    expect(page.statusCode).toBe(200);
  });

  it('lets a listed origin call the API with CORS headers, its preflight included', async () => {
    const origin = 'https://app.example.com';
    const headers = { host: 'hcr.example.com', origin, 'sec-fetch-site': 'cross-site' };
    const pre = await withCors.inject({
      method: 'OPTIONS',
      url: '/v1/read',
      headers: { ...headers, 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(origin);
    const res = await withCors.inject({ method: 'POST', url: '/v1/read', headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
    const other = await withCors.inject({
      method: 'POST',
      url: '/v1/read',
      headers: { ...headers, origin: 'https://evil.example' },
    });
    expect(other.statusCode).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses host names and origins that could never match', () => {
    expect(() => checkOriginPolicy({ allowedHosts: ['hcr.example.com:8080'] })).toThrow(/not a host name/);
    expect(() => checkOriginPolicy({ corsOrigins: ['https://app.example.com/'] })).toThrow(
      /here https:\/\/app\.example\.com/,
    );
    expect(() => checkOriginPolicy({ corsOrigins: ['app.example.com'] })).toThrow(/not an origin/);
    expect(() =>
      checkOriginPolicy({ allowedHosts: 'any', corsOrigins: ['http://localhost:3000', 'https://a.b'] }),
    ).not.toThrow();
    expect(hostName('[::1]:8080')).toBe('::1');
    expect(hostName('Example.COM:80')).toBe('example.com');
  });
});
