import { describe, expect, it } from 'vitest';
import {
  addApiClient,
  newApiToken,
  parseApiTokens,
  removeApiClient,
  retireOldApiToken,
  rotateApiToken,
} from '../src/index.js';

const A = 'aaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbb';

describe('editing an API token file', () => {
  it('adds a client with a new 64-hex-digit token, keeping comments and the other lines', () => {
    const { text, token } = addApiClient(
      `# hall A\nscanner ${A} read\n\n`,
      { name: 'desk', scopes: ['collect'] },
      'f',
    );
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(text).toBe(`# hall A\nscanner ${A} read\ndesk ${token} collect\n`);
    expect(parseApiTokens(text, 'f').map((c) => c.name)).toEqual(['scanner', 'desk']);
    expect(newApiToken()).not.toBe(newApiToken());
  });

  it('starts a file, and names a lone unnamed token before adding, so it stays client default', () => {
    expect(addApiClient('', { name: 'first', token: A }, 'f').text).toBe(`first ${A}\n`);
    // alone it is `default`; beside another, an unnamed line would become token-1
    const { text } = addApiClient(`${A}\n`, { name: 'phone', token: B }, 'f');
    expect(text).toBe(`default ${A}\nphone ${B}\n`);
  });

  it('removes a client, naming the unnamed lines so no other client changes name', () => {
    const file = `# two unnamed, one named\n${A}\n${B}\nphone cccccccccccccccccccc read\n`;
    expect(parseApiTokens(file, 'f').map((c) => c.name)).toEqual(['token-1', 'token-2', 'phone']);
    const left = removeApiClient(file, 'token-1', 'f');
    expect(left).toBe(`# two unnamed, one named\ntoken-2 ${B}\nphone cccccccccccccccccccc read\n`);
    expect(parseApiTokens(left, 'f').map((c) => c.name)).toEqual(['token-2', 'phone']);
  });

  it("rotates a client's token in place: name, scopes, comments and the other clients kept", () => {
    const file = `# hall A\n${A}\nscanner ${B} read,metrics\n`;
    const { text, token } = rotateApiToken(file, 'scanner', 'f');
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(text).toBe(`# hall A\ntoken-1 ${A}\nscanner ${token} read,metrics\n`);
    // a lone unnamed token stays client default, now by name
    const lone = rotateApiToken(`${A}\n`, 'default', 'f');
    expect(lone.text).toBe(`default ${lone.token}\n`);
    expect(() => rotateApiToken(file, 'phone', 'tokens')).toThrow(
      expect.objectContaining({ problem: 'tokens has no client named phone.' }),
    );
  });

  it('rotates without a refused request: --keep-old adds the new token after the old, retire drops the old', () => {
    const file = `# hall A\nscanner ${A} read\nphone ${B}\n`;
    const started = rotateApiToken(file, 'scanner', 'f', { keepOld: true });
    expect(started.text).toBe(`# hall A\nscanner ${A} read\nscanner ${started.token} read\nphone ${B}\n`);
    // both tokens are the client's, with its scopes
    expect(parseApiTokens(started.text, 'f')).toEqual([
      { name: 'scanner', token: A, scopes: ['read'] },
      { name: 'scanner', token: started.token, scopes: ['read'] },
      { name: 'phone', token: B },
    ]);
    expect(() => rotateApiToken(started.text, 'scanner', 'f', { keepOld: true })).toThrow(
      expect.objectContaining({
        problem: 'Client scanner of f holds two tokens already: a rotation is under way.',
      }),
    );
    const done = retireOldApiToken(started.text, 'scanner', 'f');
    expect(done).toBe(`# hall A\nscanner ${started.token} read\nphone ${B}\n`);
    expect(() => retireOldApiToken(done, 'scanner', 'f')).toThrow(
      expect.objectContaining({
        problem: 'Client scanner of f holds one token: there is no old one to retire.',
      }),
    );
    // a plain rotation in the middle of one leaves the client one new token; remove takes both
    const again = rotateApiToken(started.text, 'scanner', 'f');
    expect(again.text).toBe(`# hall A\nscanner ${again.token} read\nphone ${B}\n`);
    expect(removeApiClient(started.text, 'scanner', 'f')).toBe(`# hall A\nphone ${B}\n`);
    expect(() => removeApiClient(started.text.replace(`phone ${B}\n`, ''), 'scanner', 'f')).toThrow(
      /only client of f/,
    );
  });

  it('refuses a name taken, a name it lacks, the last client, and a file it cannot read, naming the file', () => {
    expect(() => addApiClient(`desk ${A}\n`, { name: 'desk' }, 'tokens')).toThrow(
      expect.objectContaining({ code: 'BAD_OPTIONS', problem: 'tokens already has a client named desk.' }),
    );
    expect(() => addApiClient(`desk ${A}\n`, { name: 'bad name!' }, 'tokens')).toThrow(/is not allowed/);
    expect(() => removeApiClient(`desk ${A}\nphone ${B}\n`, 'scanner', 'tokens')).toThrow(
      expect.objectContaining({
        problem: 'tokens has no client named scanner.',
        hint: expect.stringContaining('desk, phone'),
      }),
    );
    expect(() => removeApiClient(`desk ${A}\n`, 'desk', 'tokens')).toThrow(/only client of tokens/);
    // a file already wrong is said so, not made worse
    expect(() => addApiClient(`desk ${A}\ndesk ${B} metrics\n`, { name: 'x' }, 'tokens')).toThrow(
      /Client desk has two tokens of different scopes/,
    );
  });
});
