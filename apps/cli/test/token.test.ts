import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseApiTokens } from '@hcr/serve-onnx';
import { describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

describe('hcr token', () => {
  it('adds clients (the token printed once, the file private), lists them without tokens, removes one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hcr-token-')), 'conf', 'tokens');
    const scanner = await hcr('token', 'add', 'scanner', '--file', file, '--scopes', 'read');
    expect(scanner.code, scanner.err).toBe(0);
    const token = scanner.out.trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(scanner.err).toMatch(
      /added client scanner to .*tokens; its token is shown only this once\. hcr serve takes the change on SIGHUP/,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await hcr('token', 'add', 'desk', '--file', file)).toMatchObject({ code: 0 });
    expect(await hcr('token', 'add', 'prometheus', '--file', file, '--scopes', 'metrics')).toMatchObject({
      code: 0,
    });
    expect(parseApiTokens(readFileSync(file, 'utf8'), file)).toEqual([
      { name: 'scanner', token, scopes: ['read'] },
      { name: 'desk', token: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { name: 'prometheus', token: expect.stringMatching(/^[0-9a-f]{64}$/), scopes: ['metrics'] },
    ]);

    // a client without scopes written may read and collect, not scrape /metrics (given only by name)
    const list = await hcr('token', 'list', '--file', file);
    expect(list.out).toBe('scanner     read\ndesk        read,collect\nprometheus  metrics\n');
    expect(list.out + list.err).not.toContain(token);
    expect(JSON.parse((await hcr('token', 'list', '--file', file, '--json')).out)).toEqual({
      clients: [
        { name: 'scanner', scopes: ['read'], tokens: 1 },
        { name: 'desk', scopes: ['read', 'collect'], tokens: 1 },
        { name: 'prometheus', scopes: ['metrics'], tokens: 1 },
      ],
    });

    const rotated = await hcr('token', 'rotate', 'scanner', '--file', file);
    expect(rotated.code, rotated.err).toBe(0);
    const renewed = rotated.out.trim();
    expect(renewed).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.err).toMatch(
      /rotated the token of client scanner in .*tokens; the new one is shown only this once/,
    );
    expect(parseApiTokens(readFileSync(file, 'utf8'), file)[0]).toEqual({
      name: 'scanner',
      token: renewed,
      scopes: ['read'],
    });
    expect(readFileSync(file, 'utf8')).not.toContain(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // a rotation without a refused request: both tokens valid until the old one is retired
    const moving = await hcr('token', 'rotate', 'desk', '--file', file, '--keep-old');
    expect(moving.code, moving.err).toBe(0);
    expect(moving.err).toMatch(
      /beside its old one, both valid once hcr serve reloads.*hcr token retire desk/,
    );
    expect((await hcr('token', 'list', '--file', file)).out).toBe(
      'scanner     read\ndesk        read,collect  (2 tokens: a rotation under way)\nprometheus  metrics\n',
    );
    const retired = await hcr('token', 'retire', 'desk', '--file', file);
    expect(retired.code, retired.err).toBe(0);
    expect(parseApiTokens(readFileSync(file, 'utf8'), file)[1]).toEqual({
      name: 'desk',
      token: moving.out.trim(),
    });
    expect((await hcr('token', 'retire', 'desk', '--file', file)).err).toMatch(
      /holds one token: there is no old one/,
    );

    expect(await hcr('token', 'remove', 'scanner', '--file', file)).toMatchObject({ code: 0 });
    expect(readFileSync(file, 'utf8')).not.toContain(renewed);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses what would break the file or the server, and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-token-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, '# kept\ndesk 0123456789abcdef0123\n');
    const before = readFileSync(file, 'utf8');
    for (const [args, message] of [
      [['add', 'desk'], /already has a client named desk\. Pick another name, or remove it first/],
      [['add', 'x', '--scopes', 'read,write'], /Client x has the unknown scope 'write'/],
      [['add', 'bad/name'], /The API client name "bad\/name" is not allowed/],
      [['remove', 'nobody'], /has no client named nobody\. Its clients: desk/],
      [['rotate', 'nobody'], /has no client named nobody\. Its clients: desk/],
      [['remove', 'desk'], /desk is the only client of .*tokens: without it the server refuses to start/],
    ] as const) {
      const r = await hcr('token', ...args, '--file', file);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(message);
      expect(readFileSync(file, 'utf8')).toBe(before);
    }
    const missing = await hcr('token', 'list', '--file', join(dir, 'none'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--file .*none cannot be read \(ENOENT\)/);
  });
});

describe('hcr token add --scopes: a scope repeated is kept once', () => {
  it('read,read is stored as read, in the order given', async () => {
    // it was stored as `read,read`
    const file = join(mkdtempSync(join(tmpdir(), 'hcr-token-scopes-')), 'tokens');
    expect(await hcr('token', 'add', 'z', '--file', file, '--scopes', 'read,read')).toMatchObject({
      code: 0,
    });
    expect(await hcr('token', 'add', 'y', '--file', file, '--scopes', 'metrics,read,metrics')).toMatchObject({
      code: 0,
    });
    expect(readFileSync(file, 'utf8')).toMatch(/^z [0-9a-f]{64} read\ny [0-9a-f]{64} metrics,read\n$/);
    expect((await hcr('token', 'list', '--file', file)).out).toBe('z  read\ny  metrics,read\n');
  });

  it('a token file written by hand with a scope twice lists it once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hcr-token-scopes-')), 'tokens');
    writeFileSync(file, 'desk 0123456789abcdef0123 collect,read,collect\n');
    expect(parseApiTokens(readFileSync(file, 'utf8'), file)).toEqual([
      { name: 'desk', token: '0123456789abcdef0123', scopes: ['collect', 'read'] },
    ]);
  });
});
