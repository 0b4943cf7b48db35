// The seeded shuffle the benches pick their samples with: a permutation, repeatable from its seed.
import { describe, expect, it } from 'vitest';
import { shuffled } from '../../src/main/util/random.js';

describe('shuffled', () => {
  it('returns a new permutation that depends only on the seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const a = shuffled(items, 7);
    expect(a).not.toBe(items);
    expect([...a].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled(items, 7)).toEqual(a);
    expect(shuffled(items, 8)).not.toEqual(a);
    expect(a).not.toEqual(items);
    expect(items[0]).toBe(0); // the input is left as it was
  });
});
