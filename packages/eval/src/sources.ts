import { DIGIT_CLASSES, LETTER_CLASSES, type SourceName } from '@hcr/core';

/**
 * The classes each source contains. The 'own-class accuracy' of a source restricts the argmax to these,
 * which is the number comparable with 10-class (MNIST) and 26-class (EMNIST Letters) results in papers.
 */
export const SOURCE_CLASSES: Readonly<
  Record<SourceName, { kind: 'digits' | 'letters'; classes: readonly number[] }>
> = Object.freeze({
  mnist: { kind: 'digits', classes: DIGIT_CLASSES },
  'emnist-letters': { kind: 'letters', classes: LETTER_CLASSES },
  'emnist-letters-repack': { kind: 'letters', classes: LETTER_CLASSES },
  'emnist-digits-repack': { kind: 'digits', classes: DIGIT_CLASSES },
  'emnist-digits': { kind: 'digits', classes: DIGIT_CLASSES },
  // Case-sensitive letters; in a 47- or 62-class space their own classes are widened by evaluate.
  'emnist-byclass': { kind: 'letters', classes: LETTER_CLASSES },
  'emnist-byclass-repack': { kind: 'letters', classes: LETTER_CLASSES },
});

/**
 * Sources that are generalisation sets: never trained on, kept out of the 'overall' test numbers so that
 * overall stays the test split the training run reports.
 */
export const GENERALISATION_SOURCES: readonly SourceName[] = ['emnist-digits-repack', 'emnist-digits'];
