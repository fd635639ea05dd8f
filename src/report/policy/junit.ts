/**
 * `-o junit`: the evaluation as a JUnit XML report, for CI test views (Jenkins' `junit` step,
 * GitLab's `artifacts:reports:junit`). One test suite for the image, named by its tag; one test
 * case per policy result row (class name: the gate; name: the trigger and its trigger id, which
 * stay the same across runs so a CI's test history follows them); one test case for the verdict.
 * Every row is listed, with or without `--detail`: a test report without its cases says nothing.
 *
 * - A STOP row fails, with the check output as the failure's message and text (GitLab shows a
 *   failure's text, Jenkins both).
 * - A WARN row passes, with the check output in `<system-out>`. Not a failure: it would fail the
 *   job (Jenkins marks the build unstable, GitLab counts it failed) where the policy says go on.
 *   Not `skipped`: both would report the check as not run. Jenkins shows a passed case's output;
 *   GitLab shows none for passed cases, so there a WARN is a pass (the job log and
 *   image-policy.json carry its text).
 * - GO rows, allowlisted rows and every row of a whitelisted image pass the same way, their
 *   output saying why.
 * - The verdict fails when the evaluation fails: message the final action, its reason and the gap.
 *
 * Text is escaped for XML; characters XML 1.0 cannot carry at all (most C0 controls, lone
 * surrogates) and the C1 controls are written as `\uXXXX`.
 */
import type { PolicyEvaluation, PolicyResultRow } from '../../model/index.js';
import { gapSummary, type PolicyFormat } from './policy-format.js';

/** The verdict's test case, apart from the gates' class names. */
const VERDICT_CLASS = 'policy_evaluation';
const VERDICT_NAME = 'final action';

interface TestCase {
  classname: string;
  name: string;
  /** A failed case: its message and text. */
  failure?: { message: string; type: string; text: string };
  systemOut: string;
}

export const junitFormat: PolicyFormat = {
  name: 'junit',
  *render({ evaluation }) {
    const cases = [...rowCases(evaluation), verdictCase(evaluation)];
    const failures = cases.filter((c) => c.failure !== undefined).length;
    const counts = { tests: cases.length, failures, errors: 0, skipped: 0 };
    yield '<?xml version="1.0" encoding="UTF-8"?>\n';
    yield `<testsuites${attributes({ name: 'drydock policy evaluation', ...counts })}>\n`;
    const suite = {
      name: evaluation.tag,
      ...counts,
      timestamp: evaluation.evaluatedAt.slice(0, 19),
    };
    yield `  <testsuite${attributes(suite)}>\n`;
    yield suiteProperties(evaluation);
    for (const testCase of cases) yield testCaseXml(testCase);
    yield '  </testsuite>\n</testsuites>\n';
  },
};

function suiteProperties(evaluation: PolicyEvaluation): string {
  const properties: [string, string | undefined][] = [
    ['image_digest', evaluation.imageDigest],
    ['image_id', evaluation.imageId],
    ['policy_bundle', evaluation.bundleId],
    ['policies', evaluation.policyIds.join(',')],
    ['status', evaluation.status],
    ['final_action', evaluation.finalAction],
    ['final_action_reason', evaluation.finalActionReason],
  ];
  const lines = properties.flatMap(([name, value]) =>
    value === undefined ? [] : [`      <property${attributes({ name, value })}/>\n`],
  );
  return `    <properties>\n${lines.join('')}    </properties>\n`;
}

