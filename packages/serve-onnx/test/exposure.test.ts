import { describe, expect, it } from 'vitest';
import { exposureWarnings } from '../src/server/exposure.js';

// The start's warnings, decided without listening beyond loopback (tests stay on this machine).
describe('warnings about where the server can be reached', () => {
  const warn = (host: string, apiToken: boolean, tls: boolean) =>
    exposureWarnings({ host, apiToken, tls, collecting: true }).map((w) => w.message);

  it('says nothing on a loopback address, whatever the credentials', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost'])
      for (const token of [false, true]) expect(warn(host, token, false), host).toEqual([]);
  });

  it('beyond loopback: an API anyone there can use without a token, a token in clear text without TLS', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'hcr.example.com']) {
      expect(warn(host, false, false), host).toEqual([
        expect.stringMatching(/^listening beyond this machine with no API token/),
      ]);
      expect(warn(host, false, true), host).toEqual([expect.stringMatching(/no API token/)]);
      expect(warn(host, true, false), host).toEqual([
        expect.stringMatching(/^the API token travels in clear text/),
      ]);
      expect(warn(host, true, true), host).toEqual([]);
    }
    expect(
      exposureWarnings({ host: '0.0.0.0', apiToken: false, tls: false, collecting: true })[0]!.fields,
    ).toEqual({
      host: '0.0.0.0',
      collecting: true,
    });
  });
});
