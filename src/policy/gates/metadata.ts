/**
 * `metadata`: checks on what the image is (size, architecture, OS, distribution, layer count),
 * with the comparison checks Anchore's `metadata` gate offers.
 */
import type { Fired, Gate, PolicyInput } from '../gate.js';
import {
  BYTES,
  INTEGER,
  ORDERED_CHECKS,
  TEXT,
  prepareCheck,
  unusableRule,
  type Operand,
} from './check-operators.js';
import { messageTriggerId } from './message-trigger-id.js';

interface Attribute<T> {
  operand: Operand<T>;
  read(input: PolicyInput): T | undefined;
  /** How a value reads in a message (`52428800 bytes`). */
  show(value: T): string;
}

/** Checks one attribute of `input`; `name` is how the rule named it. */
type AttributeCheck = (
  name: string,
  input: PolicyInput,
  check: string,
  value: string | undefined,
) => Fired[];

const attribute =
  <T>(definition: Attribute<T>): AttributeCheck =>
  (name, input, check, value) =>
    checkAttribute(name, definition, input, check, value);

const text = (read: (input: PolicyInput) => string | undefined): AttributeCheck =>
  attribute({ operand: TEXT, read, show: (value) => `'${value}'` });

/** Anchore's attributes, in its order; each reads one fact of the stored analysis. */
const ATTRIBUTES: Record<string, AttributeCheck> = {
  /**
   * Anchore measures the squashed filesystem (a tar of the unpacked image): here, the bytes of
   * the regular files visible at the top of the image. Neither compressed nor per-layer sizes.
   */
  size: attribute({
    operand: BYTES,
    read: (input) =>
      input.files.reduce((sum, file) => sum + (file.type === 'file' ? file.size : 0), 0),
    show: (value) => `${value} bytes`,
  }),
  architecture: text((input) => input.metadata.architecture),
  os_type: text((input) => input.metadata.os),
  distro: text((input) => input.content.distro?.id),
  distro_version: text((input) => input.content.distro?.versionId),
  /** As Anchore writes it: os-release ID_LIKE joined with commas, else the distro itself. */
  like_distro: text((input) => {
    const distro = input.content.distro;
    if (distro === undefined) return undefined;
    return distro.idLike.length > 0 ? distro.idLike.join(',') : distro.id;
  }),
  layer_count: attribute({
    operand: INTEGER,
    read: (input) => input.metadata.layerCount,
    show: (value) => String(value),
  }),
};

export const metadataGate: Gate = {
  name: 'metadata',
  description: 'Checks against image metadata, such as size, OS, distro, architecture, etc.',
  triggers: [
    {
      name: 'attribute',
      description: 'Triggers if a named image metadata value matches the given condition.',
      params: [
        {
          name: 'attribute',
          description:
            'Attribute name to be checked. size is the bytes of the unpacked filesystem; distro, distro_version and like_distro come from /etc/os-release (ID, VERSION_ID, ID_LIKE).',
          kind: 'enum',
          required: true,
          values: Object.keys(ATTRIBUTES),
          example: 'size',
        },
        {
          name: 'check',
          description:
            'The operation to perform the evaluation. Ordering compares numbers for size and layer_count, and text with digit runs as numbers otherwise (so distro_version 3.9 < 3.19); like/not_like take a regular expression matched at the start; in/not_in a comma-separated list.',
          kind: 'enum',
          required: true,
          values: ORDERED_CHECKS,
          example: '>',
        },
        {
          name: 'value',
          description:
            'Value used in comparison: for size, bytes or a whole number of kb, mb, gb or tb (powers of 1024); for layer_count an integer.',
          kind: 'string',
          required: false,
          example: '1073741824',
        },
      ],
      evaluate(input, params) {
        const name = params.choice('attribute') ?? '';
        const check = ATTRIBUTES[name];
        if (check === undefined) return [unusableRule(`unknown attribute "${name}"`)];
        return check(name, input, params.choice('check') ?? '', params.string('value'));
      },
    },
  ],
};

function checkAttribute<T>(
  name: string,
  attribute: Attribute<T>,
  input: PolicyInput,
  check: string,
  value: string | undefined,
): Fired[] {
  const prepared = prepareCheck(check, value, attribute.operand);
  if (prepared.problem !== undefined) return [unusableRule(`${name}: ${prepared.problem}`)];
  const actual = attribute.read(input);
  if (!prepared.holds(actual)) return [];
  const shown = actual === undefined ? 'unknown' : attribute.show(actual);
  const compared = value === undefined || check.endsWith('exists') ? check : `${check} ${value}`;
  const anchore = `Attribute check for attribute: '${name}' check: '${check}' check_value: '${anchoreValue(attribute, value)}' matched image value: '${actual === undefined ? 'None' : String(actual)}'`;
  return [
    {
      triggerId: messageTriggerId('metadata', 'attribute', anchore),
      message: `image ${name} is ${shown}, which matches the check: ${compared}`,
    },
  ];
}

/** The value as Anchore prints it: converted to the attribute's type (`1kb` → `1024`). */
function anchoreValue<T>(attribute: Attribute<T>, value: string | undefined): string {
  if (value === undefined) return '';
  const parsed = attribute.operand === TEXT ? undefined : attribute.operand.parse(value);
  return parsed === undefined ? value : String(parsed);
}
