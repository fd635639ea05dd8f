/**
 * CycloneDX JSON (1.2 to 1.7) into drydock's content: every component with a PURL of a type
 * drydock catalogs (nested components included), the first `operating-system` component as the
 * distribution, `metadata.component` as the subject. Syft, Trivy and drydock's own properties
 * add locations, layers, source packages and ownership.
 */
import type { Distro, ImageContent } from '../model/index.js';
import { PROPERTY } from '../report/sbom/sbom-format.js';
import {
  invalidSbom,
  objectOf,
  objectsOf,
  stringOf,
  type JsonObject,
  type ReadContext,
} from './fields.js';
import type { ImportedSbom } from './import-sbom.js';
import { first, PackageCollector, type PackageRecord } from './packages.js';

const SPEC_VERSIONS = ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'];

export function readCycloneDx(document: JsonObject, context: ReadContext): ImportedSbom {
  const specVersion = typeof document.specVersion === 'string' ? document.specVersion : undefined;
  if (specVersion === undefined || !SPEC_VERSIONS.includes(specVersion)) {
    throw invalidSbom(
      context.origin,
      `CycloneDX specVersion ${JSON.stringify(document.specVersion ?? null)} is not one drydock reads (JSON ${SPEC_VERSIONS[0]} to ${SPEC_VERSIONS.at(-1)})`,
    );
  }
  const collector = new PackageCollector(context);
  let distro: Distro | undefined;
  for (const component of allComponents(document, context)) {
    if (component.type === 'operating-system') {
      distro ??= distroOf(component, context);
      continue;
    }
    collector.add(packageRecord(component, context));
  }
  const subject = objectOf(objectOf(document.metadata)?.component);
  const properties =
    subject === undefined ? new Map<string, string[]>() : propertiesOf(subject, context);
  const content: ImageContent = {
    ...(distro === undefined ? {} : { distro }),
    packages: collector.finish(),
    secrets: [],
    retainedFiles: [],
  };
  return {
    format: `CycloneDX ${specVersion}`,
    subject: {
      name: (subject && stringOf(subject.name, context)) ?? context.origin,
      digest: subject && stringOf(subject.version, context),
      platform: first(properties, PROPERTY.platform),
    },
    content,
  };
}

/** Top-level and nested components, depth-first without recursion, nesting bounded. */
function* allComponents(document: JsonObject, context: ReadContext): Generator<JsonObject> {
  const stack: { component: JsonObject; depth: number }[] = objectsOf(
    document.components,
    'components',
    context,
    context.limits.maxPackages,
  )
    .reverse()
    .map((component) => ({ component, depth: 0 }));
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    yield next.component;
    const children = objectsOf(
      next.component.components,
      'components',
      context,
      context.limits.maxPackages,
    );
    if (children.length === 0) continue;
    if (next.depth + 1 > context.limits.maxNesting) {
      throw invalidSbom(
        context.origin,
        `components are nested more than ${context.limits.maxNesting} deep`,
      );
    }
    for (const child of children.reverse()) stack.push({ component: child, depth: next.depth + 1 });
  }
}

function packageRecord(component: JsonObject, context: ReadContext): PackageRecord {
  const cpe = stringOf(component.cpe, context);
  return {
    ref: stringOf(component['bom-ref'], context),
    name: stringOf(component.name, context),
    version: stringOf(component.version, context),
    purl: stringOf(component.purl, context),
    cpes: cpe === undefined ? [] : [cpe],
    licenses: licensesOf(component, context),
    properties: propertiesOf(component, context),
    locations: [],
  };
}

/** `[{license: {id}}, {license: {name}}]` or `[{expression}]`, as strings. */
function licensesOf(component: JsonObject, context: ReadContext): string[] {
  return objectsOf(component.licenses, 'licenses', context).flatMap((entry) => {
    const expression = stringOf(entry.expression, context);
    if (expression !== undefined) return [expression];
    const license = objectOf(entry.license);
    const text = license && (stringOf(license.id, context) ?? stringOf(license.name, context));
    return text === undefined ? [] : [text];
  });
}

function propertiesOf(component: JsonObject, context: ReadContext): Map<string, string[]> {
  const properties = new Map<string, string[]>();
  for (const property of objectsOf(component.properties, 'properties', context)) {
    const name = stringOf(property.name, context);
    const value = stringOf(property.value, context);
    if (name === undefined || value === undefined) continue;
    const values = properties.get(name);
    if (values === undefined) properties.set(name, [value]);
    else values.push(value);
  }
  return properties;
}

/** drydock's and Syft's distro properties when present, else the component's name and version. */
function distroOf(component: JsonObject, context: ReadContext): Distro | undefined {
  const properties = propertiesOf(component, context);
  const own = (key: string): string | undefined =>
    first(properties, `${PROPERTY.distroPrefix}${key}`) ?? first(properties, `syft:distro:${key}`);
  const id = own('id') ?? stringOf(component.name, context)?.toLowerCase();
  if (id === undefined) return undefined;
  const idLike = [...properties]
    .filter(([name]) => /^(drydock|syft):distro:idLike:\d+$/.test(name))
    .flatMap(([, values]) => values);
  const versionId = own('versionId') ?? own('versionID') ?? stringOf(component.version, context);
  const prettyName = own('prettyName') ?? stringOf(component.description, context);
  const versionCodename = own('versionCodename');
  return {
    id,
    ...(versionId === undefined ? {} : { versionId }),
    ...(versionCodename === undefined ? {} : { versionCodename }),
    idLike,
    ...(prettyName === undefined ? {} : { prettyName }),
    source: own('source') ?? '',
  };
}
