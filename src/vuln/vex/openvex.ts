/**
 * OpenVEX (https://github.com/openvex/spec, v0.2.0; the v0.0.1 shapes too, where a vulnerability
 * and a product were plain strings). A statement's timestamp overrides its document's. Products
 * are named by `@id` (when it is a PURL) and `identifiers.purl`; hashes and CPEs are not matched.
 * drydock reads standalone documents, so every statement must name its products.
 */
import type {
  ParsedVexStatement,
  ReadVex,
  VexComponent,
  VexFormat,
  VexProduct,
  VexStatus,
} from './vex-document.js';
import {
  invalidVex,
  isObject,
  optionalList,
  optionalString,
  optionalTimestamp,
  requireObject,
  requirePurl,
  requireString,
  shown,
  stringList,
  type JsonObject,
  type VexContext,
} from './vex-fields.js';

const CONTEXT_PREFIX = 'https://openvex.dev/ns';
const STATUSES: readonly VexStatus[] = ['not_affected', 'affected', 'fixed', 'under_investigation'];

export const openVexFormat: VexFormat = {
  name: 'OpenVEX',
  claims: (document) =>
    typeof document['@context'] === 'string' && document['@context'].startsWith(CONTEXT_PREFIX),
  read: readOpenVex,
};

function readOpenVex(document: JsonObject, context: VexContext): ReadVex {
  const documentTime = optionalTimestamp(document.timestamp, 'timestamp', context);
  if (document.statements === undefined) throw invalidVex(context, 'has no "statements" list');
  const statements = optionalList(
    document.statements,
    'statements',
    context,
    context.limits.maxStatements,
  ).map((item, i) => readStatement(item, `statements[${i}]`, documentTime, context));
  return {
    id: optionalString(document['@id'], '@id', context),
    format: `OpenVEX ${specVersion(String(document['@context']))}`,
    statements,
  };
}

/** `https://openvex.dev/ns/v0.2.0` → `0.2.0`; the bare namespace is v0.0.1. */
function specVersion(contextUrl: string): string {
  return /\/v(\d+\.\d+\.\d+)$/.exec(contextUrl)?.[1] ?? '0.0.1';
}

function readStatement(
  item: unknown,
  where: string,
  documentTime: number | undefined,
  context: VexContext,
): ParsedVexStatement {
  const statement = requireObject(item, where, context);
  const { name, aliases } = readVulnerability(
    statement.vulnerability,
    `${where}.vulnerability`,
    context,
  );
  if (statement.products === undefined)
    throw invalidVex(
      context,
      `${where} names no products; a standalone OpenVEX statement must list the products it is about`,
    );
  const products = optionalList(statement.products, `${where}.products`, context).map(
    (product, i) => readProduct(product, `${where}.products[${i}]`, context),
  );
  const notes = ['impact_statement', 'action_statement', 'status_notes'].flatMap((field) => {
    const text = optionalString(statement[field], `${where}.${field}`, context)?.trim();
    return text === undefined || text === '' ? [] : [text];
  });
  return {
    vulnerability: name,
    aliases,
    products,
    status: readStatus(statement.status, `${where}.status`, context),
    justification: optionalString(statement.justification, `${where}.justification`, context),
    detail: notes.length > 0 ? notes.join(' — ') : undefined,
    place: where,
    timestamp:
      optionalTimestamp(statement.timestamp, `${where}.timestamp`, context) ?? documentTime,
  };
}

function readVulnerability(
  value: unknown,
  where: string,
  context: VexContext,
): { name: string; aliases: string[] } {
  if (typeof value === 'string') return { name: requireString(value, where, context), aliases: [] };
  if (value === undefined) throw invalidVex(context, `${where} is missing`);
  const vulnerability = requireObject(value, where, context);
  return {
    name: requireString(vulnerability.name, `${where}.name`, context),
    aliases: stringList(vulnerability.aliases, `${where}.aliases`, context),
  };
}

function readStatus(value: unknown, where: string, context: VexContext): VexStatus {
  const status = STATUSES.find((known) => known === value);
  if (status !== undefined) return status;
  throw invalidVex(
    context,
    value === undefined
      ? `${where} is missing`
      : `${where} ${shown(value)} is not an OpenVEX status (${STATUSES.join(', ')})`,
  );
}

function readProduct(value: unknown, where: string, context: VexContext): VexProduct {
  const subcomponents = isObject(value)
    ? optionalList(value.subcomponents, `${where}.subcomponents`, context).map((item, i) =>
        readComponent(item, `${where}.subcomponents[${i}]`, context),
      )
    : [];
  return { ...readComponent(value, where, context), subcomponents, versions: [] };
}

/** A product or subcomponent: a PURL string (v0.0.1) or an object with `@id` and identifiers. */
function readComponent(value: unknown, where: string, context: VexContext): VexComponent {
  if (typeof value === 'string') return { purls: purlsOf([value], where, context), bomRefs: [] };
  const component = requireObject(value, where, context);
  const id = optionalString(component['@id'], `${where}.@id`, context);
  const identifiers =
    component.identifiers === undefined
      ? undefined
      : requireObject(component.identifiers, `${where}.identifiers`, context);
  if (id === undefined && identifiers === undefined)
    throw invalidVex(context, `${where} has neither "@id" nor "identifiers"; it names nothing`);
  const purl = optionalString(identifiers?.purl, `${where}.identifiers.purl`, context);
  return { purls: purlsOf([id, purl], where, context), bomRefs: [] };
}

/** The PURLs among a component's names; an `@id` that is an IRI of another kind is no PURL. */
function purlsOf(names: readonly (string | undefined)[], where: string, context: VexContext) {
  return names
    .filter((name): name is string => name?.startsWith('pkg:') === true)
    .map((name) => requirePurl(name, where, context));
}
