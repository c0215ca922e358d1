import {
  de,
  de_AT,
  de_CH,
  en,
  es,
  fr,
  fr_BE,
  fr_CA,
  fr_CH,
  it,
  type LocaleDefinition,
  nl,
  nl_BE,
  pt_BR,
  pt_PT,
} from '@faker-js/faker';
import { canonicalLineText, foldAccents, isLineText, LINE_ALPHABET_36, type LineAlphabet } from '@hcr/core';

/**
 * Locales whose first names and surnames make the names lexicon: French (the forms of the names dev set are
 * French) with its regional variants, and the languages of the neighbouring countries and largest
 * immigrant communities (en, de, es, it, nl, pt with their variants).
 */
export const NAME_LEXICON_LOCALES: Readonly<Record<string, LocaleDefinition>> = Object.freeze({
  fr,
  fr_BE,
  fr_CA,
  fr_CH,
  en,
  de,
  de_AT,
  de_CH,
  es,
  it,
  nl,
  nl_BE,
  pt_PT,
  pt_BR,
});

type NameList = readonly string[] | Record<string, readonly string[] | undefined> | null | undefined;

function flatten(list: NameList): string[] {
  if (!list) return [];
  if (Array.isArray(list)) return [...list];
  return Object.values(list as Record<string, readonly string[] | undefined>).flatMap((l) => l ?? []);
}

/** A name as written on a form: accents dropped (Zoé -> ZOE), canonical, upper case when case is merged. */
export function lexiconWord(name: string, alphabet: LineAlphabet = LINE_ALPHABET_36): string {
  return canonicalLineText(foldAccents(name), alphabet);
}

/**
 * The names lexicon: every first name and surname of the @faker-js/faker locales above, accents removed,
 * keeping only words the reader's alphabet can write (so the decoder can reach every entry). Built from a
 * public word source, never from the dev sets' labels: the lexicon figure must hold on unseen forms.
 * A case-sensitive alphabet gets each name as written (Martin) and in capitals (MARTIN). Sorted and
 * deduplicated, so the same faker version gives the same list.
 */
export function namesLexicon(alphabet: LineAlphabet = LINE_ALPHABET_36): string[] {
  const words = new Set<string>();
  for (const locale of Object.values(NAME_LEXICON_LOCALES)) {
    const person = locale.person;
    if (!person) continue;
    for (const raw of [...flatten(person.first_name), ...flatten(person.last_name)]) {
      const w = lexiconWord(raw, alphabet);
      if (!w || !isLineText(w, alphabet)) continue;
      words.add(w);
      // A case-sensitive reader reads a form's block capitals as capitals: MARTIN must be a word too.
      if (!alphabet.caseMerged) words.add(w.toUpperCase());
    }
  }
  return [...words].sort();
}
