import { describe, expect, it } from 'vitest';
import { BoundedMessages } from './bounded-messages.js';

describe('BoundedMessages', () => {
  it('keeps up to its limit, then counts', () => {
    const messages = new BoundedMessages(2);
    for (const m of ['a', 'b', 'c', 'd']) messages.add(m);
    expect(messages.list('warnings')).toEqual(['a', 'b', '… and 2 more warnings']);
    const few = new BoundedMessages(2);
    few.add('a');
    expect(few.list()).toEqual(['a']);
  });
});
