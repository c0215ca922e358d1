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
 * Its name, scopes and place in the file are kept, so its log lines, metrics and rate limit go on under that name.
 * The old token is refused from the next reload on; with `keepOld` it stays valid beside the new one (a line of
 * the same client after it) until `retireOldApiToken`, so the client can move to the new one without a refused
 * request. An unnamed line is given the name it had.
 */
export function rotateApiToken(
  text: string,
  name: string,
  source: string,
  { keepOld = false }: { keepOld?: boolean } = {},
): { text: string; token: string } {
  const found = tokenLines(text, source);
  const held = linesOf(found, name, source);
  if (keepOld && held.length > 1)
    throw new HcrError(
      'BAD_OPTIONS',
      `Client ${name} of ${source} holds two tokens already: a rotation is under way.`,
      {
        hint: `Retire its old token first (hcr token retire ${name}), once the client sends the new one.`,
      },
    );
  const [first] = held as [TokenLine, ...TokenLine[]];
  const token = newApiToken();
  const line = lineOf({ name, token, ...(first.scopes && { scopes: first.scopes }) });
  const all = lines(text);
  nameEveryLine(all, found);
  if (keepOld) all.splice(first.index + 1, 0, line);
  else {
    // every token of the client goes (a rotation under way too): it holds the new one alone
    all[first.index] = line;
    for (const extra of held.slice(1).reverse()) all.splice(extra.index, 1);
  }
  checked(tokenLines(all.join('\n'), source), source);
  return { text: all.join('\n'), token };
}

/**
 * The token file with the client `name`'s old token gone, its new one kept (the end of a `keepOld` rotation): the
 * old one is refused from the next reload on. A client holding one token is BAD_OPTIONS: there is none to retire.
 */
export function retireOldApiToken(text: string, name: string, source: string): string {
  const found = tokenLines(text, source);
  const held = linesOf(found, name, source);
  if (held.length < 2)
    throw new HcrError(
      'BAD_OPTIONS',
      `Client ${name} of ${source} holds one token: there is no old one to retire.`,
      {
        hint: `hcr token rotate ${name} --keep-old gives it a new token beside the old; hcr token rotate ${name} replaces it.`,
      },
    );
  const all = lines(text);
  nameEveryLine(all, found);
  // the older token is the line written first: --keep-old writes the new one after it
  all.splice(held[0]!.index, 1);
  checked(tokenLines(all.join('\n'), source), source);
  return all.join('\n');
}

/** The lines of the client `name` (one, or two during a rotation), or BAD_OPTIONS listing the file's clients. */
function linesOf(found: readonly TokenLine[], name: string, source: string): TokenLine[] {
  const held = found.filter((t) => t.name === name);
  if (held.length === 0)
    throw new HcrError('BAD_OPTIONS', `${source} has no client named ${name}.`, {
      hint: `Its clients: ${[...new Set(found.map((t) => t.name))].join(', ') || 'none'} (hcr token list).`,
    });
  return held;
}

/** The token file without the client `name` (its tokens refused from the next reload on). The last one stays. */
export function removeApiClient(text: string, name: string, source: string): string {
  const found = tokenLines(text, source);
  const gone = linesOf(found, name, source);
  if (found.every((t) => t.name === name))
    throw new HcrError(
      'BAD_OPTIONS',
      `${name} is the only client of ${source}: without it the server refuses to start.`,
      {
        hint: 'Add the client that replaces it first, or serve without --api-token-file.',
      },
    );
  const all = lines(text);
  nameEveryLine(all, found);
  for (const line of [...gone].reverse()) all.splice(line.index, 1);
  checked(tokenLines(all.join('\n'), source), source);
  return all.join('\n');
}
