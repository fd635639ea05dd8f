/**
 * Go modules compiled into ELF binaries, from the build info the Go linker embeds (see
 * go-buildinfo.ts). One package for the main module (version `(devel)` when the build did not
 * stamp one, as Syft reports it) and one per dependency; a `=>` replacement by another module
 * version reports that version, a replacement by a local directory keeps the required version and
 * names the directory in metadata. Binaries built outside module mode (Debian builds Go programs
 * in GOPATH mode) record no modules and so yield no packages.
 */
import type { CatalogContext, Cataloger, FoundPackage } from '../cataloger.js';
import { locationOf } from '../cataloger.js';
import { collectedValues, streamCollector } from '../collectors.js';
import { cpes, purl } from '../identifiers.js';
import {
  BuildInfoSink,
  type GoBinaryValue,
  type GoBuildInfo,
  type GoModule,
} from './go-buildinfo.js';

const EXECUTABLE_BITS = 0o111;
/** Smaller than an ELF header plus build info: cannot be a Go binary. */
const MIN_GO_BINARY_BYTES = 128;
const DEVEL_VERSION = '(devel)';

export const goBinaryCollector = streamCollector<GoBinaryValue>({
  name: 'go-buildinfo',
  version: 1,
  open(file) {
    if ((file.mode & EXECUTABLE_BITS) === 0 || file.size < MIN_GO_BINARY_BYTES) return undefined;
    return new BuildInfoSink(file.size);
  },
});

export const goCataloger: Cataloger = {
  name: 'go',
  kind: 'language',
  collectors: [goBinaryCollector],
  catalog(context: CatalogContext): FoundPackage[] {
    return collectedValues(context.tree, goBinaryCollector).flatMap(({ path, value }) => {
      if ('warning' in value) {
        context.warn(`${path}: ${value.warning}`);
        return [];
      }
      return goPackages(value.buildInfo).flatMap((module) => {
        if (module.path.endsWith('/')) {
          // Go never writes such a path, and a PURL cannot name its empty last element.
          context.warn(`${path}: module path ${JSON.stringify(module.path)} skipped`);
          return [];
        }
        return [goPackage(context, path, value.buildInfo, module)];
      });
    });
  },
};

/** A module as reported: the module that was built in, and the directory that replaced it. */
interface ReportedModule {
  path: string;
  version: string;
  sum?: string;
  replacedBy?: string;
}

/** The main module (when built in module mode) then each dependency, replacements applied. */
export function goPackages(info: GoBuildInfo): ReportedModule[] {
  const main = info.main === undefined ? [] : [reported(info.main)];
  for (const module of main) if (module.version === '') module.version = DEVEL_VERSION;
  return [...main, ...info.deps.map(reported)];
}

function reported(module: GoModule): ReportedModule {
  const replacement = module.replace;
  if (replacement === undefined)
    return { path: module.path, version: module.version, sum: module.sum };
  if (isLocalDirectory(replacement.path))
    return {
      path: module.path,
      version: module.version,
      sum: module.sum,
      replacedBy: replacement.path,
    };
  return { path: replacement.path, version: replacement.version, sum: replacement.sum };
}

/** Go's rule for a replacement by a directory rather than a module: `./x`, `../x` or `/x`. */
function isLocalDirectory(path: string): boolean {
  return path.startsWith('./') || path.startsWith('../') || path.startsWith('/');
}

function goPackage(
  context: CatalogContext,
  binaryPath: string,
  info: GoBuildInfo,
  module: ReportedModule,
): FoundPackage {
  const slash = module.path.lastIndexOf('/');
  return {
    type: 'go',
    name: module.path,
    version: module.version,
    licenses: [],
    purl: purl({
      type: 'golang',
      namespace: slash < 0 ? undefined : module.path.slice(0, slash),
      name: module.path.slice(slash + 1),
      version: module.version,
    }),
    cpes: cpes(goVendors(module.path), goProducts(module.path), module.version),
    locations: [locationOf(context.tree, binaryPath)],
    metadata: {
      goVersion: info.goVersion,
      mainModule: info.main?.path,
      h1Digest: module.sum,
      architecture: info.settings.find(([key]) => key === 'GOARCH')?.[1],
      replacedBy: module.replacedBy,
    },
  };
}

/** Hosts whose module paths do not read as `host/vendor/product`. */
const GO_HOST_VENDORS: Record<string, string[]> = {
  'golang.org': ['golang'],
  'google.golang.org': ['google'],
  'gopkg.in': [],
};

/** CPE vendor candidates: the path segment after the host (`github.com/VENDOR/…`). */
function goVendors(path: string): string[] {
  const [host = '', owner = ''] = path.split('/');
  return GO_HOST_VENDORS[host] ?? [owner];
}

/** CPE product candidates: the rest of the path, so short names match fewer unrelated CPEs. */
function goProducts(path: string): string[] {
  const [host = '', ...rest] = path.split('/');
  if (host === 'golang.org' || host === 'gopkg.in') return [rest.join('/')];
  if (host === 'google.golang.org') return rest.slice(0, 1);
  return rest.length < 2 ? [] : [rest.slice(1).join('/')];
}
