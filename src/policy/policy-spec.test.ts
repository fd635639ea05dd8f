import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/harness/random.js';
import type { Gate, ParamKind, TriggerParam } from './gate.js';
import { alwaysGate } from './gates/always.js';
import { GATES } from './gates.js';
import { paramProblem } from './params.js';
import { policySpec, validatorFor } from './policy-spec.js';

const require = createRequire(import.meta.url);
const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: true, allErrors: true }));

/** Anchore's GateSpec, TriggerSpec and TriggerParamSpec (the engine's swagger), closed. */
const STATE = { type: 'string', enum: ['active', 'deprecated', 'eol'] };
const SUPERCEDED = { type: ['string', 'null'] };
const PARAM_SPEC = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'example', 'required', 'state', 'superceded_by', 'validator'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    example: { type: ['string', 'null'] },
    required: { type: 'boolean' },
    state: STATE,
    superceded_by: SUPERCEDED,
    validator: {
      type: 'object',
      additionalProperties: false,
      required: ['description', 'criteria', 'type'],
      properties: {
        description: { type: 'string' },
        criteria: { type: 'object' },
        type: { type: 'string' },
      },
    },
  },
};
const TRIGGER_SPEC = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'state', 'superceded_by', 'parameters'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    state: STATE,
    superceded_by: SUPERCEDED,
    parameters: { type: 'array', items: PARAM_SPEC },
  },
};
const POLICY_SPEC = ajv.compile({
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'description', 'state', 'superceded_by', 'triggers'],
    properties: {
      name: { type: 'string', pattern: '^[a-z_]+$' },
      description: { type: 'string' },
      state: STATE,
      superceded_by: SUPERCEDED,
      triggers: { type: 'array', minItems: 1, items: TRIGGER_SPEC },
    },
  },
});

const param = (kind: ParamKind, values?: string[]): TriggerParam => ({
  name: `a_${kind.replace('-', '_')}`,
  description: `a ${kind}`,
  kind,
  required: false,
  ...(values === undefined ? {} : { values }),
});

const REGEX = param('regex');
const ENUM_LIST = param('enum-list', ['low', 'high', 'a.b']);
const KINDS: TriggerParam[] = [
  param('string'),
  REGEX,
  param('integer'),
  param('number'),
  param('boolean'),
  param('enum', ['low', 'high', 'a.b']),
  ENUM_LIST,
  param('list'),
  param('integer-list'),
];

const testGate = (state?: Gate['state']): Gate => ({
  name: state === undefined ? 'every_kind' : `old_${state}`,
  description: 'every kind of parameter',
  ...(state === undefined ? {} : { state }),
  triggers: [{ name: 'kinds', description: 'kinds', params: KINDS, evaluate: () => [] }],
});

/** Values a bundle might hold: well-formed ones of every kind, and near misses. */
const SAMPLES = [
  '',
  ' ',
  'x',
  '0',
  '12',
  ' 12 ',
  '-3',
  '1.5',
  '.5',
  '1e3',
  'abc',
  'true',
  'FALSE',
  'false',
  'yes',
  'low',
  'HIGH',
  'low,high',
  'low, high ,a.b',
  'low,,high',
  'aXb',
  'a.b',
  '1,2,3',
  '1, 2',
  '1,x',
  'a,b',
  '(',
  '[a-z]+',
  '.*\\.pem',
];

function randomValue(next: (n: number) => number): string {
  const alphabet = 'lowhigab.,- 0123456789eE+xtrufs()[]*\\';
  return Array.from({ length: next(12) }, () => alphabet[next(alphabet.length)]).join('');
}

