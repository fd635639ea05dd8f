/**
 * The JUnit report read back by a real XML parser: Python's xml.etree (expat), which refuses
 * anything that is not well-formed XML 1.0.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/harness/random.js';
import type { PolicyBundle, PolicyEvaluation, PolicyResultRow } from '../../model/index.js';
import { junitFormat } from './junit.js';

/** The document as JSON: each element's tag, attributes, text and children. */
const PYTHON_XML_TO_JSON = `
import json, sys
import xml.etree.ElementTree as ET
def tree(e):
    return {"tag": e.tag, "attrib": e.attrib, "text": e.text or "", "children": [tree(c) for c in e]}
print(json.dumps(tree(ET.fromstring(sys.stdin.buffer.read()))))
`;

interface XmlElement {
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: XmlElement[];
}

function parse(xml: string): XmlElement {
  const run = spawnSync('python3', ['-c', PYTHON_XML_TO_JSON], { input: xml, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`not well-formed XML: ${run.stderr}`);
  return JSON.parse(run.stdout) as XmlElement;
}

const child = (e: XmlElement | undefined, tag: string): XmlElement | undefined =>
  e?.children.find((c) => c.tag === tag);
const children = (e: XmlElement | undefined, tag: string): XmlElement[] =>
  e?.children.filter((c) => c.tag === tag) ?? [];

const BUNDLE: PolicyBundle = {
  id: 'bundle-1',
  version: '1_0',
  policies: [],
  whitelists: [],
  mappings: [],
  whitelisted_images: [],
  blacklisted_images: [],
};

function row(facts: Partial<PolicyResultRow> & Pick<PolicyResultRow, 'action'>): PolicyResultRow {
  return {
    gate: 'dockerfile',
    trigger: 'exposed_ports',
    triggerId: '8c7e5fb1c3a38c27b4b3ae1d2f53c3ab',
    checkOutput: 'Dockerfile exposes port (22) which is in policy file DENIEDPORTS list',
    policyId: 'policy-1',
    ruleId: 'rule-ports',
    ...facts,
  };
}

const ROWS: PolicyResultRow[] = [
  row({ action: 'STOP' }),
  row({
    action: 'WARN',
    gate: 'vulnerabilities',
    trigger: 'package',
    triggerId: 'CVE-2024-0727+libssl3',
    checkOutput: 'MEDIUM Vulnerability found in os package type (dpkg) - libssl3 (CVE-2024-0727)',
    ruleId: 'rule-medium',
    fixAvailable: true,
  }),
  row({
    action: 'GO',
    gate: 'always',
    trigger: 'always',
    triggerId: 'always',
    checkOutput: 'always',
  }),
  row({
    action: 'STOP',
    gate: 'vulnerabilities',
    trigger: 'package',
    triggerId: 'CVE-2024-1001+bash',
    checkOutput: 'CRITICAL Vulnerability found in os package type (dpkg) - bash (CVE-2024-1001)',
    ruleId: 'rule-critical',
    fixAvailable: false,
    whitelisted: {
      whitelistId: 'wl-1',
      whitelistName: 'Accepted',
      itemId: 'item-1',
      reason: 'no exploit path',
    },
  }),
];

function evaluation(facts: Partial<PolicyEvaluation> = {}): PolicyEvaluation {
  return {
    bundleId: 'bundle-1',
    policyIds: ['policy-1'],
    matched: {},
    imageDigest: 'sha256:aaaa',
    imageId: 'bbbb',
    tag: 'registry.example:5000/team/app:1.0',
    rows: ROWS,
    finalAction: 'stop',
    finalActionReason: 'policy_evaluation',
    status: 'fail',
    gap: { stops: 1, stopsWithFix: 0, warns: 1 },
    evaluatedAt: '2024-05-01T12:00:00.000Z',
    ...facts,
  };
}

function render(e: PolicyEvaluation, detail = true): XmlElement {
  return parse([...junitFormat.render({ evaluation: e, bundle: BUNDLE, detail })].join(''));
}

describe('junit', () => {
  const doc = render(evaluation());
  const suite = child(doc, 'testsuite');
  const cases = children(suite, 'testcase');
  const testCase = (classname: string, name: string): XmlElement | undefined =>
    cases.find((c) => c.attrib.classname === classname && c.attrib.name === name);

  it('is one suite for the image, with a case per row and one for the verdict, counted', () => {
    expect(doc.tag).toBe('testsuites');
    expect(children(doc, 'testsuite')).toHaveLength(1);
    expect(suite?.attrib).toEqual({
      name: 'registry.example:5000/team/app:1.0',
      tests: '5',
      failures: '2',
      errors: '0',
      skipped: '0',
      timestamp: '2024-05-01T12:00:00',
    });
    expect(doc.attrib).toMatchObject({ tests: '5', failures: '2', errors: '0', skipped: '0' });
    expect(cases.map((c) => [c.attrib.classname, c.attrib.name])).toEqual([
      ['dockerfile', 'exposed_ports: 8c7e5fb1c3a38c27b4b3ae1d2f53c3ab'],
      ['vulnerabilities', 'package: CVE-2024-0727+libssl3'],
      ['always', 'always: always'],
      ['vulnerabilities', 'package: CVE-2024-1001+bash'],
      ['policy_evaluation', 'final action'],
    ]);
    const properties = children(child(suite, 'properties'), 'property').map((p) => [
      p.attrib.name,
      p.attrib.value,
    ]);
    expect(Object.fromEntries(properties)).toEqual({
      image_digest: 'sha256:aaaa',
      image_id: 'bbbb',
      policy_bundle: 'bundle-1',
      policies: 'policy-1',
      status: 'fail',
      final_action: 'stop',
      final_action_reason: 'policy_evaluation',
    });
  });

  it('fails a STOP row with its check output, and passes WARN and GO rows saying so in their output', () => {
    const stop = testCase('dockerfile', 'exposed_ports: 8c7e5fb1c3a38c27b4b3ae1d2f53c3ab');
    expect(child(stop, 'failure')?.attrib).toEqual({
      message: 'Dockerfile exposes port (22) which is in policy file DENIEDPORTS list',
      type: 'STOP',
    });
    expect(child(stop, 'failure')?.text).toContain('Rule ID: rule-ports\n');
    const warn = testCase('vulnerabilities', 'package: CVE-2024-0727+libssl3');
    expect(warn?.children.map((c) => c.tag)).toEqual(['system-out']);
    expect(child(warn, 'system-out')?.text).toMatch(/^WARN\nCheck output: MEDIUM Vulnerability/);
    expect(child(warn, 'system-out')?.text).toContain('Fix available: yes\n');
    expect(child(testCase('always', 'always: always'), 'system-out')?.text).toMatch(/^GO\n/);
  });

  it('passes an allowlisted STOP row, naming the allowlist, the item and the reason', () => {
    const allowed = testCase('vulnerabilities', 'package: CVE-2024-1001+bash');
    expect(child(allowed, 'failure')).toBeUndefined();
    expect(child(allowed, 'system-out')?.text).toMatch(
      /^STOP, allowlisted by Accepted \(item item-1\): no exploit path\n/,
    );
  });

  it('fails the verdict when the evaluation fails, with the action, reason and gap', () => {
    const verdict = testCase('policy_evaluation', 'final action');
    expect(child(verdict, 'failure')?.attrib).toEqual({
      message:
        'stop (policy_evaluation); gap: 1 STOP result to clear, 0 of them have a fix (and 1 WARN result)',
      type: 'stop',
    });
    const passed = render(
      evaluation({
        rows: ROWS.slice(1),
        finalAction: 'warn',
        status: 'pass',
        gap: { stops: 0, stopsWithFix: 0, warns: 1 },
      }),
    );
    const passedSuite = child(passed, 'testsuite');
    expect(passedSuite?.attrib).toMatchObject({ tests: '4', failures: '0' });
    const passedVerdict = children(passedSuite, 'testcase').at(-1);
    expect(child(passedVerdict, 'failure')).toBeUndefined();
    expect(child(passedVerdict, 'system-out')?.text).toContain('Final action: warn\n');
  });

  it('lists the rows without --detail too, and passes every row of a whitelisted image', () => {
    const whitelisted = render(
      evaluation({ finalAction: 'go', finalActionReason: 'whitelisted', status: 'pass' }),
      false,
    );
    const whitelistedCases = children(child(whitelisted, 'testsuite'), 'testcase');
    expect(whitelistedCases).toHaveLength(5);
    expect(whitelistedCases.filter((c) => child(c, 'failure') !== undefined)).toEqual([]);
    expect(child(whitelistedCases[0], 'system-out')?.text).toMatch(
      /^STOP, but the image is whitelisted by the bundle\n/,
    );
  });

  it('tells apart two rules that fire the same trigger id', () => {
    const twice = render(
      evaluation({
        rows: [ROWS[0] ?? row({ action: 'STOP' }), row({ action: 'WARN', ruleId: 'rule-2' })],
      }),
    );
    expect(children(child(twice, 'testsuite'), 'testcase').map((c) => c.attrib.name)).toEqual([
      'exposed_ports: 8c7e5fb1c3a38c27b4b3ae1d2f53c3ab (policy-1/rule-ports)',
      'exposed_ports: 8c7e5fb1c3a38c27b4b3ae1d2f53c3ab (policy-1/rule-2)',
      'final action',
    ]);
  });

  it('escapes markup, keeps line breaks and tabs, and writes what XML cannot carry as \\u escapes', () => {
    const awkward = 'a<b>&c "d" \'e\' ]]> f\n\tg\r\n\u0000\u001b\u0085\ufffe é漢🙂 \ud800x';
    const shown = 'a<b>&c "d" \'e\' ]]> f\n\tg\r\n\\u0000\\u001b\\u0085\\ufffe é漢🙂 \\ud800x';
    const odd = render(
      evaluation({
        tag: awkward,
        rows: [
          row({
            action: 'STOP',
            gate: awkward,
            trigger: awkward,
            triggerId: awkward,
            checkOutput: awkward,
          }),
        ],
      }),
    );
    const oddSuite = child(odd, 'testsuite');
    const [oddCase] = children(oddSuite, 'testcase');
    expect(oddSuite?.attrib.name).toBe(shown);
    expect(oddCase?.attrib).toEqual({ classname: shown, name: `${shown}: ${shown}` });
    expect(child(oddCase, 'failure')?.attrib.message).toBe(shown);
    expect(child(oddCase, 'failure')?.text).toContain(`Check output: ${shown}\n`);
  });

  it('stays well-formed whatever text the rows carry', () => {
    const random = seededRandom(7);
    const alphabet = Array.from(
      '<>&"\'\n\r\t]]>-- \u0000\u0001\u000b\u007f\u009f\ud800\udfff\ufffeé🙂ab',
    );
    const text = (max: number): string =>
      Array.from({ length: random(max + 1) }, () => alphabet[random(alphabet.length)] ?? '').join(
        '',
      );
    for (let round = 0; round < 5; round++) {
      const rows = Array.from({ length: 40 }, (_, i) =>
        row({
          action: (['STOP', 'WARN', 'GO'] as const)[i % 3] ?? 'GO',
          gate: text(8),
          trigger: text(8),
          triggerId: `${text(12)}-${i}`,
          checkOutput: text(60),
        }),
      );
      const parsed = render(evaluation({ tag: text(20), rows }));
      expect(children(child(parsed, 'testsuite'), 'testcase')).toHaveLength(41);
    }
  });
});
