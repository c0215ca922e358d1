import { canonicalLineText, HcrError, type LineAlphabet } from '@hcr/core';

/** Parsed pattern: symbol sets are 0/1 masks over alphabet output indices. */
export type PatternNode =
  | { type: 'set'; mask: Uint8Array }
  | { type: 'cat'; items: PatternNode[] }
  | { type: 'alt'; items: PatternNode[] }
  | { type: 'rep'; node: PatternNode; min: number; max: number };

/** Counts in {n}, {n,}, {n,m} above this are an error: no line is that long. */
export const MAX_REPEAT = 100;

/**
 * Longest pattern source: field patterns are a few dozen characters, and parsing (recursive descent) and the
 * automaton construction stay bounded (a 1M-character pattern would cost over a second before any limit).
 */
export const MAX_PATTERN_LENGTH = 1000;
/** Deepest nesting of groups: the parser and the NFA construction recurse once per level. */
export const MAX_PATTERN_NESTING = 32;
/** Most quantifiers stacked on one atom (`A+?` is two): each wraps the node once more, so a chain recurses too. */
export const MAX_QUANTIFIER_CHAIN = 3;

/** Longer patterns are shown cut in messages (one sent by mistake may be a whole file). */
const SHOWN_PATTERN = 60;

/** A pattern as an error message shows it: quoted, and cut with its length when long. */
export function shownPattern(src: string): string {
  return src.length <= SHOWN_PATTERN
    ? JSON.stringify(src)
    : `${JSON.stringify(src.slice(0, SHOWN_PATTERN))}... (${src.length} characters)`;
}