function rowCases(evaluation: PolicyEvaluation): TestCase[] {
  const caseName = (row: PolicyResultRow): string => `${row.trigger}: ${row.triggerId}`;
  const key = (row: PolicyResultRow): string => `${row.gate}\u0000${caseName(row)}`;
  const counts = new Map<string, number>();
  for (const row of evaluation.rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  const imageWhitelisted = evaluation.finalActionReason === 'whitelisted';
  return evaluation.rows.map((row) => {
    // Two rules firing the same trigger id: the rule tells their cases apart.
    const name =
      (counts.get(key(row)) ?? 0) > 1
        ? `${caseName(row)} (${row.policyId}/${row.ruleId ?? 'rule'})`
        : caseName(row);
    return rowCase(row, name, imageWhitelisted);
  });
}

function rowCase(row: PolicyResultRow, name: string, imageWhitelisted: boolean): TestCase {
  const details = rowDetails(row);
  const base = { classname: row.gate, name };
  const allowed = row.whitelisted;
  if (allowed !== undefined) {
    const by = allowed.whitelistName ?? allowed.whitelistId;
    const reason = allowed.reason === undefined ? '' : `: ${allowed.reason}`;
    return {
      ...base,
      systemOut: `${row.action}, allowlisted by ${by} (item ${allowed.itemId})${reason}\n${details}`,
    };
  }
  if (row.action === 'STOP' && !imageWhitelisted)
    return {
      ...base,
      failure: { message: row.checkOutput, type: 'STOP', text: details },
      systemOut: '',
    };
  const why = row.action === 'STOP' ? ', but the image is whitelisted by the bundle' : '';
  return { ...base, systemOut: `${row.action}${why}\n${details}` };
}

function rowDetails(row: PolicyResultRow): string {
  const lines: [string, string | undefined][] = [
    ['Check output', row.checkOutput],
    ['Gate', row.gate],
    ['Trigger', row.trigger],
    ['Trigger ID', row.triggerId],
    ['Policy ID', row.policyId],
    ['Rule ID', row.ruleId],
    ['Fix available', row.fixAvailable === undefined ? undefined : row.fixAvailable ? 'yes' : 'no'],
  ];
  return keyLines(lines);
}

function verdictCase(evaluation: PolicyEvaluation): TestCase {
  const message = `${evaluation.finalAction} (${evaluation.finalActionReason}); gap: ${gapSummary(evaluation)}`;
  const text = keyLines([
    ['Image', evaluation.tag],
    ['Image digest', evaluation.imageDigest],
    ['Status', evaluation.status],
    ['Final action', evaluation.finalAction],
    ['Final action reason', evaluation.finalActionReason],
    ['Policy bundle', evaluation.bundleId],
    ['Gap', gapSummary(evaluation)],
  ]);
  const base = { classname: VERDICT_CLASS, name: VERDICT_NAME };
  return evaluation.status === 'fail'
    ? { ...base, failure: { message, type: evaluation.finalAction, text }, systemOut: '' }
    : { ...base, systemOut: text };
}

function keyLines(lines: readonly [string, string | undefined][]): string {
  return lines
    .flatMap(([key, value]) => (value === undefined ? [] : [`${key}: ${value}\n`]))
    .join('');
}

function testCaseXml({ classname, name, failure, systemOut }: TestCase): string {
  const open = `    <testcase${attributes({ classname, name })}>\n`;
  const failed =
    failure === undefined
      ? ''
      : `      <failure${attributes({ message: failure.message, type: failure.type })}>${xmlText(failure.text)}</failure>\n`;
  const out = systemOut === '' ? '' : `      <system-out>${xmlText(systemOut)}</system-out>\n`;
  return `${open}${failed}${out}    </testcase>\n`;
}

function attributes(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${xmlAttribute(String(value))}"`)
    .join('');
}

/**
 * What XML 1.0 cannot carry, even as a character reference: C0 controls other than tab, line feed
 * and carriage return, U+FFFE and U+FFFF, lone surrogates; and the C1 controls, which it allows
 * but which are terminal escapes in untrusted text.
 */
const NOT_XML =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** In text: markup characters, and CR, which a parser would turn into LF. */
const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#13;',
};
/** In an attribute also quotes, and tab and LF, which a parser would turn into spaces. */
const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
};

const xmlText = (text: string): string => escapeXml(text, /[&<>\r]/g, TEXT_ESCAPES);
const xmlAttribute = (text: string): string => escapeXml(text, /[&<>\r"'\t\n]/g, ATTRIBUTE_ESCAPES);

function escapeXml(
  text: string,
  special: RegExp,
  escapes: Readonly<Record<string, string>>,
): string {
  return text
    .replace(NOT_XML, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(special, (ch) => escapes[ch] ?? ch);
}
