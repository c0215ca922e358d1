import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic } from '@hcr/core';
import type { ApiScope } from '@hcr/serve-onnx';
import type { Command } from 'commander';
import { commaList, readFlagFile } from '../flags.js';
import { green, log, printJson } from '../output.js';

const RELOAD = 'hcr serve takes the change on SIGHUP (`kill -HUP <pid>`) or at its next start.';

/** The token file's text; a file that does not exist is empty when `missingOk`, else an error naming it. */
async function readTokens(file: string, missingOk: boolean): Promise<string> {
  if (missingOk && !existsSync(file)) return '';
  const bytes = await readFlagFile(
    '--file',
    file,
    'API_TOKEN_FILE_MISSING',
    'Pass the token file hcr serve reads (--api-token-file); `hcr token add <client> --file <it>` makes one.',
  );
  return bytes.toString('utf8');
}

/** `--scopes read,collect` as a list (checked with the file: an unknown scope is BAD_OPTIONS naming it). */
function scopes(value: string | undefined): ApiScope[] | undefined {
  return value === undefined ? undefined : (commaList(value) as ApiScope[]);
}

/**
 * `hcr token add | rotate | retire | remove | list`: the API token file of `hcr serve --api-token-file`, one client per
 * line. A new token is made from 32 random bytes and printed once, on stdout; the file is written through a temp
 * file with mode 600, so it is never torn nor readable by others. `list` never prints a token.
 */
export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description(
      'manage the API tokens of hcr serve --api-token-file: add a client, rotate its token (retire the old one), remove one, list them',
    );
  token
    .command('add <client>')
    .description(
      'add a client with a new token (printed once, on stdout) to the token file, creating it if need be',
    )
    .requiredOption('--file <tokens>', 'the token file (hcr serve --api-token-file)')
    .option(
      '--scopes <list>',
      'what the token may do: read (POST /v1/read, /v1/predict), collect (POST /v1/samples), metrics (GET /metrics, which then needs a token); default read,collect',
    )
    .action(async (client: string, opts) => {
      const { addApiClient } = await import('@hcr/serve-onnx');
      const file = resolve(opts.file);
      const { text, token: made } = addApiClient(
        await readTokens(file, true),
        { name: client, ...(opts.scopes !== undefined && { scopes: scopes(opts.scopes) }) },
        file,
      );
      await writeFileAtomic(file, text, { mode: 0o600 });
      process.stdout.write(`${made}\n`);
      log(`${green('added')} client ${client} to ${file}; its token is shown only this once. ${RELOAD}`);
    });
  token
    .command('rotate <client>')
    .description(
      'give a client a new token (printed once, on stdout), keeping its name and scopes: the old one is refused once hcr serve reloads (with --keep-old, once you retire it)',
    )
    .requiredOption('--file <tokens>', 'the token file (hcr serve --api-token-file)')
    .option(
      '--keep-old',
      'keep the old token valid beside the new one until `hcr token retire <client>`: the client moves to the new token without a refused request',
    )
    .action(async (client: string, opts) => {
      const { rotateApiToken } = await import('@hcr/serve-onnx');
      const file = resolve(opts.file);
      const keepOld = opts.keepOld === true;
      const { text, token: made } = rotateApiToken(await readTokens(file, false), client, file, { keepOld });
      await writeFileAtomic(file, text, { mode: 0o600 });
      process.stdout.write(`${made}\n`);
      log(
        keepOld
          ? `${green('rotated')} client ${client} in ${file}: a new token (shown only this once) beside its old one, both valid once hcr serve reloads. When the client sends the new one, \`hcr token retire ${client} --file ${opts.file}\` refuses the old. ${RELOAD}`
          : `${green('rotated')} the token of client ${client} in ${file}; the new one is shown only this once. ${RELOAD}`,
      );
    });
  token
    .command('retire <client>')
    .description(
      "end a rotation begun with rotate --keep-old: the client's old token is refused once hcr serve reloads, its new one kept",
    )
    .requiredOption('--file <tokens>', 'the token file (hcr serve --api-token-file)')
    .action(async (client: string, opts) => {
      const { retireOldApiToken } = await import('@hcr/serve-onnx');
      const file = resolve(opts.file);
      await writeFileAtomic(file, retireOldApiToken(await readTokens(file, false), client, file), {
        mode: 0o600,
      });
      log(`${green('retired')} the old token of client ${client} in ${file}. ${RELOAD}`);
    });
  token
    .command('remove <client>')
    .description('remove a client from the token file: its token is refused once hcr serve reloads')
    .requiredOption('--file <tokens>', 'the token file (hcr serve --api-token-file)')
    .action(async (client: string, opts) => {
      const { removeApiClient } = await import('@hcr/serve-onnx');
      const file = resolve(opts.file);
      await writeFileAtomic(file, removeApiClient(await readTokens(file, false), client, file), {
        mode: 0o600,
      });
      log(`${green('removed')} client ${client} from ${file}. ${RELOAD}`);
    });
  token
    .command('list')
    .description('the clients of the token file and their scopes (never their tokens)')
    .requiredOption('--file <tokens>', 'the token file (hcr serve --api-token-file)')
    .option('--json', 'print JSON: {"clients": [{"name", "scopes", "tokens"}]}')
    .action(async (opts) => {
      const { DEFAULT_API_SCOPES, parseApiTokens } = await import('@hcr/serve-onnx');
      const file = resolve(opts.file);
      // a client of two lines (a rotation under way) is listed once, with its count of tokens
      const clients: { name: string; scopes: string[]; tokens: number }[] = [];
      for (const { name, scopes = DEFAULT_API_SCOPES } of parseApiTokens(
        await readTokens(file, false),
        file,
      )) {
        const known = clients.find((c) => c.name === name);
        if (known) known.tokens++;
        else clients.push({ name, scopes: [...scopes], tokens: 1 });
      }
      if (opts.json) return printJson({ clients });
      const width = Math.max(...clients.map((c) => c.name.length));
      for (const c of clients)
        process.stdout.write(
          `${c.name.padEnd(width)}  ${c.scopes.join(',')}${c.tokens > 1 ? `  (${c.tokens} tokens: a rotation under way)` : ''}\n`,
        );
    });
}
