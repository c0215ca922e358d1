import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_MODEL, HANDWRITING_DIR } from './support/models.js';
import { PHOTOS, RANDOM_READER } from './support/paths.js';
import { HCR_ARGS, ROOT, runHcr } from './support/run-hcr.js';
import { slowPdf } from './support/slow-pdf.js';

const run = (args: string[]) => runHcr(args);

describe('hcr predict', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-predict-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(!PHOTOS)(
    'prints label and confidence per image and writes the preprocessed 28x28 with --debug',
    async () => {
      const files = ['7-0.jpg', '3-0.jpg'].map((f) => join(HANDWRITING_DIR, f));
      const r = await run(['predict', '--model', FIXTURE_MODEL, ...files, '--debug', dir]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/7-0\.jpg {2}7 {2}\d+\.\d%/);
      expect(lines[1]).toMatch(/3-0\.jpg {2}3 {2}/);
      expect((await readdir(dir)).sort()).toEqual(['3-0.28x28.png', '7-0.28x28.png']);
      const meta = await sharp(join(dir, '7-0.28x28.png')).metadata();
      expect([meta.width, meta.height]).toEqual([28, 28]);
    },
  );

  it.skipIf(!PHOTOS)('--json and --classes; a missing model or file is an error with the fix', async () => {
    const r = await run([
      'predict',
      '--model',
      FIXTURE_MODEL,
      join(HANDWRITING_DIR, 'O-0.jpg'),
      '--json',
      '--classes',
      'digits',
    ]);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0].prediction.label).toMatch(/^[0-9]$/);
    const noModel = await run([
      'predict',
      '--model',
      join(dir, 'none.onnx'),
      join(HANDWRITING_DIR, 'O-0.jpg'),
    ]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/Cannot read the ONNX model.*--model/);
    const noFile = await run(['predict', '--model', FIXTURE_MODEL, join(dir, 'missing.png')]);
    expect(noFile.code).toBe(1);
    // A file that cannot be read is a row of its own, on stdout as hcr read writes it.
    expect(noFile.stdout).toMatch(/missing\.png {2}error Cannot read .*missing\.png/);
  });
});