/** Recursive-descent parser of the pattern subset documented in the README. */
export function parsePattern(src: string, alphabet: LineAlphabet): PatternNode {
  const C = alphabet.size;
  let i = 0;
  function fail(what: string, at = i): never {
    throw new HcrError(
      'PATTERN_INVALID',
      `Invalid pattern ${shownPattern(src)}: ${what} at position ${at + 1}.`,
      {
        hint: 'Patterns use literals, \\. \\- \\/ \\  escapes, ., [..] classes with ranges and [^..], \\d, \\s, ( ), |, ?, *, +, {n}, {n,}, {n,m}, and ^ at the start or $ at the end (the match is always whole); see the @hcr/decode README.',
      },
    );
  }
  if (src.length > MAX_PATTERN_LENGTH)
    fail(`longer than ${MAX_PATTERN_LENGTH} characters (${src.length})`, MAX_PATTERN_LENGTH);
  let depth = 0; // groups open around the parser's position
  // Anchors: the match is always whole, so '^' and '$' only restate it. One where it would not (after a character
  // that must be read, before one, inside a repeated group) would make a RegExp match less, and is refused rather
  // than ignored. On the path being parsed: nothing read yet (a '^' fits), a '$' seen (nothing may be read after).
  let atStart = true;
  let ended = false;
  let anchors = 0; // anchors read so far, to find one inside a quantified group
  // One character from the position on, by code point (an emoji is one character, not two surrogates).
  const take = (): string | undefined => {
    const c = src.codePointAt(i);
    if (c === undefined) return undefined;
    const ch = String.fromCodePoint(c);
    i += ch.length;
    return ch;
  };
  // A character as the alphabet writes it (canonicalLineText: upper-cased when case is merged, and in a
  // partly merged alphabet such as hcr47 a lower-case letter it lacks, c, as its capital C).
  const canonical = (ch: string): string => (ch === ' ' ? ch : canonicalLineText(ch, alphabet));
  const symbolOf = (ch: string, at: number): number => {
    const c = canonical(ch);
    const k = alphabet.symbols.indexOf(c);
    if (k <= 0) fail(`'${ch}' is not in the alphabet ${alphabet.id}`, at);
    return k;
  };
  const single = (k: number): Uint8Array => {
    const m = new Uint8Array(C);
    m[k] = 1;
    return m;
  };
  const digits = (): Uint8Array => {
    const m = new Uint8Array(C);
    alphabet.symbols.forEach((s, k) => {
      if (k > 0 && s >= '0' && s <= '9') m[k] = 1;
    });
    return m;
  };
  const invert = (m: Uint8Array): Uint8Array => m.map((v, k) => (k > 0 && !v ? 1 : 0));
  // \d \D \s \S, or an escaped non-alphanumeric character as itself.
  const escaped = (at: number): Uint8Array => {
    const e = take();
    if (e === undefined) fail("'\\' at the end", at);
    if (e === 'd') return digits();
    if (e === 'D') return invert(digits());
    if (e === 's') return single(symbolOf(' ', at));
    if (e === 'S') return invert(single(symbolOf(' ', at)));
    if (/[0-9A-Za-z]/.test(e)) fail(`unsupported escape '\\${e}'`, at);
    return single(symbolOf(e, at));
  };

  const parseClass = (open: number): Uint8Array => {
    const m = new Uint8Array(C);
    const negate = src[i] === '^';
    if (negate) i++;
    let empty = true;
    while (src[i] !== ']') {
      if (i >= src.length) fail("unclosed '['", open);
      const at = i;
      let lo: string;
      if (src[i] === '\\') {
        i++;
        const e = src[i];
        if (e === 'd' || e === 'D' || e === 's' || e === 'S') {
          escaped(at).forEach((v, k) => {
            if (v) m[k] = 1;
          });
          empty = false;
          continue;
        }
        if (e === undefined) fail("unclosed '['", open);
        if (/[0-9A-Za-z]/.test(e)) fail(`unsupported escape '\\${e}'`, at);
        lo = take()!;
      } else lo = take()!;
      empty = false;
      if (src[i] === '-' && src[i + 1] !== ']' && i + 1 < src.length) {
        i++;
        let hi = take();
        if (hi === '\\') {
          hi = take();
          if (hi !== undefined && /[0-9A-Za-z]/.test(hi))
            fail(
              /[dDsS]/.test(hi) ? 'a class escape cannot end a range' : `unsupported escape '\\${hi}'`,
              at,
            );
        }
        if (hi === undefined) fail("unclosed '['", open);
        const [a, b] = alphabet.caseMerged ? [lo.toUpperCase(), hi.toUpperCase()] : [lo, hi];
        if (a > b) fail(`range '${lo}-${hi}' is reversed`, at);
        // Symbols in the range by code point, and a symbol whose other case is in it and written as it
        // (hcr47: [a-d] holds C, the alphabet's c).
        const inRange = (x: string) => x >= a && x <= b;
        let any = false;
        alphabet.symbols.forEach((s, k) => {
          const other = s === s.toUpperCase() ? s.toLowerCase() : s.toUpperCase();
          if (k > 0 && (inRange(s) || (other !== s && inRange(other) && canonical(other) === s))) {
            m[k] = 1;
            any = true;
          }
        });
        if (!any) fail(`range '${lo}-${hi}' holds no character of the alphabet ${alphabet.id}`, at);
      } else m[symbolOf(lo, at)] = 1;
    }
    if (empty) fail(negate ? "empty class '[^]'" : "empty class '[]'", open);
    i++; // ']'
    return negate ? invert(m) : m;
  };

  const parseAtom = (): PatternNode | null => {
    const at = i;
    const ch = take()!;
    if (ch === '(') {
      // (?:..), (?=..), (?!..), (?<=..), (?<name>..): what a RegExp has and this subset does not
      if (src[i] === '?')
        fail(`'(?' (a non-capturing, lookaround or named group) is not supported: use a plain group ( )`, at);
      if (++depth > MAX_PATTERN_NESTING) fail(`groups nested deeper than ${MAX_PATTERN_NESTING}`, at);
      const inner = parseAlt();
      if (src[i] !== ')') fail("unclosed '('", at);
      i++;
      depth--;
      return inner;
    }
    if (ch === '^') {
      if (!atStart)
        fail(
          "'^' after characters (the match is always whole, so '^' may only begin the pattern or a branch of it)",
          at,
        );
      anchors++;
      return null;
    }
    if (ch === '$') {
      ended = true;
      anchors++;
      return null;
    }
    if (ch === ']' || ch === '}') fail(`unmatched '${ch}'`, at);
    if (ch === '?' || ch === '*' || ch === '+' || ch === '{') fail(`nothing to repeat before '${ch}'`, at);
    if (ended)
      fail(
        "characters after '$' (the match is always whole, so '$' may only end the pattern or a branch of it)",
        at,
      );
    atStart = false;
    if (ch === '[') return { type: 'set', mask: parseClass(at) };
    if (ch === '.') {
      const m = new Uint8Array(C).fill(1);
      m[0] = 0;
      return { type: 'set', mask: m };
    }
    if (ch === '\\') return { type: 'set', mask: escaped(at) };
    return { type: 'set', mask: single(symbolOf(ch, at)) };
  };

  const parseCount = (open: number): [number, number] => {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(open));
    if (!m) fail("'{' is not {n}, {n,} or {n,m}", open);
    i = open + m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Number.POSITIVE_INFINITY && max > MAX_REPEAT))
      fail(`repeat count above ${MAX_REPEAT}`, open);
    if (max < min) fail(`{${min},${max}} has its bounds reversed`, open);
    return [min, max];
  };

  const parseRepeat = (): PatternNode | null => {
    const anchorsBefore = anchors;
    let node = parseAtom();
    let quantified = false; // the last thing read was a quantifier
    for (let chain = 0; ; chain++) {
      const at = i;
      const q = src[i];
      // A `?` right after a quantifier is a regular expression's lazy mark: the whole text has to match, so
      // it changes nothing (`\d+?` is `\d+`, as in a RegExp, not `(\d+)?`, which also took the empty text).
      if (q === '?' && quantified) {
        if (chain === MAX_QUANTIFIER_CHAIN)
          fail(`more than ${MAX_QUANTIFIER_CHAIN} quantifiers in a row`, at);
        i++;
        quantified = false;
        continue;
      }
      let range: [number, number];
      if (q === '?') range = [0, 1];
      else if (q === '*') range = [0, Number.POSITIVE_INFINITY];
      else if (q === '+') range = [1, Number.POSITIVE_INFINITY];
      else if (q === '{') range = parseCount(at);
      else return node;
      if (chain === MAX_QUANTIFIER_CHAIN) fail(`more than ${MAX_QUANTIFIER_CHAIN} quantifiers in a row`, at);
      if (q !== '{') i++;
      if (node === null) fail(`nothing to repeat before '${q}'`, at);
      if (anchors > anchorsBefore && range[1] > 1) fail(`'^' or '$' inside a group repeated by '${q}'`, at);
      node = { type: 'rep', node: node!, min: range[0], max: range[1] };
      quantified = true;
    }
  };

  const parseCat = (): PatternNode => {
    const items: PatternNode[] = [];
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      const n = parseRepeat();
      if (n) items.push(n);
    }
    return { type: 'cat', items };
  };

  // Each branch starts where the alternation does; after it, a '^' fits only if no branch read a character, and
  // nothing may be read if any branch ended with '$' (stricter than a RegExp for `(A$|B)C`: refused, not guessed).
  const parseAlt = (): PatternNode => {
    const [startAtStart, startEnded] = [atStart, ended];
    let allAtStart = true;
    let anyEnded = false;
    const branch = (): PatternNode => {
      [atStart, ended] = [startAtStart, startEnded];
      const node = parseCat();
      allAtStart &&= atStart;
      anyEnded ||= ended;
      return node;
    };
    const items = [branch()];
    while (src[i] === '|') {
      i++;
      items.push(branch());
    }
    [atStart, ended] = [allAtStart, anyEnded];
    return items.length === 1 ? items[0] : { type: 'alt', items };
  };

  const root = parseAlt();
  if (i < src.length) fail(`unmatched '${src[i]}'`, i);
  return root;
}