describe('policySpec', () => {
  it('has the shape of Anchore Engine’s policy_spec for every gate we have', () => {
    const spec = policySpec();
    expect(POLICY_SPEC(spec), JSON.stringify(POLICY_SPEC.errors)).toBe(true);
    expect(spec.map((g) => g.name).sort()).toEqual(GATES.map((g) => g.name).sort());
    const always = spec.find((g) => g.name === 'always');
    expect(always).toEqual({
      name: 'always',
      description: expect.stringMatching(/fire unconditionally/) as unknown,
      state: 'active',
      superceded_by: null,
      triggers: [
        {
          name: 'always',
          description: expect.stringMatching(/Fires if present/) as unknown,
          state: 'active',
          superceded_by: null,
          parameters: [],
        },
      ],
    });
  });

  it('lists active gates before deprecated and end-of-life ones, keeping list order', () => {
    const spec = policySpec([testGate('eol'), testGate(), testGate('deprecated'), alwaysGate]);
    expect(spec.map((g) => `${g.name}:${g.state}`)).toEqual([
      'every_kind:active',
      'always:active',
      'old_deprecated:deprecated',
      'old_eol:eol',
    ]);
    expect(POLICY_SPEC(spec), JSON.stringify(POLICY_SPEC.errors)).toBe(true);
  });

  it('describes each parameter with its example, requiredness and validator', () => {
    const [gate] = policySpec([
      {
        ...testGate(),
        triggers: [
          {
            name: 'kinds',
            description: 'kinds',
            params: [{ ...param('integer'), required: true, example: '30' }, param('list')],
            evaluate: () => [],
          },
        ],
      },
    ]);
    expect(gate?.triggers[0]?.parameters).toEqual([
      {
        name: 'a_integer',
        description: 'a integer',
        example: '30',
        required: true,
        state: 'active',
        superceded_by: null,
        validator: {
          description: 'Single integer number as a string',
          criteria: { type: 'string', pattern: expect.any(String) as unknown },
          type: 'IntegerString',
        },
      },
      expect.objectContaining({ name: 'a_list', example: null, required: false }),
    ]);
  });

  it('never promises in a validator what bundle validation refuses', () => {
    const next = seededRandom(0x5bec);
    const values = [...SAMPLES, ...Array.from({ length: 3000 }, () => randomValue(next))];
    for (const p of KINDS) {
      const accepts = ajv.compile(validatorFor(p).criteria);
      let accepted = 0;
      for (const value of values) {
        if (!accepts(value)) continue;
        accepted++;
        expect(paramProblem(p, value), `${p.kind} ${JSON.stringify(value)}`).toBeUndefined();
      }
      expect(accepted, p.kind).toBeGreaterThan(1);
    }
  });

  it('accepts the well-formed values of each kind', () => {
    const wellFormed: Record<ParamKind, string[]> = {
      string: ['', 'anything at all'],
      regex: ['.*\\.pem', '^/etc/(passwd|shadow)$'],
      integer: ['0', ' 30 ', '-1'],
      number: ['7.5', '10', '.5', '1e3'],
      boolean: ['true', 'false'],
      enum: ['low', 'high', 'a.b'],
      'enum-list': ['low', 'low,high', ' high , a.b '],
      list: ['a', 'a,b', ' a , b c '],
      'integer-list': ['22', '22,80', ' 22 , 443 '],
    };
    for (const p of KINDS) {
      const accepts = ajv.compile(validatorFor(p).criteria);
      for (const value of wellFormed[p.kind])
        expect(accepts(value), `${p.kind} ${value}`).toBe(true);
    }
    const enumList = ajv.compile(validatorFor(ENUM_LIST).criteria);
    expect(enumList('aXb')).toBe(false);
    expect(ajv.compile(validatorFor(REGEX).criteria)('(')).toBe(false);
  });

  it('gives criteria every declared example and default satisfies', () => {
    for (const gate of GATES)
      for (const trigger of gate.triggers)
        for (const p of trigger.params) {
          const accepts = ajv.compile(validatorFor(p).criteria);
          for (const value of [p.example, p.default])
            if (value !== undefined)
              expect(accepts(value), `${gate.name}/${trigger.name}/${p.name}: ${value}`).toBe(true);
        }
  });
});
