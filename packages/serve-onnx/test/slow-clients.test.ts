import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createRecognizer, type HcrApp } from '../src/index.js';
import { FIXTURE_MODEL } from './support/models.js';
import { photo } from './support/synth.js';

/** Everything the server sends on a raw connection until it closes it (or `giveUpMs` passes). */
function collect(socket: Socket, giveUpMs: number): Promise<{ text: string; closedAfterMs: number | null }> {
  const t0 = performance.now();
  let text = '';
  socket.on('data', (d) => {
    text += d.toString('latin1');
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ text, closedAfterMs: null }), giveUpMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: performance.now() - t0 });
    });
    socket.on('error', () => {});
  });
}

describe('slow clients', () => {
  let hcr: HcrApp;
  let port: number;
  beforeAll(async () => {
    const recognizer = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    hcr = await buildApp({
      recognizer,
      logger: pino({ level: 'silent' }),
      limits: { requestTimeoutMs: 600, idleTimeoutMs: 400 },
    });
    await hcr.app.listen({ host: '127.0.0.1', port: 0 });
    port = (hcr.app.server.address() as { port: number }).port;
  });
  afterAll(() => hcr.shutdown());

  it('answers 408 and closes the connection when an upload stalls after its headers', async () => {
    const png = await photo('7');
    const sockets = Array.from({ length: 3 }, () => connect(port, '127.0.0.1'));
    const answers = sockets.map((s) => collect(s, 5_000));
    for (const [i, s] of sockets.entries()) {
      s.write(
        `POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: ${png.length}\r\n\r\n`,
      );
      // One stalls right after the headers, one after part of the body, one trickles a byte at a time.
      if (i === 1) s.write(png.subarray(0, 40));
      if (i === 2) {
        let sent = 0;
        const drip = setInterval(() => {
          if (s.destroyed || sent >= png.length) return clearInterval(drip);
          s.write(png.subarray(sent, ++sent));
        }, 100);
      }
    }
    for (const { text, closedAfterMs } of await Promise.all(answers)) {
      expect(closedAfterMs, 'the server closed the connection').not.toBeNull();
      expect(closedAfterMs!).toBeLessThan(3_000);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toMatch(/connection: close/i);
      const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      expect(body.error.code).toBe('REQUEST_TIMEOUT');
      expect(body.error.message).toContain('600 ms');
      expect(body.error.hint).toContain('--request-timeout-ms');
    }
    // And it keeps answering complete requests.
    const res = await fetch(`http://127.0.0.1:${port}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    expect(res.status).toBe(200);
  });

  it('closes a kept-alive connection that sends no further request', async () => {
    const s = connect(port, '127.0.0.1');
    const answer = collect(s, 5_000);
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const { text, closedAfterMs } = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs!).toBeLessThan(3_000);
  });
});
