import type { Command } from 'commander';

/**
 * `hcr bench <name>`: every speed figure in the README comes from one of these.
 * Each package contributes a benchmark; this table maps names to them.
 */
export type Benchmark = { description: string; run: (opts: Record<string, string>) => Promise<void> };

export const benchmarks: Record<string, Benchmark> = {};

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark and print its numbers (data, train, eval, export, serve)')
    .argument('[name]', 'benchmark name; omit to list them')
    .option('--option <key=value...>', 'benchmark-specific options')
    .action(async (name: string | undefined, opts: { option?: string[] }) => {
      if (!name) {
        for (const [n, b] of Object.entries(benchmarks))
          process.stdout.write(`${n.padEnd(8)} ${b.description}\n`);
        return;
      }
      const bench = benchmarks[name];
      if (!bench)
        throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(benchmarks).join(', ')}`);
      const options = Object.fromEntries(
        (opts.option ?? []).map((kv) => kv.split('=', 2) as [string, string]),
      );
      await bench.run(options);
    });
}
