/**
 * Writes the gate, trigger and parameter reference of docs/policy.md from the gate list, between
 * its markers: `tsx scripts/policy-docs.ts`. With `--check` it writes nothing and exits 1 when the
 * file is out of date (test/policy-docs.test.ts runs the same check).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Gate, Trigger, TriggerParam } from '../src/policy/gate.js';
import { GATES } from '../src/policy/gates.js';

export const POLICY_DOC = join(import.meta.dirname, '..', 'docs', 'policy.md');
const BEGIN = '<!-- BEGIN GATE REFERENCE: written by scripts/policy-docs.ts, do not edit -->';
const END = '<!-- END GATE REFERENCE -->';

/** The reference section: a summary of every gate, then each gate's triggers and parameters. */
export function gateReference(gates: readonly Gate[] = GATES): string {
  const summary = [
    '| gate | triggers |',
    '| --- | --- |',
    ...gates.map(
      (gate) =>
        `| [\`${gate.name}\`](#gate-${gate.name})${stateNote(gate)} | ${gate.triggers.map((t) => `\`${t.name}\`${stateNote(t)}`).join(', ')} |`,
    ),
  ];
  return [summary.join('\n'), ...gates.map(gateSection)].join('\n\n');
}

function gateSection(gate: Gate): string {
  return [
    `### Gate \`${gate.name}\``,
    cell(`${gate.description}${stateNote(gate)}`),
    ...gate.triggers.map((trigger) => triggerSection(gate, trigger)),
  ].join('\n\n');
}

function triggerSection(gate: Gate, trigger: Trigger): string {
  const params =
    trigger.params.length === 0
      ? 'No parameters.'
      : [
          '| parameter | required | accepts | default | example | meaning |',
          '| --- | --- | --- | --- | --- | --- |',
          ...trigger.params.map(paramRow),
        ].join('\n');
  const heading = `#### \`${gate.name}\` / \`${trigger.name}\``;
  return [heading, cell(`${trigger.description}${stateNote(trigger)}`), params].join('\n\n');
}

function paramRow(param: TriggerParam): string {
  return `| \`${param.name}\` | ${param.required ? 'yes' : 'no'} | ${accepts(param)} | ${code(param.default)} | ${code(param.example)} | ${cell(param.description)} |`;
}

const KIND_TEXT: Record<TriggerParam['kind'], string> = {
  string: 'text',
  integer: 'an integer',
  number: 'a number',
  boolean: '`true` or `false`',
  enum: 'one of',
  regex: 'a regular expression',
  list: 'comma-separated texts',
  'integer-list': 'comma-separated integers',
  'enum-list': 'comma-separated, each one of',
};

function accepts(param: TriggerParam): string {
  const values = (param.values ?? []).map((v) => code(v)).join(', ');
  return values === '' ? KIND_TEXT[param.kind] : `${KIND_TEXT[param.kind]} ${values}`;
}

const stateNote = (item: { state?: string }): string =>
  item.state === undefined || item.state === 'active' ? '' : ` (${item.state})`;

/** Text safe inside a Markdown table cell: one line, pipes escaped. */
const cell = (text: string): string => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

/** An inline code span that survives any backticks and pipes in the value; `—` when absent. */
function code(value: string | undefined): string {
  if (value === undefined) return '—';
  const fence = '`'.repeat(Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = value.startsWith('`') || value.endsWith('`') || value === '' ? ' ' : '';
  return cell(`${fence}${pad}${value}${pad}${fence}`);
}

/** `doc` with the text between its markers replaced by `reference`. */
export function withGateReference(doc: string, reference: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin)
    throw new Error(`${POLICY_DOC} lacks the markers ${BEGIN} … ${END}; put them back`);
  return `${doc.slice(0, begin + BEGIN.length)}\n\n${reference}\n\n${doc.slice(end)}`;
}

async function main(check: boolean): Promise<void> {
  const doc = await readFile(POLICY_DOC, 'utf8');
  const updated = withGateReference(doc, gateReference());
  if (updated === doc) return;
  if (check) {
    console.error(`${POLICY_DOC} is out of date: run tsx scripts/policy-docs.ts`);
    process.exit(1);
  }
  await writeFile(POLICY_DOC, updated);
  console.error(`${POLICY_DOC}: gate reference updated`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await main(process.argv.includes('--check'));
