import {
  classIndex,
  className,
  emnistLetterToClass,
  isTwinPair,
  LABEL_SPACE_36,
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
