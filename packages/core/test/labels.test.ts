import {
  classIndex,
  className,
  emnistLetterToClass,
  isTwinPair,
  LABEL_SPACE_36,
  LABEL_SPACE_62,
  NUM_CLASSES,
} from '@hcr/core';
import { describe, expect, it } from 'vitest';

describe('label space', () => {
  it('has 36 classes, digits then letters', () => {
    expect(NUM_CLASSES).toBe(36);
    expect(LABEL_SPACE_36.classes.join('')).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  });
  it('maps EMNIST letter k to class 9+k and rejects out-of-range labels', () => {
    expect(emnistLetterToClass(1)).toBe(10);
    expect(className(emnistLetterToClass(26))).toBe('Z');
    expect(() => emnistLetterToClass(0)).toThrow(/outside 1..26/);
    expect(() => emnistLetterToClass(27)).toThrow(/outside 1..26/);
  });
  it('finds classes of either case and names unknown characters', () => {
    expect(classIndex('a')).toBe(10);
    expect(() => classIndex('?')).toThrow(/not a class/);
  });
  it('knows digit/letter twins in both orders', () => {
    expect(isTwinPair(classIndex('0'), classIndex('O'))).toBe(true);
    expect(isTwinPair(classIndex('O'), classIndex('0'))).toBe(true);
    expect(isTwinPair(classIndex('3'), classIndex('X'))).toBe(false);
  });
});

describe('label space lookups given what is no class (JS callers)', () => {
  it('className refuses an index that is no whole number (classes["length"] answered 36)', () => {
    expect(() => className('length' as unknown as number)).toThrow(RangeError);
    expect(() => className('3' as unknown as number)).toThrow(RangeError);
    expect(className(35)).toBe('Z');
  });
  it('classIndex of a number names the mistake, not a bare TypeError', () => {
    expect(() => classIndex(5 as unknown as string)).toThrow(/classIndex takes a character, got number 5/);
  });
  it('isTwinPair of an index outside a wider space is false, as in hcr36', () => {
    expect(isTwinPair(99, 0)).toBe(false);
    expect(isTwinPair(99, 0, LABEL_SPACE_62)).toBe(false);
    expect(isTwinPair(classIndex('o', LABEL_SPACE_62), 0, LABEL_SPACE_62)).toBe(true);
  });
});
