/**
 * Reads a Dockerfile into its instructions, as Docker's parser splits them: comment and blank lines
 * dropped (also inside continued instructions), lines ending in the escape character (`\`, or
 * the one a `# escape=` directive names) joined, and BuildKit heredoc bodies (`RUN <<EOF` … `EOF`)
 * kept with the instruction that opens them rather than read as instructions of their own. The
 * text is untrusted (supplied, or rebuilt from history): the parse is one pass over its lines.
 */

export interface DockerfileInstruction {
  /** Uppercased: `RUN`, `EXPOSE`. */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with one space; heredoc bodies follow on new lines. */
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

/** Parser directives are comments before anything else; only `escape` changes how lines read. */
const ESCAPE_DIRECTIVE = /^#\s*escape\s*=\s*([\\`])\s*$/i;
const OTHER_DIRECTIVE = /^#\s*[a-z]+\s*=/i;
/** `<<EOF`, `<<-EOF`, `<<"EOF"`: the heredocs an instruction opens, bodies in this order. */
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][\w.-]*)\2/g;
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
/** More heredocs than this on one instruction are read as text: real files have one or two. */
const MAX_HEREDOCS = 8;

export function parseDockerfile(text: string): DockerfileInstruction[] {
  const lines = text.split(/\r?\n/);
  const escape = escapeCharacter(lines);
  const instructions: DockerfileInstruction[] = [];
  let pieces: string[] = [];
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (pieces.length === 0) start = i;
    const continued = line.endsWith(escape);
    pieces.push(continued ? line.slice(0, -1).trimEnd() : line);
    if (continued) continue;
    const instruction = instructionFrom(pieces, start);
    pieces = [];
    if (instruction === undefined) continue;
    // Heredocs open on a line of their own; a rebuilt Dockerfile carries their bodies continued.
    if (i === start) i = readHeredocs(instruction, lines, i + 1) - 1;
    instructions.push(instruction);
  }
  const last = instructionFrom(pieces, start);
  if (last !== undefined) instructions.push(last);
  return instructions;
}

function escapeCharacter(lines: readonly string[]): string {
  for (const line of lines) {
    const trimmed = line.trim();
    const escape = ESCAPE_DIRECTIVE.exec(trimmed);
    if (escape) return escape[1] ?? '\\';
    if (!OTHER_DIRECTIVE.test(trimmed)) break;
  }
  return '\\';
}

/** The instruction `pieces` (its lines, continuations cut) make; none when they are all empty. */
function instructionFrom(
  pieces: readonly string[],
  start: number,
): DockerfileInstruction | undefined {
  const joined = pieces.filter((piece) => piece !== '').join(' ');
  if (joined === '') return undefined;
  const space = joined.search(/\s/);
  const keyword = space < 0 ? joined : joined.slice(0, space);
  const args = space < 0 ? '' : joined.slice(space).trim();
  return { keyword: keyword.toUpperCase(), args, line: start + 1 };
}

/** Appends the bodies of the heredocs `instruction` opens; returns the index of the next line. */
function readHeredocs(instruction: DockerfileInstruction, lines: readonly string[], from: number) {
  if (!HEREDOC_KEYWORDS.has(instruction.keyword)) return from;
  let next = from;
  const markers = [...instruction.args.matchAll(HEREDOC)].slice(0, MAX_HEREDOCS);
  for (const [, dash, , marker] of markers) {
    const body: string[] = [];
    // An unterminated heredoc runs to the end, as Docker reads it (such a file cannot build).
    for (; next < lines.length; next++) {
      const line = lines[next] ?? '';
      const content = dash === '-' ? line.replace(/^\t+/, '') : line;
      if (content === marker) break;
      body.push(content);
    }
    next++;
    instruction.args += `\n${body.join('\n')}`;
  }
  return Math.min(next, lines.length);
}
