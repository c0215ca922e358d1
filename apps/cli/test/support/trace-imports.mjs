// `node --import ./trace-imports.mjs ...`: prints every module URL the program resolves, one `resolved <url>`
// line each on stderr, so a test can check which packages a command loads. In-thread hooks where Node has
// them (22.15+; tsx uses them there too), else the off-thread ones.
import module from 'node:module';

if (module.registerHooks) {
  module.registerHooks({
    resolve(specifier, context, next) {
      const r = next(specifier, context);
      if (!r.url.startsWith('node:')) process.stderr.write(`resolved ${r.url}\n`);
      return r;
    },
  });
} else {
  module.register(
    `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (!r.url.startsWith('node:')) process.stderr.write('resolved ' + r.url + '\\n');
  return r;
}`)}`,
  );
}
