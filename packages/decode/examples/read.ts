import { LINE_ALPHABET_36 as alphabet } from '@hcr/core';
import { createLexicon, decodeCtc } from '@hcr/decode';

// Reader output for one line: [frames, alphabet.size] softmax rows, index 0 = CTC blank.
// Here 3 frames, hand-made: "2", blank, then a character that looks more like the letter O than a zero
// (each row sums to 1, as a softmax's does: 0.001 on each of the 43 symbols but those set).
const C = alphabet.size;
const probs = new Float32Array(3 * C).fill(0.001);
const at = (t: number, ch: string, p: number) => {
  probs[t * C + alphabet.symbols.indexOf(ch)] = p;
};
at(0, '2', 0.958);
at(1, '', 0.958);
at(2, 'O', 0.6);
at(2, '0', 0.359);

console.log(decodeCtc(probs, 3, alphabet).text); // 2O
const read = decodeCtc(probs, 3, alphabet, { classes: 'digits', topK: 3 });
console.log(read.text, read.confidence.toFixed(3)); // 20 0.945
console.log(read.characters); // [{ char: '2', confidence: 0.980, start: 0, end: 1 }, { char: '0', confidence: 0.981, start: 2, end: 3 }]
console.log(read.alternatives.map((a) => a.text)); // [ '20', '10', '21' ]
console.log(decodeCtc(probs, 3, alphabet, { pattern: '\\d{2}' }).text); // 20

const lexicon = createLexicon(['25', 'ZZ', '2-0'], alphabet); // a word list, e.g. the lines of a file
const forced = decodeCtc(probs, 3, alphabet, { lexicon });
console.log(forced.text, forced.confidence.toFixed(4)); // 25 0.0009: the likeliest word, and unlikely
const none = decodeCtc(probs, 3, alphabet, { lexicon: createLexicon(['2000'], alphabet) });
console.log(none.constraintUnsatisfied); // true: four characters do not fit in three frames
