import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../../test/harness/mutate.js';
import { seededRandom } from '../../../test/harness/random.js';
import { EnrichmentFormatError } from './feed.js';
import { JsonMemberReader, type JsonMemberEvent } from './json-members.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'enrich');
const LIMITS = { maxRecordBytes: 1024 * 1024, maxRecords: 1000, maxDepth: 64 };

/** The events of `text` fed to a reader in pieces of `size` bytes. */
function eventsOf(text: string | Buffer, size = Infinity, limits = LIMITS): JsonMemberEvent[] {
  const bytes = Buffer.from(text);
  const reader = new JsonMemberReader('vulnerabilities', limits);
  const events: JsonMemberEvent[] = [];
  for (let at = 0; at < bytes.length; at += Math.min(size, bytes.length))
    events.push(...reader.push(bytes.subarray(at, at + size)));
  reader.end();
  return events;
}

describe('JsonMemberReader', () => {
  it('gives the top-level members whole and the list elements one by one', () => {
    expect(
      eventsOf(
        '\uFEFF{ "count": 2, "title": "a \\"quoted\\" [name]", "vulnerabilities": [ {"id": "x,]"}, [1, {"a": []}] ], "n": null }\n',
      ),
    ).toEqual([
      { kind: 'member', key: 'count', value: 2 },
      { kind: 'member', key: 'title', value: 'a "quoted" [name]' },
      { kind: 'list' },
      { kind: 'element', index: 0, value: { id: 'x,]' } },
      { kind: 'element', index: 1, value: [1, { a: [] }] },
      { kind: 'member', key: 'n', value: null },
    ]);
    expect(eventsOf('{}')).toEqual([]);
    expect(eventsOf('{"vulnerabilities":[]}')).toEqual([{ kind: 'list' }]);
  });

  it('reads a real NVD page the same whatever the chunk boundaries', () => {
    const page = readFileSync(join(FIXTURES, 'nvd', 'cves-0.json'));
    const whole = eventsOf(page);
    expect(whole.filter((e) => e.kind === 'element')).toHaveLength(2);
    expect(whole).toContainEqual({ kind: 'member', key: 'format', value: 'NVD_CVE' });
    for (const size of [1, 2, 3, 7, 64, 1000]) expect(eventsOf(page, size)).toEqual(whole);
  });

  it.each([
    ['', /the file is empty/],
    ['[1, 2]', /expected a JSON object at byte 0/],
    ['{"vulnerabilities": [{"a": 1}', /ends early, after 29 bytes: the file is truncated/],
    ['{"vulnerabilities": [{"a": 1},]}', /expected a value at byte 30/],
    ['{"vulnerabilities": {"a": 1}}', /expected a list as "vulnerabilities"/],
    ['{"a" 1}', /expected ':' after "a" at byte 5/],
    ['{"a": 1 "b": 2}', /expected ',' or '}' at byte 8/],
    ['{a: 1}', /expected a member name at byte 1/],
    ['{"a": tru}', /invalid JSON before byte 9/],
    ['{"vulnerabilities": [{"a": 1} {"b": 2}]}', /expected ',' or ']' in "vulnerabilities"/],
    ['{"a": 1} {"b": 2}', /expected nothing after the end of the JSON document at byte 9/],
    ['{"a": 1,}', /expected a member name at byte 8/],
  ])('refuses %j', (text, message) => {
    expect(() => eventsOf(text)).toThrow(message);
    expect(() => eventsOf(text, 1)).toThrow(message);
  });

  it('bounds the size of one value, the number of elements and the nesting', () => {
    const limits = { maxRecordBytes: 20, maxRecords: 2, maxDepth: 3 };
    expect(() => eventsOf('{"vulnerabilities": [{"a": "0123456789abcdef"}]}', 4, limits)).toThrow(
      /over 20 bytes, the limit for one record/,
    );
    expect(() => eventsOf('{"vulnerabilities": [1, 2, 3]}', 4, limits)).toThrow(
      /more than 2 entries/,
    );
    expect(() => eventsOf('{"vulnerabilities": [[[[[1]]]]]}', 4, limits)).toThrow(
      /nested deeper than 3 levels/,
    );
  });

  it('never throws anything but EnrichmentFormatError on mutated or random input (seeded)', () => {
    const samples = [
      readFileSync(join(FIXTURES, 'nvd', 'cves-0.json')),
      readFileSync(join(FIXTURES, 'nvd', 'cves-2.json')),
      readFileSync(join(FIXTURES, 'known_exploited_vulnerabilities.json')),
    ];
    for (let seed = 1; seed <= 2000; seed++) {
      const random = seededRandom(seed);
      const input =
        random(5) === 0
          ? randomText('{}[]":,\\ 0123456789abcnulvers', 300, random)
          : mutate(
              samples[random(samples.length)] ?? Buffer.alloc(0),
              random,
              '"vulnerabilities":[',
            );
      try {
        eventsOf(input, 1 + random(300));
      } catch (error) {
        if (!(error instanceof EnrichmentFormatError))
          throw new Error(`seed ${seed}: ${String(error)}`);
      }
    }
  });
});
