/**
 * `licenses`: checks on the licenses the catalogers recorded for each package (dpkg copyright
 * files, rpm and apk headers, npm/Python/gem/Java manifests). An expression counts as each
 * license it names (`MIT OR Apache-2.0` is `MIT` and `Apache-2.0`), much as Anchore splits a
 * package's license field on spaces; a name with spaces (`Apache 2.0`) stays whole. One firing
 * per license and package name: Anchore fires once listing every package, which an allowlist
 * can only take or leave whole.
 */
import { type Package, type PackageType, PACKAGE_TYPES } from '../../model/index.js';
import type { Fired, Gate, Trigger, TriggerParam } from '../gate.js';
import type { TriggerParams } from '../params.js';

/** Anchore's name for Alpine packages. */
const ANCHORE_TYPE_NAMES: Readonly<Record<string, PackageType>> = { apkg: 'apk' };

const packageTypeParam: TriggerParam = {
  name: 'package_type',
  description: `Only check packages of this type: all (default), or one of ${PACKAGE_TYPES.join(', ')} (apkg is read as apk).`,
  kind: 'enum',
  required: false,
  values: ['all', ...PACKAGE_TYPES, ...Object.keys(ANCHORE_TYPE_NAMES)],
  default: 'all',
  example: 'all',
};

/** Words joining licenses in SPDX and Debian expressions, not licenses themselves. */
const OPERATORS = new Set(['and', 'or', 'with']);

/**
 * The names a license field stands for: an expression (`MIT OR Apache-2.0`) the licenses it names,
 * then itself; a plain name (`Apache 2.0`) only itself.
 */
function licenseNames(license: string): string[] {
  const words = license.split(/[\s()]+/).filter((word) => word !== '');
  if (!words.some((word) => OPERATORS.has(word.toLowerCase()))) return [license];
  const operands = words.filter((word) => !OPERATORS.has(word.toLowerCase()));
  return [...new Set([...operands, license])];
}

/** The first of a license field's names (see licenseNames) that `matches` picks. */
function firstMatch(
  field: string,
  matches: (license: string) => string | undefined,
): { license: string; item: string } | undefined {
  for (const license of licenseNames(field)) {
    const item = matches(license);
    if (item !== undefined) return { license, item };
  }
  return undefined;
}

function selectedPackages(packages: readonly Package[], params: TriggerParams): Package[] {
  const choice = params.choice('package_type') ?? 'all';
  if (choice === 'all') return [...packages];
  const type = ANCHORE_TYPE_NAMES[choice] ?? choice;
  return packages.filter((pkg) => pkg.type === type);
}

const packageLabel = (pkg: Package): string => `${pkg.name} ${pkg.version} (${pkg.type})`;

/** A trigger firing once per license and package name for licenses `matches` picks out. */
function licenseBlacklist(options: {
  name: string;
  description: string;
  licensesDescription: string;
  example: string;
  /** The blacklisted item a license name matches, or undefined. */
  matches(listed: readonly string[], license: string): string | undefined;
}): Trigger {
  return {
    name: options.name,
    description: options.description,
    params: [
      {
        name: 'licenses',
        description: options.licensesDescription,
        kind: 'list',
        required: true,
        example: options.example,
      },
      packageTypeParam,
    ],
    evaluate: (input, params) => {
      const listed = params.list('licenses');
      const rows = new Map<string, { license: string; item: string; packages: Package[] }>();
      for (const pkg of selectedPackages(input.content.packages, params))
        for (const field of pkg.licenses) {
          const hit = firstMatch(field, (name) => options.matches(listed, name));
          if (hit === undefined) continue;
          const { license, item } = hit;
          const id = `${license}+${pkg.name}`;
          const row = rows.get(id) ?? { license, item, packages: [] };
          if (!row.packages.includes(pkg)) row.packages.push(pkg);
          rows.set(id, row);
        }
      return [...rows].map(([id, row]) => fired(id, row.license, row.item, row.packages));
    },
  };
}

function fired(id: string, license: string, item: string, packages: readonly Package[]): Fired {
  const names = packages.map(packageLabel).join(', ');
  const subject = packages.length > 1 ? `Packages ${names} are` : `Package ${names} is`;
  const why = item === license ? '' : ` (it contains '${item}')`;
  return {
    triggerId: id,
    message: `${subject} distributed under blacklisted license '${license}'${why}.`,
  };
}

const blacklistExactMatch = licenseBlacklist({
  name: 'blacklist_exact_match',
  description:
    'Fires for each package distributed under one of the listed licenses, compared exactly (case-sensitive) with each license and each license named in an expression.',
  licensesDescription: 'Comma-separated license names to blacklist, compared exactly.',
  example: 'GPLv2+,GPL-3+,BSD-2-clause',
  matches: (listed, license) => (listed.includes(license) ? license : undefined),
});

const blacklistPartialMatch = licenseBlacklist({
  name: 'blacklist_partial_match',
  description:
    'Fires for each package distributed under a license containing one of the listed strings (case-sensitive substring), checked against each license and each license named in an expression.',
  licensesDescription: 'Comma-separated strings; a license containing any of them is blacklisted.',
  example: 'LGPL,BSD',
  matches: (listed, license) => listed.find((item) => license.includes(item)),
});

export const licensesGate: Gate = {
  name: 'licenses',
  description: 'Checks on the licenses of the software packages found in the image.',
  triggers: [blacklistExactMatch, blacklistPartialMatch],
};
