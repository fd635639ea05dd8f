/**
 * The policy language as Anchore Engine describes it at `GET /v1/system/policy_spec`: every gate,
 * its triggers and their parameters, built from the same declarations that validate bundles.
 * Each parameter's `validator` is Anchore's `{description, criteria, type}` object: its criteria
 * are a JSON schema for the string a bundle gives, and its type is the name Anchore uses for that
 * kind of parameter.
 */
import type { Gate, SpecState, Trigger, TriggerParam } from './gate.js';
import { GATES } from './gates.js';

export interface GateSpec {
  name: string;
  description: string;
  state: SpecState;
  superceded_by: string | null;
  triggers: TriggerSpec[];
}

export interface TriggerSpec {
  name: string;
  description: string;
  state: SpecState;
  superceded_by: string | null;
  parameters: TriggerParamSpec[];
}

export interface TriggerParamSpec {
  name: string;
  description: string;
  example: string | null;
  required: boolean;
  state: SpecState;
  superceded_by: string | null;
  validator: ParamValidator;
}

export interface ParamValidator {
  description: string;
  /** A JSON schema the parameter's string value satisfies. */
  criteria: Record<string, unknown>;
  type: string;
}

/** Active gates first, then deprecated, then end-of-life, each group in list order, as Anchore sorts. */
const STATE_ORDER: readonly SpecState[] = ['active', 'deprecated', 'eol'];

export function policySpec(gates: readonly Gate[] = GATES): GateSpec[] {
  return gates
    .map(gateSpec)
    .sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state));
}

function gateSpec(gate: Gate): GateSpec {
  return {
    name: gate.name,
    description: gate.description,
    state: gate.state ?? 'active',
    superceded_by: null,
    triggers: gate.triggers.map(triggerSpec),
  };
}

function triggerSpec(trigger: Trigger): TriggerSpec {
  return {
    name: trigger.name,
    description: trigger.description,
    state: trigger.state ?? 'active',
    superceded_by: null,
    parameters: trigger.params.map(paramSpec),
  };
}

function paramSpec(param: TriggerParam): TriggerParamSpec {
  return {
    name: param.name,
    description: param.description,
    example: param.example ?? null,
    required: param.required,
    state: 'active',
    superceded_by: null,
    validator: validatorFor(param),
  };
}

/**
 * The well-formed value of each kind; validation (params.ts) is never stricter (it also passes
 * empty list items, and any number JavaScript reads).
 */
const INTEGER = String.raw`\s*-?\d+\s*`;
const NUMBER = String.raw`\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*`;

/** Comma-separated items, spaces allowed around each. */
const commaList = (item: string): string => String.raw`^\s*((${item})\s*,\s*)*(${item})\s*$`;

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function validatorFor(param: TriggerParam): ParamValidator {
  const values = param.values ?? [];
  switch (param.kind) {
    case 'string':
      return {
        description: 'A single value of a basic json type: string',
        criteria: { type: 'string' },
        type: 'type',
      };
    case 'regex':
      return {
        description: 'A regular expression (JavaScript syntax)',
        criteria: { type: 'string', format: 'regex' },
        type: 'type',
      };
    case 'integer':
      return {
        description: 'Single integer number as a string',
        criteria: { type: 'string', pattern: `^${INTEGER}$` },
        type: 'IntegerString',
      };
    case 'number':
      return {
        description: 'Single float number as a string',
        criteria: { type: 'string', pattern: `^${NUMBER}$` },
        type: 'FloatString',
      };
    case 'boolean':
      return {
        description:
          'Value must be string representation of a boolean. One of: ["true","false"], case insensitive',
        criteria: { type: 'string', enum: ['true', 'false'] },
        type: 'BooleanString',
      };
    case 'enum':
      return {
        description: `One of: ${values.join(', ')} (case insensitive)`,
        criteria: { type: 'string', enum: [...values] },
        type: 'EnumString',
      };
    case 'enum-list':
      return {
        description: `Delimited (char=,) string where each item must be one of: ${values.join(', ')} (case insensitive)`,
        criteria: { type: 'string', pattern: commaList(values.map(escapeRegex).join('|')) },
        type: 'DelimitedEnumString',
      };
    case 'list':
      return {
        description: 'Comma delimited list of strings',
        criteria: { type: 'string', pattern: commaList('[^,]+') },
        type: 'CommaDelimitedStringList',
      };
    case 'integer-list':
      return {
        description: 'Comma delimited list of numbers',
        criteria: { type: 'string', pattern: commaList(String.raw`\d+`) },
        type: 'CommaDelimitedStringOfNumbers',
      };
  }
}
