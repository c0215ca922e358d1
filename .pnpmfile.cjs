// `pnpm hcr` runs the CLI's bin, so the repository root depends on @hcr/cli. That dependency is added here, at
// install time, instead of in package.json: turbo hashes every file of each package the root package.json names
// into every task's hash, so an edit to any test or server file would rerun the whole pipeline (training
// included). Tasks declare what they read in turbo.json instead.
module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === 'hcr') pkg.devDependencies = { ...pkg.devDependencies, '@hcr/cli': 'workspace:*' };
      return pkg;
    },
  },
};
