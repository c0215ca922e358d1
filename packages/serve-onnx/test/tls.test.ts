import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createRecognizer, type RunningServer, startServer } from '../src/index.js';
import { FIXTURE_MODEL } from './support/models.js';

const TLS = fileURLToPath(new URL('./fixtures/tls/', import.meta.url));
const cert = readFileSync(`${TLS}cert.pem`);
const key = readFileSync(`${TLS}key.pem`);
const PIXELS = JSON.stringify({ pixels: new Array(784).fill(0).map((_, i) => (i % 28 === 14 ? 255 : 0)) });

/** One request over HTTPS on a new connection, trusting only `ca`: status, body and the certificate it was shown. */
function get(
  url: string,
  { method = 'GET', body, ca = cert }: { method?: string; body?: string; ca?: Buffer | Buffer[] } = {},
): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method, ca, agent: false, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, fingerprint }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTPS', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      model: FIXTURE_MODEL,
      port: 0,
      tls: { cert, key },
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(() => server.shutdown());

  it('serves the API and the page over TLS, at an https:// URL', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    expect((await get(`${server.url}/`)).body).toContain('<canvas');
    const predicted = await get(`${server.url}/v1/predict`, { method: 'POST', body: PIXELS });
    expect(predicted.status).toBe(200);
    expect(JSON.parse(predicted.body).predictions).toHaveLength(1);
  });

  it('is refused by a client that does not trust the certificate, and answers no plain HTTP', async () => {
    await expect(get(`${server.url}/healthz`, { ca: Buffer.from('') })).rejects.toThrow(
      /self.signed|certificate/i,
    );
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(`${server.url.replace('https:', 'http:')}/healthz`, (res) => {
        res.resume();
        resolve(`answered ${res.statusCode}`);
      });
      req.on('error', (e) => resolve(`refused: ${e.message}`));
      req.end();
    });
    expect(plain).toMatch(/^refused: /);
  });

  it('swaps in a renewed certificate: new connections are shown it; one that cannot be served changes nothing', async () => {
    const renewed = {
      cert: readFileSync(`${TLS}renewed-cert.pem`),
      key: readFileSync(`${TLS}renewed-key.pem`),
    };
    const both = [cert, renewed.cert];
    const first = await get(`${server.url}/healthz`, { ca: both });
    expect(first.fingerprint).toBe(new X509Certificate(cert).fingerprint256);
    expect(() => server.updateCredentials({ tls: { cert: renewed.cert, key } })).toThrow(
      expect.objectContaining({ code: 'TLS_INVALID' }),
    );
    expect((await get(`${server.url}/healthz`, { ca: both })).fingerprint).toBe(first.fingerprint);
    server.updateCredentials({ tls: renewed });
    const after = await get(`${server.url}/healthz`, { ca: both });
    expect(after.status).toBe(200);
    expect(after.fingerprint).toBe(new X509Certificate(renewed.cert).fingerprint256);
    // a client that trusts only the old certificate is now refused
    await expect(get(`${server.url}/healthz`)).rejects.toThrow(/self.signed|certificate/i);
  });
});

describe('a certificate that cannot be served', () => {
  it('is refused before any model loads, naming the fix', async () => {
    const otherKey = readFileSync(`${TLS}other-key.pem`);
    for (const [tls, why] of [
      [{ cert, key: otherKey }, /key values mismatch/],
      [{ cert: Buffer.from('not a certificate'), key }, /TLS certificate and key cannot be served/],
      [{ cert, key: cert }, /TLS certificate and key cannot be served/],
    ] as const)
      await expect(
        startServer({ model: '/no/such/model.onnx', port: 0, tls, logger: pino({ level: 'silent' }) }),
      ).rejects.toMatchObject({ code: 'TLS_INVALID', message: expect.stringMatching(why) });
  });

  it("is refused by buildApp too, with the same error (not the TLS layer's own)", async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    try {
      await expect(
        buildApp({ recognizer: rec, logger: pino({ level: 'silent' }), tls: { cert, key: cert } }),
      ).rejects.toMatchObject({ code: 'TLS_INVALID', hint: expect.stringContaining('PEM private key') });
    } finally {
      await rec.close();
    }
  });
});
