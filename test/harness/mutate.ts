/**
 * Seeded inputs for fuzz tests of text parsers: a real sample with a few bytes flipped, cut,
 * duplicated or with a separator spliced in, or random bytes from an alphabet that makes the
 * parser's own syntax likely.
 */

/** A copy of `sample` with 1–8 random edits; `splice` is inserted by some of them. */
export function mutate(sample: Buffer, random: (n: number) => number, splice = '\n\n'): Buffer {
  let out = Buffer.from(sample);
  for (let edits = 1 + random(8); edits > 0; edits -= 1) {
    const at = random(out.length + 1);
    switch (random(4)) {
      case 0:
        if (at < out.length) out[at] = random(256);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + random(64))]);
        break;
      case 2:
        out = Buffer.concat([
          out.subarray(0, at),
          out.subarray(at, at + random(200)),
          out.subarray(at),
        ]);
        break;
      default:
        out = Buffer.concat([out.subarray(0, at), Buffer.from(splice), out.subarray(at)]);
    }
  }
  return out;
}

/** Up to `maxLength` bytes drawn from `alphabet`. */
export function randomText(
  alphabet: string,
  maxLength: number,
  random: (n: number) => number,
): Buffer {
  const chars = Buffer.from(alphabet, 'latin1');
  return Buffer.from(
    Array.from({ length: random(maxLength + 1) }, () => chars[random(chars.length)] ?? 0),
  );
}

/** `text` with 1–3 characters of `alphabet` inserted, deleted or put in place of another. */
export function editCharacters(text: string, alphabet: string, random: (n: number) => number) {
  let out = text;
  for (let edits = 1 + random(3); edits > 0; edits--) {
    const at = random(out.length + 1);
    const char = alphabet.charAt(random(alphabet.length));
    const edit = random(3);
    if (edit === 0) out = out.slice(0, at) + char + out.slice(at);
    else if (edit === 1) out = out.slice(0, at) + out.slice(at + 1);
    else out = out.slice(0, at) + char + out.slice(at + 1);
  }
  return out;
}
