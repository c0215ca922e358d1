/**
 * `pnpm bench serve-install [--keep]`
 *
 * The size of a serving-only install: builds and packs @hcr/serve-onnx and the workspace packages it needs,
 * `npm install`s the tarballs into an empty temp project (ONNXRUNTIME_NODE_INSTALL=skip: no CUDA download)
 * and prints the installed size with its largest packages. --keep leaves the project for a look around.
 */
import { loadavg } from 'node:os';
import {
  formatSizes,
  installedPackages,
  installServingOnly,
  installSizes,
  NOT_IN_SERVING,
  removeServingInstall,
} from '../test/support/serving-install.js';

const keep = process.argv.includes('--keep');
const install = await installServingOnly().catch((e: Error) => {
  // the build, pack or npm install failed (its temp folders are removed): its output, not a stack trace
  process.stderr.write(`error ${e.message}\n`);
  process.exit(1);
});
const nodeModules = `${install.project}/node_modules`;
const stray = installedPackages(nodeModules).filter((p) => NOT_IN_SERVING.some((re) => re.test(p.name)));
console.log(formatSizes(installSizes(nodeModules), 10));
console.log(
  `packages of data preparation or training: ${stray.length ? stray.map((p) => p.name).join(', ') : 'none'}`,
);
console.log(`tarballs: ${Object.keys(install.tarballs).join(', ')}`);
console.log(
  `npm install: ${(install.npmMs / 1000).toFixed(1)} s (load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})`,
);
if (keep) console.log(`project kept: ${install.project}`);
else removeServingInstall(install);
if (stray.length) process.exitCode = 1;
