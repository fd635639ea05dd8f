/** docs/policy.md stays true: its gate reference is what scripts/policy-docs.ts writes from GATES. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { gateReference, POLICY_DOC, withGateReference } from '../scripts/policy-docs.js';
import type { Gate } from '../src/policy/gate.js';
import { GATES } from '../src/policy/gates.js';

describe('docs/policy.md', () => {
  it('holds the gate reference written from the gate declarations', async () => {
    const doc = await readFile(POLICY_DOC, 'utf8');
    expect(doc, 'out of date: run `npx tsx scripts/policy-docs.ts`').toBe(
      withGateReference(doc, gateReference()),
    );
    for (const gate of GATES)
      for (const trigger of gate.triggers) {
        expect(doc).toContain(`#### \`${gate.name}\` / \`${trigger.name}\``);
        for (const param of trigger.params) expect(doc).toContain(`| \`${param.name}\` |`);
      }
  });

  it('keeps table cells whole whatever the declarations hold', () => {
    const gate: Gate = {
      name: 'odd',
      description: 'pipes | and\nnew lines',
      state: 'deprecated',
      triggers: [
        {
          name: 'odd',
          description: 'a|b',
          params: [
            {
              name: 'value',
              description: 'x | y',
              kind: 'enum',
              values: ['a|b', '`q`'],
              required: true,
              example: 'a`b',
            },
          ],
          evaluate: () => [],
        },
      ],
    };
    const reference = gateReference([gate]);
    expect(reference).toContain('pipes \\| and new lines (deprecated)');
    const row = reference.split('\n').find((line) => line.startsWith('| `value`'));
    // Seven cell borders: every pipe inside a cell is escaped.
    expect(row?.replace(/\\\|/g, '').match(/\|/g)).toHaveLength(7);
    expect(row).toContain('`` `q` ``');
    expect(row).toContain('``a`b``');
  });

  it('refuses to write into a document that lost its markers', () => {
    expect(() => withGateReference('# Policy\n', 'x')).toThrow(/lacks the markers/);
  });
});
