#!/usr/bin/env node
import { loadDependenciesWithoutTsx } from '@hcr/core';
import { main } from './main.js';
import { red } from './output.js';

// From the TypeScript sources (`pnpm hcr`, tests), tsx need not rewrite installed packages (pdf.js: ~1.5 s a PDF run).
if (import.meta.url.endsWith('.ts')) loadDependenciesWithoutTsx();

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    // Output piped into a reader that stops early (`hcr read scans/ | head`): stop quietly, as Unix tools do.
    if (e.code === 'EPIPE') process.exit(0);
    // Any other failure to write the output (a full disk: `> /dev/full`): one line saying so, not a stack trace.
    if (stream === process.stdout)
      process.stderr.write(`${red('error')} cannot write output: ${reason(e)}\n`);
    process.exit(1);
  });
}

/** `ENOSPC: no space left on device, write` -> `no space left on device (ENOSPC)`. */
function reason(e: NodeJS.ErrnoException): string {
  const m = /^([A-Z0-9]+): (.*?)(?:, \w+)?$/.exec(e.message);
  return m ? `${m[2]} (${m[1]})` : e.message;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