describe('hcr serve', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-serve-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses out-of-range options before loading anything, naming the flag and what it takes', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--port', '70000'],
        /--port must be a whole number from 0 to 65535, got '70000'\. Pass e\.g\. --port 8080/,
      ],
      [['--max-batch', '0'], /--max-batch must be a whole number from 1 to 4096/],
      [['--timeout-ms', '0'], /--timeout-ms must be a whole number of at least 1/],
      [
        ['--log-level', 'verbose'],
        /--log-level must be one of fatal, error, warn, info, debug, trace, silent/,
      ],
      [['--cors', 'app.example.com'], /CORS origin "app\.example\.com" is not an origin/],
      [['--allowed-hosts', 'hcr.example.com:443'], /Allowed host "hcr\.example\.com:443" is not a host name/],
      [['--collect-max', '0'], /--collect-max must be a whole number of at least 1, got '0'/],
      [
        ['--rate-limit', '120'],
        /--rate-limit 120 is not <requests>\/<period>\. Write it as requests per s, min or h/,
      ],
      [['--rate-limit', '0/min'], /The rate limit's max is 0, not a whole number of requests from 1/],
      [
        ['--trust-proxy', '10.0.0.0/33'],
        /'10\.0\.0\.0\/33' is not an IP address or CIDR range in the trusted proxies/,
      ],
      [
        ['--collect-max', '5'],
        /--collect-max bounds the examples --collect keeps, and no --collect is given/,
      ],
    ];
    const runs = await Promise.all(
      cases.map(([flags]) => run(['serve', '--model', FIXTURE_MODEL, ...flags])),
    );
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![1].source).toBe(1);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  });

  it('refuses an API token that is missing, short or unsendable, naming where it came from', async () => {
    const short = join(dir, 'short-token');
    await writeFile(short, 'hunter2\n');
    const twice = join(dir, 'twice-named');
    await writeFile(
      twice,
      '# two clients\nscanner c0ffee00c0ffee00c0ffee00c0ffee00\nscanner 0123456789abcdef0123 read\n',
    );
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ['--api-token-file', join(dir, 'none')],
        {},
        /--api-token-file .*none cannot be read \(ENOENT\)\. Write the token into that file first, e\.g\. `openssl rand -hex 32 > hcr-token/,
      ],
      [
        ['--api-token-file', short],
        {},
        /--api-token-file .*short-token: The API token has 7 characters; at least 16/,
      ],
      [
        ['--api-token-file', twice],
        {},
        /--api-token-file .*twice-named: Client scanner has two tokens of different scopes/,
      ],
      [[], { HCR_API_TOKEN: '' }, /HCR_API_TOKEN: The API token has 0 characters/],
      [[], { HCR_API_TOKEN: 'a token with spaces in it' }, /HCR_API_TOKEN: The API token holds spaces/],
    ];
    const runs = await Promise.all(
      cases.map(([flags, env]) => runHcr(['serve', '--model', FIXTURE_MODEL, '--port', '0', ...flags], env)),
    );
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![2].source).toBe(1);
      expect(r.stderr).toMatch(cases[i]![2]);
      expect(r.stderr).toMatch(/openssl rand -hex 32|Give each client a name of its own/);
    });
  });

  /** The line `hcr serve` printed when it started listening. */
  let startLine = '';
  /** `hcr serve` of the fixture model on a free port, in `child`; resolves with its URL once it listens. */
  const serve = (...flags: string[]) => serveWith({}, ...flags);
  const serveWith = (env: Record<string, string>, ...flags: string[]) => {
    child = spawn(
      process.execPath,
      [...HCR_ARGS, 'serve', '--model', FIXTURE_MODEL, '--port', '0', '--log-level', 'warn', ...flags],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } },
    );
    return new Promise<string>((res, rej) => {
      let err = '';
      child!.stderr!.on('data', (d) => {
        err += d;
        const m = /hcr serve: (https?:\/\/127\.0\.0\.1:\d+).*\n/.exec(err);
        if (m) res(m[1]!);
        startLine = m?.[0] ?? '';
      });
      child!.on('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
    });
  };

  it.skipIf(!PHOTOS)('serves predictions and stops cleanly on SIGTERM', async () => {
    const url = await serve();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const img = await sharp(join(HANDWRITING_DIR, '7-0.jpg')).png().toBuffer();
    const res = await fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: img,
    });
    expect(((await res.json()) as { predictions: { label: string }[] }).predictions[0]!.label).toBe('7');
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });

  it('--no-inference-thread and --no-reader-thread keep the character model and the reader on the HTTP thread, --reader-thread forces the reader into one; GET /v1/model says where each runs', async () => {
    const model = async (...flags: string[]) => {
      const url = await serve('--prepare-workers', '0', ...flags);
      const body = (await (await fetch(`${url}/v1/model`)).json()) as {
        inferenceThread: boolean;
        prepareWorkers: number;
        reader: { inferenceThread: boolean } | null;
      };
      const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
      child!.kill('SIGTERM');
      expect(await exited).toBe(0);
      child = undefined;
      return [body.inferenceThread, body.reader?.inferenceThread ?? null, body.prepareWorkers];
    };
    // by default each has a thread of its own where there is a second core
    const cores = availableParallelism() > 1;
    expect(await model('--reader', RANDOM_READER)).toEqual([cores, cores, 0]);
    expect(await model('--reader', RANDOM_READER, '--no-reader-thread')).toEqual([cores, false, 0]);
    expect(await model('--no-inference-thread', '--reader', RANDOM_READER, '--reader-thread')).toEqual([
      false,
      true,
      0,
    ]);
  });

  it('refuses --tls-cert or --tls-key alone, a file it cannot read, or a certificate it cannot serve', async () => {
    const tls = join(ROOT, 'packages/serve-onnx/test/fixtures/tls');
    const cases: [string[], RegExp][] = [
      [['--tls-cert', `${tls}/cert.pem`], /--tls-cert is given without --tls-key\. HTTPS needs both/],
      [['--tls-key', `${tls}/key.pem`], /--tls-key is given without --tls-cert/],
      [
        ['--tls-cert', join(dir, 'none.pem'), '--tls-key', `${tls}/key.pem`],
        /--tls-cert .*none\.pem cannot be read \(ENOENT\)/,
      ],
      [
        ['--tls-cert', `${tls}/cert.pem`, '--tls-key', `${tls}/other-key.pem`],
        /The TLS certificate and key cannot be served: .*key values mismatch.*openssl req -x509/,
      ],
    ];
    const runs = await Promise.all(
      cases.map(([flags]) => run(['serve', '--model', FIXTURE_MODEL, ...flags])),
    );
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![1].source).toBe(1);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  });

  it('with --tls-cert and --tls-key serves HTTPS; on SIGHUP reads the token and certificate files again', async () => {
    const fixtures = join(ROOT, 'packages/serve-onnx/test/fixtures/tls');
    const [certFile, keyFile, tokenFile] = ['cert.pem', 'key.pem', 'hup-token'].map((f) => join(dir, f));
    await copyFile(`${fixtures}/cert.pem`, certFile!);
    await copyFile(`${fixtures}/key.pem`, keyFile!);
    const [oldToken, newToken] = ['0123456789abcdef-old', '0123456789abcdef-new'];
    await writeFile(tokenFile!, oldToken);
    let log = '';
    const url = await serve('--tls-cert', certFile!, '--tls-key', keyFile!, '--api-token-file', tokenFile!);
    // pino's log lines go to stdout
    child!.stdout!.on('data', (d) => {
      log += d;
    });
    expect(url).toMatch(/^https:/);
    const ca = [readFileSync(`${fixtures}/cert.pem`), readFileSync(`${fixtures}/renewed-cert.pem`)];
    /** GET /v1/model on a new connection: its status and the certificate the server showed. */
    const model = (token: string) =>
      new Promise<{ status?: number; fingerprint: string }>((res, rej) =>
        httpsGet(
          `${url}/v1/model`,
          { ca, agent: false, headers: { authorization: `Bearer ${token}` } },
          (r) => {
            r.resume();
            res({
              status: r.statusCode,
              fingerprint: (r.socket as TLSSocket).getPeerCertificate().fingerprint256,
            });
          },
        ).on('error', rej),
      );
    const first = await model(oldToken);
    expect(first).toEqual({ status: 200, fingerprint: new X509Certificate(ca[0]!).fingerprint256 });

    // a rotated token and a renewed certificate, then SIGHUP: the server takes them without a restart
    await writeFile(tokenFile!, `${newToken}\n`);
    await copyFile(`${fixtures}/renewed-cert.pem`, certFile!);
    await copyFile(`${fixtures}/renewed-key.pem`, keyFile!);
    child!.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await model(newToken)).status !== 200 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await model(newToken)).toEqual({
      status: 200,
      fingerprint: new X509Certificate(ca[1]!).fingerprint256,
    });
    expect((await model(oldToken)).status).toBe(401);

    // a token file that went wrong: logged, and the server keeps the token it has
    await writeFile(tokenFile!, 'short');
    child!.kill('SIGHUP');
    while (!/credentials not reloaded/.test(log) && Date.now() < deadline + 10_000)
      await new Promise((r) => setTimeout(r, 100));
    expect(log).toMatch(/SIGHUP: credentials not reloaded, the old ones are kept/);
    expect((await model(newToken)).status).toBe(200);
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });

  it('with --api-token-file, /v1/ answers only requests that carry the token; the file wins over HCR_API_TOKEN', async () => {
    const token = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const file = join(dir, 'token');
    await writeFile(file, `${token}\n`); // as `openssl rand -hex 16 > token` writes it: the newline is not the token's
    const url = await serveWith({ HCR_API_TOKEN: 'another-token-from-the-env' }, '--api-token-file', file);
    expect(startLine).toMatch(/\/v1\/ needs an API token of --api-token-file .*token\)/);
    const model = (authorization?: string) =>
      fetch(`${url}/v1/model`, { headers: authorization ? { authorization } : {} });
    expect((await model()).status).toBe(401);
    expect((await model('Bearer another-token-from-the-env')).status).toBe(401);
    expect((await model(`Bearer ${token}`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });

  it('takes a token per named client from the file, and --rate-limit counts each client apart', async () => {
    const [scanner, phone, scraper] = [
      '5ca11e5ca11e5ca11e5ca11e',
      'b0b0b0b0b0b0b0b0b0b0b0b0',
      'pr0m37h3uspr0m37h3uspr0m',
    ];
    const file = join(dir, 'clients');
    await writeFile(
      file,
      `# name token\nscanner ${scanner}\n\nphone  ${phone}\nprometheus ${scraper} metrics\n`,
    );
    const url = await serve('--api-token-file', file, '--rate-limit', '2/min, phone=1/h');
    expect(startLine).toMatch(
      /needs an API token of --api-token-file .*clients \(3 clients\), \/metrics one with the metrics scope; 2\/min per client \(phone=1\/h\)\)/,
    );
    const model = (token: string) =>
      fetch(`${url}/v1/model`, { headers: { authorization: `Bearer ${token}` } });
    expect((await model(scanner)).status).toBe(200);
    expect((await model(scanner)).status).toBe(200);
    const limited = await model(scanner);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: unknown }).error).toMatchObject({
      code: 'RATE_LIMITED',
      message: 'Client scanner has used the 2 requests it may send per minute.',
    });
    // the other client has its own count, and here a limit of its own; the probes are not counted
    expect((await model(phone)).status).toBe(200);
    expect((await model(phone)).status).toBe(429);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // /metrics is the scraper's alone
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${scraper}` } })
    ).text();
    expect(metrics).toMatch(/hcr_client_requests_total\{client="scanner",status="429"\} 1/);
    expect(metrics).toMatch(/hcr_client_requests_total\{client="phone",status="200"\} 1/);
    expect(metrics).toMatch(/hcr_client_requests_total\{client="phone",status="429"\} 1/);
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });

  it('a second signal while a request is in flight stops at once, says requests were cut, and exits 1', async () => {
    const url = await serve('--timeout-ms', '60000');
    let out = '';
    child!.stdout!.on('data', (d) => {
      out += d;
    });
    // a PDF page seconds long to draw keeps a request in flight
    const slow = fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: await slowPdf(20_000),
    }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    child!.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(out).toMatch(/second signal: stopping at once, requests still in flight are cut/);
    expect(await slow).toBeInstanceOf(Error); // its connection was cut, not answered
    child = undefined;
  });
});
