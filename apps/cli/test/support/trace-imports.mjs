// `node --import ./trace-imports.mjs ...`: prints every module URL the program resolves, one `resolved <url>`
// line each on stderr, so a test can check which packages a command loads.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (!r.url.startsWith('node:')) process.stderr.write('resolved ' + r.url + '\\n');
  return r;
}`)}`,
);
