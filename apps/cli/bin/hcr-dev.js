#!/usr/bin/env node
/**
 * `hcr` inside the repository (what `pnpm hcr` runs, through pnpm's fallback to the workspace's bins): the
 * CLI from its TypeScript sources, so an edit needs no build. The published package's bin is dist/bin.js
 * (publishConfig.bin). A child process rather than in-process hooks, because worker threads (training,
 * preprocessing) inherit the flags but not hooks registered at run time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', tsx, bin, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);

// Ctrl-C reaches the child from the terminal itself; a signal sent to this process alone is passed on.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exitCode = code ?? 1;
});
