// Loaded with --import by the start-time bench: at exit, the process' own CPU time and its age (ms since the
// process started), on stderr, so the bench can read them without a profiler.
process.on('exit', () => {
  const c = process.cpuUsage();
  process.stderr.write(`\nhcr-bench-exit ${(c.user + c.system) / 1000} ${performance.now()}\n`);
});
