/**
 * examples/ci and docs/ci.md stay true to the CLI: every example YAML parses, every `drydock …`
 * command line in them names a real command and only options its `--help` lists (the built
 * CLI's), and every report they name is one `drydock ci` writes.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CI_REPORT_NAMES } from '../src/ci/reports.js';
import { ensureBuilt, runCli } from './harness/cli.js';

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples', 'ci');
const DOC = join(ROOT, 'docs', 'ci.md');

interface Source {
  file: string;
  /** The parts that are code: a whole example, or a Markdown document's code. */
  code: string[];
}

/** A `drydock …` command line: the words after `drydock`, up to the end of the command. */
interface CommandLine {
  file: string;
  words: string[];
}

/** A command's help: its subcommands and its options, as `--help` lists them. */
interface Help {
  commands: Set<string>;
  options: Set<string>;
}

let home: string;
const helps = new Map<string, Promise<Help>>();

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'drydock-ci-examples-'));
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

async function sources(): Promise<Source[]> {
  const examples = await Promise.all(
    (await readdir(EXAMPLES)).map(async (name) => {
      const text = await readFile(join(EXAMPLES, name), 'utf8');
      return { file: `examples/ci/${name}`, code: [withoutComments(text)] };
    }),
  );
  return [...examples, { file: 'docs/ci.md', code: markdownCode(await readFile(DOC, 'utf8')) }];
}

/** Comment lines (`#`, `//`) are prose. */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*(#|\/\/)/.test(line))
    .join('\n');
}

