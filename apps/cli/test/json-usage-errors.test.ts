import { describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

describe('--json: a usage error is a JSON document on stdout too', () => {
  it.each([
    [['read', 'x.png', '--json', '--bogus'], "unknown option '--bogus'"],
    [['read', '--json'], "missing required argument 'images'"],
    [['read', 'x.png', '--json', '--format', 'xml'], "option '--format <format>' argument 'xml' is invalid"],
    [['read', 'x.png', '--format', 'json', '--top-k'], "option '--top-k <n>' argument missing"],
    [['data', 'info', '--format=json', '--dir'], "option '--dir <dir>' argument missing"],
  ])('hcr %j', async (args, message) => {
    const r = await hcr(...args);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${message}`); // stderr as before: commander's line and the usage
    const { error } = JSON.parse(r.out);
    expect(error).toEqual({
      code: 'USAGE',
      message: expect.stringContaining(message),
      hint: `Run hcr ${args[0]} --help for the arguments and options it takes.`,
    });
    expect(error.message).not.toMatch(/^error:/);
  });

  it('help and the version stay what they are; without --json stdout stays empty', async () => {
    const help = await hcr('read', '--help', '--json');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: hcr read/);
    expect(help.out).not.toContain('"error"');
    const version = await hcr('--version', '--json');
    expect(version.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    const plain = await hcr('read', 'x.png', '--bogus');
    expect(plain.code).toBe(1);
    expect(plain.out).toBe('');
  });
});
