import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * What a pipeline task really loads, found by reading its sources rather than by running it: the files reached
 * from the `hcr` bin through every import (static, dynamic, type-only ones excepted: verbatimModuleSyntax
 * erases only those), every `new URL('<file>', import.meta.url)` (the data lock beside a package), every
 * `moduleWorker(import.meta.url, '<name>')` (@hcr/core's worker threads, booted from `<name>.ts` beside the caller)
 * and every `require('<relative>')` (a package.json read for its version). Workspace packages resolve as at run
 * time, through the `source` export condition.
 */

/** The workspace's packages by name: their folder (absolute) and `exports`. */
function workspacePackages(root: string): Map<string, { dir: string; exports: Record<string, unknown> }> {
  const found = new Map<string, { dir: string; exports: Record<string, unknown> }>();
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const file = join(root, group, name, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      found.set(pkg.name, { dir: join(root, group, name), exports: pkg.exports ?? {} });
    }
  }
  return found;
}

/** A `source` (else `default`) target of an exports entry. */
function sourceTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object') {
    const e = entry as Record<string, unknown>;
    return sourceTarget(e.source ?? e.default);
  }
  return undefined;
}

/** A relative specifier to the file it loads: `./x.js` is `./x.ts` in the sources. */
function resolveFile(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The string a specifier node spells, if it is a literal. */
function literal(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    ? node.text
    : undefined;
}

/** `require` or `createRequire(...)`. */
function isRequire(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'require';
  return (
    ts.isCallExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'createRequire'
  );
}

/** The specifiers one file loads at run time. */
function specifiersOf(file: string, dynamic: boolean): { imports: string[]; files: string[] } {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const imports: string[] = [];
  const files: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      imports.push(literal(node.moduleSpecifier)!);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      imports.push(literal(node.moduleSpecifier)!);
    } else if (ts.isCallExpression(node)) {
      const spec = literal(node.arguments[0]);
      if (spec !== undefined && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        if (dynamic) imports.push(spec);
      }
      // createRequire(import.meta.url)('../package.json'), require('./x')
      else if (spec?.startsWith('.') && isRequire(node.expression)) files.push(spec);
      // moduleWorker(import.meta.url, 'worker'): the module worker.ts beside this file
      else if (
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'moduleWorker' &&
        node.arguments[0]?.getText(source) === 'import.meta.url'
      ) {
        const name = literal(node.arguments[1]);
        if (name !== undefined) files.push(`./${name}.ts`);
      }
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      node.arguments?.length === 2 &&
      node.arguments[1].getText(source) === 'import.meta.url'
    ) {
      const spec = literal(node.arguments[0]);
      if (spec?.startsWith('.')) files.push(spec);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, files };
}

export interface Closure {
  /** Every file of the repository the entry points load or read, relative to the root. */
  files: string[];
  /** The packages outside the workspace they import (node: builtins left out). */
  external: string[];
  /** The `cut` imports the walk never met (a cut that no longer matches anything is stale). */
  cutsUnused: [string, string][];
  /** How a file was reached: the chain of files from an entry point to it. */
  via(file: string): string[];
}

export interface ClosureOptions {
  /** Files whose dynamic `import()`s are not followed (the CLI's main.ts: it imports only the command that runs). */
  lazy?: string[];
  /** Imports not followed, as [file, specifier as written]: a module loaded but whose code the task never runs. */
  cut?: [string, string][];
}

/** The files reached from `entries`. Paths here are relative to `root`. */
export function importClosure(root: string, entries: string[], options: ClosureOptions = {}): Closure {
  const lazy = new Set((options.lazy ?? []).map((f) => resolve(root, f)));
  const cut = new Set((options.cut ?? []).map(([f, spec]) => `${resolve(root, f)}\0${spec}`));
  const packages = workspacePackages(root);
  const seen = new Set<string>();
  const external = new Set<string>();
  const parent = new Map<string, string>();
  const cutsSeen = new Set<string>();
  const queue: [string, string | undefined][] = entries.map((e) => [resolve(root, e), undefined]);
  const reach = (target: string, from: string): void => {
    queue.push([target, from]);
  };
  while (queue.length > 0) {
    const [file, from] = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (from) parent.set(file, from);
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    const specs = specifiersOf(file, !lazy.has(file));
    const files = specs.files;
    const imports = specs.imports.filter((spec) => {
      const key = `${file}\0${spec}`;
      if (cut.has(key)) cutsSeen.add(key);
      return !cut.has(key);
    });
    for (const spec of files) {
      const target = resolve(dirname(file), spec);
      if (existsSync(target) && statSync(target).isFile()) reach(target, file);
    }
    for (const spec of imports) {
      if (spec.startsWith('.')) {
        const target = resolveFile(file, spec);
        if (!target) throw new Error(`${relative(root, file)}: cannot resolve ${spec}`);
        reach(target, file);
        continue;
      }
      if (spec.startsWith('node:')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const pkg = packages.get(name);
      if (!pkg) {
        external.add(name);
        continue;
      }
      const subpath = `.${spec.slice(name.length)}`;
      const target = sourceTarget(pkg.exports[subpath]);
      if (!target) throw new Error(`${relative(root, file)}: ${spec} is not exported by ${name}`);
      reach(resolve(pkg.dir, target), file);
    }
  }
  return {
    files: [...seen].map((f) => relative(root, f)).sort(),
    external: [...external].sort(),
    cutsUnused: (options.cut ?? []).filter(([f, spec]) => !cutsSeen.has(`${resolve(root, f)}\0${spec}`)),
    via(file) {
      const chain = [];
      for (let f: string | undefined = resolve(root, file); f; f = parent.get(f))
        chain.unshift(relative(root, f));
      return chain;
    },
  };
}
