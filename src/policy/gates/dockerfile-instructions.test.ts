import { describe, expect, it } from 'vitest';
import { derivedDockerfile } from '../../../test/fixtures/policy-images/specs.js';
import { editCharacters, mutate, randomText } from '../../../test/harness/mutate.js';
import { seededRandom } from '../../../test/harness/random.js';
import { parseDockerfile } from './dockerfile-instructions.js';

describe('parseDockerfile', () => {
  it('joins continued lines, drops comments, and keeps heredoc bodies with their instruction', () => {
    expect(parseDockerfile(derivedDockerfile)).toEqual([
      { keyword: 'FROM', args: 'registry.example/base:1.0', line: 2 },
      { keyword: 'RUN', args: 'apt-get update && apt-get install -y wget', line: 4 },
      { keyword: 'COPY', args: '<<EOF /etc/motd\nUSER nobody\nEXPOSE 22', line: 7 },
      { keyword: 'EXPOSE', args: '8080 9000-9002/udp', line: 11 },
      {
        keyword: 'HEALTHCHECK',
        args: 'CMD curl -f http://localhost:8080/ || exit 1',
        line: 12,
      },
      { keyword: 'USER', args: 'app', line: 13 },
    ]);
  });

  it('honours an escape directive, CRLF line ends and a file ending mid-instruction', () => {
    const text =
      '# escape=`\r\nFROM windows\r\nRUN dir C:\\ `\r\n  /s\r\n\r\nRUN echo \\\r\nCMD a `';
    expect(parseDockerfile(text)).toEqual([
      { keyword: 'FROM', args: 'windows', line: 2 },
      { keyword: 'RUN', args: 'dir C:\\ /s', line: 3 },
      { keyword: 'RUN', args: 'echo \\', line: 6 },
      { keyword: 'CMD', args: 'a', line: 7 },
    ]);
    // A directive after the first instruction is a comment.
    expect(parseDockerfile('FROM a\n# escape=`\nRUN x `\nRUN y')).toHaveLength(3);
  });

  it('reads <<- heredocs without leading tabs, several on one line, and unterminated ones', () => {
    const text = 'RUN <<-"A" cat - <<B\n\tone\n\tA\ntwo\nB\nUSER me\nCOPY <<C /x\nUSER hidden\n';
    expect(parseDockerfile(text)).toEqual([
      { keyword: 'RUN', args: '<<-"A" cat - <<B\none\ntwo', line: 1 },
      { keyword: 'USER', args: 'me', line: 6 },
      { keyword: 'COPY', args: '<<C /x\nUSER hidden\n', line: 7 },
    ]);
  });

  it('does not look for heredoc bodies after an instruction continued over lines', () => {
    // How the Dockerfile rebuilt from history carries a heredoc RUN: its body already inline.
    const text = 'RUN <<EOF \\\napt-get update \\\nEOF\nUSER app\n';
    expect(parseDockerfile(text).map((i) => i.keyword)).toEqual(['RUN', 'USER']);
  });

  it('yields nothing for empty, blank or comment-only text', () => {
    expect(parseDockerfile('')).toEqual([]);
    expect(parseDockerfile('\n  \n# only a comment\n\\\n')).toEqual([]);
  });

  it('never throws on random or mutated input, and gives each instruction a real line (seeded fuzz)', () => {
    const random = seededRandom(0xd0cf11e);
    const sample = Buffer.from(derivedDockerfile);
    for (let round = 0; round < 600; round++) {
      const text =
        round % 3 === 0
          ? mutate(sample, random, '\\\n').toString('utf8')
          : round % 3 === 1
            ? randomText('RUN <<EOF-\\`#\n\t "\'escape=', 4000, random).toString('latin1')
            : editCharacters(derivedDockerfile, '<\\\n#`-EOF', random);
      const lines = text.split(/\r?\n/).length;
      const instructions = parseDockerfile(text);
      let previous = 0;
      for (const { keyword, line } of instructions) {
        expect(keyword).not.toBe('');
        expect(keyword).toBe(keyword.toUpperCase());
        expect(line).toBeGreaterThan(previous);
        expect(line).toBeLessThanOrEqual(lines);
        previous = line;
      }
    }
  });

  it('reads a hostile file of many heredoc openers in one pass', () => {
    const text = 'RUN <<A\n'.repeat(20_000) + `RUN ${'<<A '.repeat(5_000)}\n`;
    const instructions = parseDockerfile(text);
    // The first opener's body runs to the end, nothing terminating it: the 19,999 other openers,
    // the long line, and the empty line after the last newline.
    expect(instructions).toHaveLength(1);
    expect(instructions[0]?.args.split('\n')).toHaveLength(1 + 19_999 + 1 + 1);
  });
});