/** Fenced blocks and inline code spans: prose that mentions drydock is not a command. */
function markdownCode(text: string): string[] {
  const fence = /^```[^\n]*\n([\s\S]*?)^```/gm;
  const blocks = [...text.matchAll(fence)].map((m) => m[1] ?? '');
  const spans = [...text.replace(fence, '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
  return [...blocks, ...spans];
}

/**
 * Each `drydock WORD …` in `code` (shell line continuations joined), cut where the shell command
 * ends: `&&`, `||`, `|`, `;`, a comment, a closing quote or parenthesis.
 */
function commandLines(file: string, code: string): CommandLine[] {
  const joined = code.replace(/\\\n\s*/g, ' ');
  const lines: CommandLine[] = [];
  // The rest of the line in a lookahead: a second drydock on the same line is matched too.
  for (const match of joined.matchAll(/(?:^|[\s'"(])drydock[ \t]+(?=([^\n]*))/g)) {
    const [command = ''] = (match[1] ?? '').split(/\s(?:&&|\|\||\||;|#)\s|[;'`)]/);
    const words = command.split(/\s+/).filter((word) => word !== '');
    if (words.length > 0) lines.push({ file, words });
  }
  return lines;
}

function help(path: readonly string[]): Promise<Help> {
  const key = path.join(' ');
  let pending = helps.get(key);
  if (pending === undefined) {
    pending = runCli([...path, '--help'], home).then((run) => {
      if (run.code !== 0) throw new Error(`drydock ${key} --help failed: ${run.stderr}`);
      return parseHelp(run.stdout);
    });
    helps.set(key, pending);
  }
  return pending;
}

/** Commander's layout: sections, each entry two spaces in, its description two or more after. */
function parseHelp(text: string): Help {
  const section = (title: string): string[] => {
    const [, body = ''] = text.split(`\n${title}:\n`);
    return body.split('\n\n')[0]?.split('\n') ?? [];
  };
  const commands = section('Commands').flatMap(
    (line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1] ?? [],
  );
  const options = section('Options').flatMap((line) => {
    const flags = /^ {2}(-\S.*?)(?: {2,}|$)/.exec(line)?.[1] ?? '';
    return flags.split(', ').flatMap((flag) => /^--?[\w-]+/.exec(flag)?.[0] ?? []);
  });
  return { commands: new Set(commands), options: new Set(options) };
}

/** What is wrong with one command line: an unknown command or option; empty when nothing. */
async function problems({ file, words }: CommandLine): Promise<string[]> {
  const shown = `${file}: drydock ${words.join(' ')}`;
  const top = await help([]);
  const [command = ''] = words;
  if (!top.commands.has(command)) return [`${shown}: no command "${command}"`];
  const path = [command];
  for (const word of words.slice(1)) {
    if (!(await help(path)).commands.has(word)) break;
    path.push(word);
  }
  const { options } = await help(path);
  const used = words
    .slice(path.length)
    .flatMap((word) => /^\[?(--?[A-Za-z][\w-]*)/.exec(word)?.[1] ?? []);
  return used
    .filter((option) => !options.has(option))
    .map((option) => `${shown}: drydock ${path.join(' ')} has no ${option}`);
}

describe('examples/ci and docs/ci.md', () => {
  it('has an example for each platform, and every YAML one parses', async () => {
    const names = await readdir(EXAMPLES);
    expect(names).toEqual(
      expect.arrayContaining([
        'gitlab-ci.yml',
        'gitlab-ci-on-premises.yml',
        'github-actions.yml',
        'codeship-services.yml',
        'codeship-steps.yml',
        'Jenkinsfile',
      ]),
    );
    for (const name of names.filter((n) => n.endsWith('.yml'))) {
      const docs = parseAllDocuments(await readFile(join(EXAMPLES, name), 'utf8'));
      expect(docs, `${name} is empty`).not.toHaveLength(0);
      for (const doc of docs) {
        expect(doc.errors, name).toEqual([]);
        expect(doc.toJS(), name).toBeTypeOf('object');
      }
    }
  });

  it('wires each pipeline together: stages, jobs and services named exist', async () => {
    type Mapping = Record<string, Record<string, unknown>>;
    const load = async (name: string): Promise<Mapping> =>
      parse(await readFile(join(EXAMPLES, name), 'utf8')) as Mapping;
    for (const file of ['gitlab-ci.yml', 'gitlab-ci-on-premises.yml']) {
      const gitlab = await load(file);
      const stages = gitlab.stages as unknown as string[];
      expect(stages, file).toEqual(['build', 'scan', 'publish']);
      const jobs = Object.entries(gitlab).filter(([, job]) => 'script' in job);
      for (const [name, job] of jobs) {
        expect(stages, `${file} ${name}`).toContain(job.stage);
        for (const needed of (job.dependencies as string[] | undefined) ?? [])
          expect(Object.keys(gitlab), `${file} ${name}`).toContain(needed);
      }
    }
    const github = await load('github-actions.yml');
    const githubJobs = github.jobs as Record<string, { needs?: string; steps: object[] }>;
    for (const [name, job] of Object.entries(githubJobs)) {
      if (job.needs !== undefined) expect(Object.keys(githubJobs), name).toContain(job.needs);
      for (const step of job.steps) expect('uses' in step || 'run' in step, name).toBe(true);
    }
    const services = Object.keys(await load('codeship-services.yml'));
    const steps = parse(await readFile(join(EXAMPLES, 'codeship-steps.yml'), 'utf8')) as {
      service: string;
    }[];
    for (const step of steps) expect(services).toContain(step.service);
  });

  it('runs drydock ci in every pipeline, and only with commands and options the CLI has', async () => {
    const all = await sources();
    const lines = all.flatMap(({ file, code }) => code.flatMap((c) => commandLines(file, c)));
    const pipelines = [
      'gitlab-ci.yml',
      'gitlab-ci-on-premises.yml',
      'github-actions.yml',
      'codeship-steps.yml',
      'Jenkinsfile',
    ];
    for (const file of [...pipelines.map((name) => `examples/ci/${name}`), 'docs/ci.md'])
      expect(
        lines.some((l) => l.file === file && l.words[0] === 'ci'),
        file,
      ).toBe(true);
    const found = (await Promise.all(lines.map(problems))).flat();
    expect(found).toEqual([]);
  });

  it('documents only options drydock ci has', async () => {
    const doc = await readFile(DOC, 'utf8');
    const [, section = ''] = /\n## `drydock ci`\n([\s\S]*?)\n### /.exec(doc) ?? [];
    const documented = markdownCode(section).flatMap((code) =>
      [...code.matchAll(/(?:^|[\s[])(--?[a-z][\w-]*)/g)].map((m) => m[1] ?? ''),
    );
    expect(documented).toEqual(expect.arrayContaining(['--image', '--db', '--registry-auth-file']));
    const { options } = await help(['ci']);
    expect(documented.filter((option) => !options.has(option))).toEqual([]);
  });

  it('catches an option the CLI does not have', async () => {
    const bad = commandLines(
      'x',
      'run: drydock ci --image app --fail-on high && drydock db export f -q',
    );
    expect(bad.map((l) => l.words)).toEqual([
      ['ci', '--image', 'app', '--fail-on', 'high'],
      ['db', 'export', 'f', '-q'],
    ]);
    expect((await Promise.all(bad.map(problems))).flat()).toEqual([
      'x: drydock ci --image app --fail-on high: drydock ci has no --fail-on',
    ]);
    expect(await problems({ file: 'x', words: ['gate', '--image', 'app'] })).toEqual([
      'x: drydock gate --image app: no command "gate"',
    ]);
  });

  it('names only reports drydock ci writes, and the doc describes every one', async () => {
    const all = await sources();
    const texts = await Promise.all(
      [...(await readdir(EXAMPLES)).map((name) => join(EXAMPLES, name)), DOC].map((f) =>
        readFile(f, 'utf8'),
      ),
    );
    const named = texts.flatMap((text) =>
      [...text.matchAll(/anchore-reports\/([\w.-]+\.(?:json|sarif|xml))/g)].map((m) => m[1]),
    );
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(CI_REPORT_NAMES, name).toContain(name);
    const doc = all.find((s) => s.file === 'docs/ci.md')?.code ?? [];
    for (const name of CI_REPORT_NAMES) expect(doc, name).toContain(name);
  });
});
