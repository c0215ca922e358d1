import { randomBytes } from 'node:crypto';
import { HcrError } from '@hcr/core';
import { type ApiClient, type ApiScope, checkApiClients, MAKE_ONE } from './plugins/api-token.js';

/**
 * The API token file of `hcr serve --api-token-file`: one client per line, `<token>`, `<client name> <token>` or
 * `<client name> <token> <scopes>` (comma-separated: `read`, `collect`, `metrics`; without them, read and collect);
 * blank lines and lines starting with `#` are skipped. An unnamed token's client is `default` when it is the only
 * one, else `token-<n>` (its place in the file). `source` names the file in errors.
 */
interface TokenLine extends ApiClient {
  /** 0-based index of the line in the text. */
  index: number;
  /** Whether the line names its client (an unnamed line's name depends on the others). */
  named: boolean;
}

const FORMAT_HINT =
  'Each line is `<token>`, `<client name> <token>` or `<client name> <token> <scopes>`: a token holds no spaces.';

function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/** The client lines of a token file, as written (not checked). */
function tokenLines(text: string, source: string): TokenLine[] {
  const found: { fields: string[]; index: number }[] = [];
  lines(text).forEach((raw, index) => {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) found.push({ fields: line.split(/\s+/), index });
  });
  return found.map(({ fields, index }, i): TokenLine => {
    if (fields.length > 3)
      throw new HcrError('BAD_OPTIONS', `${source} line ${index + 1} has ${fields.length} fields.`, {
        hint: FORMAT_HINT,
      });
    if (fields.length === 1)
      return {
        name: found.length === 1 ? 'default' : `token-${i + 1}`,
        token: fields[0]!,
        index,
        named: false,
      };
    const scopes = fields[2] === undefined ? undefined : distinct(fields[2].split(',') as ApiScope[]);
    return { name: fields[0]!, token: fields[1]!, ...(scopes && { scopes }), index, named: true };
  });
}

/** Scopes once each, in their first order: `read,read` is `read` (a scope repeated grants nothing more). */
function distinct(scopes: readonly ApiScope[]): ApiScope[] {
  return [...new Set(scopes)];
}

/** The clients, checked (checkApiClients), its errors naming the file. */
function checked(found: readonly ApiClient[], source: string): ApiClient[] {
  if (found.length === 0)
    throw new HcrError('BAD_OPTIONS', `${source} holds no API token.`, {
      hint: `Write one token per line, \`<token>\` or \`<client name> <token>\`. ${MAKE_ONE}`,
    });
  // the lines' own fields (index, named) are not the clients'
  return checkApiClients(
    found.map(({ name, token, scopes }) => ({ name, token, ...(scopes && { scopes }) })),
    source,
  );
}

/** The clients of an API token file, checked. */
export function parseApiTokens(text: string, source: string): ApiClient[] {
  return checked(tokenLines(text, source), source);
}

/** A client's line: `<name> <token>[ <scopes>]`. */
function lineOf({ name, token, scopes }: ApiClient): string {
  return [name, token, ...(scopes ? [scopes.join(',')] : [])].join(' ');
}

/**
 * Unnamed lines written with the names they have now, so that adding or removing a line renames no client (its
 * log lines, metrics and rate limit go by its name).
 */
function nameEveryLine(all: string[], found: readonly TokenLine[]): void {
  for (const t of found) if (!t.named) all[t.index] = lineOf(t);
}

/** A new token: 32 random bytes in hex (64 characters), as `openssl rand -hex 32` makes. */
export function newApiToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The token file with a client added (a new token when `client.token` is not given): `{ text, token }`. A name
 * already in the file is BAD_OPTIONS; `text` may be empty (a new file). Comments and the other lines are kept.
 */
export function addApiClient(
  text: string,
  client: { name: string; token?: string; scopes?: readonly ApiScope[] },
  source: string,
): { text: string; token: string } {
  const found = tokenLines(text, source);
  if (found.length) checked(found, source);
  if (found.some((t) => t.name === client.name))
    throw new HcrError('BAD_OPTIONS', `${source} already has a client named ${client.name}.`, {
      hint: `Pick another name, or remove it first (hcr token remove ${client.name}).`,
    });
  const added = {
    name: client.name,
    token: client.token ?? newApiToken(),
    ...(client.scopes && { scopes: distinct(client.scopes) }),
  };
  checked([...found, added], source);
  const all = text === '' ? [] : lines(text);
  nameEveryLine(all, found);
  while (all.length && all.at(-1)!.trim() === '') all.pop();
  all.push(lineOf(added));
  return { text: `${all.join('\n')}\n`, token: added.token };
}

/**
 * The token file with a new token for the client `name` (for a token that leaked, or is due): `{ text, token }`.
 * Its name, scopes and place in the file are kept, so its log lines, metrics and rate limit go on under that name;
 * the old token is refused from the next reload on. An unnamed line is given the name it had.
 */
export function rotateApiToken(text: string, name: string, source: string): { text: string; token: string } {
  const found = tokenLines(text, source);
  const client = clientNamed(found, name, source);
  const token = newApiToken();
  const all = lines(text);
  nameEveryLine(all, found);
  all[client.index] = lineOf({ name, token, ...(client.scopes && { scopes: client.scopes }) });
  checked(tokenLines(all.join('\n'), source), source);
  return { text: all.join('\n'), token };
}

/** The line of the client `name`, or BAD_OPTIONS listing the file's clients. */
function clientNamed(found: readonly TokenLine[], name: string, source: string): TokenLine {
  const line = found.find((t) => t.name === name);
  if (!line)
    throw new HcrError('BAD_OPTIONS', `${source} has no client named ${name}.`, {
      hint: `Its clients: ${found.map((t) => t.name).join(', ') || 'none'} (hcr token list).`,
    });
  return line;
}

/** The token file without the client `name` (its token refused from the next reload on). The last one stays. */
export function removeApiClient(text: string, name: string, source: string): string {
  const found = tokenLines(text, source);
  const gone = clientNamed(found, name, source);
  if (found.length === 1)
    throw new HcrError(
      'BAD_OPTIONS',
      `${name} is the only client of ${source}: without it the server refuses to start.`,
      {
        hint: 'Add the client that replaces it first, or serve without --api-token-file.',
      },
    );
  const all = lines(text);
  nameEveryLine(all, found);
  all.splice(gone.index, 1);
  checked(tokenLines(all.join('\n'), source), source);
  return all.join('\n');
}
