import { createRequire } from 'node:module';
import { base, de, en, es, Faker, fr, it } from '@faker-js/faker';
import { foldAccents, isLineText, LINE_ALPHABET_36, type LineAlphabet, type Rng } from '@hcr/core';
import type { LineKind } from './config.js';

/**
 * Text generators that look like real form fields: names (block capitals, several locales, hyphens and
 * apostrophes), words, numbers, dates, cheque amounts, codes, and mixtures. The returned text keeps the case
 * it is drawn in (lower case is drawn with lower-case glyphs); its label is the alphabet's canonical form.
 */
export interface TextSource {
  generate(kind: LineKind, rng: Rng, minLength: number, maxLength: number): string;
}

const pick = <T>(rng: Rng, a: readonly T[]): T => a[rng.int(a.length)]!;
const chance = (rng: Rng, p: number) => rng.next() < p;

/** Accents off (É -> E), anything outside letters, space, - and ' dropped. */
function plainName(s: string): string {
  return foldAccents(s)
    .replace(/ß/g, 'ss')
    .replace(/[^A-Za-z '-]/g, '');
}

type Case = 'upper' | 'title' | 'lower';
function applyCase(s: string, c: Case): string {
  if (c === 'upper') return s.toUpperCase();
  if (c === 'lower') return s.toLowerCase();
  return s.toLowerCase().replace(/(^|[ '-])([a-z])/g, (_, p: string, ch: string) => p + ch.toUpperCase());
}

/** Integer in [lo, hi] with a log-uniform number of digits, so 3 and 300000 are both common. */
function logInt(rng: Rng, lo: number, hi: number): number {
  const v = Math.exp(Math.log(lo + 1) + rng.next() * (Math.log(hi + 1) - Math.log(lo + 1))) - 1;
  return Math.min(hi, Math.max(lo, Math.floor(v)));
}

/** 12500 -> "12 500" / "12,500" / "12.500" / "12500". */
function groupThousands(n: number, sep: string): string {
  const s = String(n);
  if (!sep) return s;
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

export function createTextSource(alphabet: LineAlphabet = LINE_ALPHABET_36): TextSource {
  // one faker per locale; each is reseeded from the line's own stream before use
  const fakers = [
    { w: 0.4, f: new Faker({ locale: [fr, en, base] }) },
    { w: 0.25, f: new Faker({ locale: [en, base] }) },
    { w: 0.15, f: new Faker({ locale: [de, en, base] }) },
    { w: 0.15, f: new Faker({ locale: [es, en, base] }) },
    { w: 0.05, f: new Faker({ locale: [it, en, base] }) },
  ];
  const words = (createRequire(import.meta.url)('an-array-of-english-words') as string[]).filter((w) =>
    /^[a-z]{2,12}$/.test(w),
  );

  const faker = (rng: Rng): Faker => {
    let u = rng.next();
    let chosen = fakers[0]!.f;
    for (const { w, f } of fakers) {
      chosen = f;
      u -= w;
      if (u < 0) break;
    }
    chosen.seed(rng.int(0x7fffffff));
    return chosen;
  };

  const name = (rng: Rng): string => {
    const f = faker(rng);
    const first = () => plainName(f.person.firstName());
    const last = () => plainName(f.person.lastName());
    const u = rng.next();
    let s: string;
    // a form has one field per name part: a whole "first last" name on one line is the exception
    if (u < 0.42) s = first();
    else if (u < 0.82) s = last();
    else if (u < 0.88) s = `${first()} ${last()}`;
    else if (u < 0.95) s = `${first()}-${first()}`;
    else if (u < 0.98) s = `${pick(rng, ["O'", "D'", "L'", "D'"])}${last()}`;
    else s = `${pick(rng, ['DE', 'DA', 'DI', 'VAN', 'LE', 'DEL', 'VON', 'DE LA'])} ${last()}`;
    const style: Case = chance(rng, 0.85) ? 'upper' : 'title';
    s = applyCase(s, style);
    // many writers of block capitals still dot a small i (real forms: "MARiETTE")
    return style === 'upper' && chance(rng, 0.25) ? s.replace(/I/g, 'i') : s;
  };

  const word = (rng: Rng): string => {
    const n = chance(rng, 0.75) ? 1 : 2;
    const s = Array.from({ length: n }, () => words[rng.int(words.length)]!).join(' ');
    const u = rng.next();
    return applyCase(s, u < 0.45 ? 'upper' : u < 0.8 ? 'lower' : 'title');
  };

  const number = (rng: Rng): string => {
    const n = logInt(rng, 0, 9_999_999);
    const sep = n >= 1000 ? pick(rng, ['', '', ' ', ',', '.']) : '';
    let s = groupThousands(n, sep);
    if (chance(rng, 0.1)) s = `${s}${pick(rng, [',', '.'])}${pad2(rng.int(100))}`;
    if (chance(rng, 0.05)) s = `-${s}`;
    return s;
  };

  const date = (rng: Rng): string => {
    const d = 1 + rng.int(31);
    const m = 1 + rng.int(12);
    const y = 1930 + rng.int(100);
    const sep = pick(rng, ['/', '/', '-', '.', ' ']);
    const dd = chance(rng, 0.7) ? pad2(d) : String(d);
    const mm = chance(rng, 0.7) ? pad2(m) : String(m);
    const yy = chance(rng, 0.6) ? String(y) : pad2(y % 100);
    return chance(rng, 0.85) ? [dd, mm, yy].join(sep) : [yy, mm, dd].join(sep);
  };

  /** Courtesy amounts as written on cheques and forms: "32.516", "1,250.00", "45.50", "3130,-", "80.000-". */
  const amount = (rng: Rng): string => {
    // people write round sums: on real cheques 12% of amounts hold 000 (runs of zeros the reader must split)
    const raw = logInt(rng, 1, 999_999);
    const u0 = rng.next();
    const round = u0 < 0.25 ? 1000 : u0 < 0.4 ? 100 : 1;
    const n = raw >= round * 1.5 ? Math.round(raw / round) * round : raw;
    const u = rng.next();
    let s: string;
    if (u < 0.35) s = groupThousands(n, n >= 1000 ? '.' : '');
    else if (u < 0.55) s = String(n);
    else if (u < 0.7) s = `${groupThousands(n, pick(rng, [',', '', ' ']))}.${pad2(rng.int(100))}`;
    else if (u < 0.8) s = `${groupThousands(n, pick(rng, ['.', '', ' ']))},${pad2(rng.int(100))}`;
    else if (u < 0.9) s = groupThousands(n, n >= 1000 ? pick(rng, [',', ' ']) : '');
    else s = `${groupThousands(n, n >= 1000 ? '.' : '')}${pick(rng, ['-', ',-', '.-', '.00', ',00'])}`;
    return s;
  };

  const code = (rng: Rng): string => {
    const L = (k: number) => Array.from({ length: k }, () => pick(rng, [...LETTERS])).join('');
    const D = (k: number) => Array.from({ length: k }, () => pick(rng, [...DIGITS])).join('');
    const A = (k: number) => Array.from({ length: k }, () => pick(rng, [...LETTERS, ...DIGITS])).join('');
    const forms = [
      () => `${L(2)}${D(1 + rng.int(2))} ${D(1)}${L(2)}`, // UK postcode AB12 3CD
      () => `${L(1)}${D(1)}-${D(4)}`, // X7-4412
      () => `${L(2)}-${D(3)}-${L(2)}`, // French plate AB-123-CD
      () => D(5), // postcode 75011
      () => `${L(2)}${D(2)} ${D(4)}`, // IBAN start FR76 3000
      () => `${A(3 + rng.int(3))}${chance(rng, 0.5) ? `-${A(2 + rng.int(3))}` : ''}`,
      () => `${D(3)} ${D(3)} ${D(3)}`,
      () => `${L(1 + rng.int(3))}${D(2 + rng.int(5))}`,
    ];
    return pick(rng, forms)();
  };

  const mixed = (rng: Rng): string => {
    const f = faker(rng);
    const forms = [
      () => `${1 + rng.int(200)} ${plainName(f.location.street())}`,
      () => `${plainName(f.person.firstName()).charAt(0)}. ${plainName(f.person.lastName())}`,
      () => `${words[rng.int(words.length)]} ${logInt(rng, 1, 9999)}`,
      () => `NO ${logInt(rng, 1, 99999)}`,
      () => `${plainName(f.location.city())} ${D5(rng)}`,
      () =>
        `${1 + rng.int(28)} ${plainName(f.date.month()).slice(0, chance(rng, 0.5) ? 3 : 12)} ${1950 + rng.int(80)}`,
    ];
    const s = pick(rng, forms)();
    return applyCase(s, chance(rng, 0.8) ? 'upper' : 'title');
  };

  const generators: Record<LineKind, (rng: Rng) => string> = {
    name,
    word,
    number,
    date,
    amount,
    code,
    mixed,
  };

  return {
    generate(kind, rng, minLength, maxLength) {
      const draw = () => generators[kind](rng).replace(/\s+/g, ' ').trim();
      for (let attempt = 0; ; attempt++) {
        let s = draw();
        if (attempt >= 20) {
          // this kind's texts run shorter than minLength (dates with a minLength of 18): a field holding several
          // values, space-separated, as a form's "dates" or "references" line would; a value that fits whole is
          // preferred, and what is still too long is cut at maxLength
          while (s.length < minLength) {
            let next = draw();
            for (let t = 0; t < 10 && s.length + 1 + next.length > maxLength; t++) next = draw();
            s = `${s} ${next}`;
          }
          s = s.slice(0, maxLength).trim() || '0';
        }
        // after 40 draws a text that trimmed under minLength (a cut at a space) is taken as it is
        const fits = s.length <= maxLength && (s.length >= minLength || attempt >= 40);
        if (s.length >= 1 && fits && isLineText(s, alphabet)) return s;
      }
    },
  };
}

function D5(rng: Rng): string {
  return Array.from({ length: 5 }, () => String(rng.int(10))).join('');
}
