/**
 * Which OSV ecosystem holds a distribution's advisories: `debian 12` → `Debian:12`,
 * `ubuntu 22.04` → `Ubuntu:22.04`, `alpine 3.19.1` → `Alpine:v3.19`, the Red Hat family by major
 * release. Names are the match ecosystems of osv.ts (`Ubuntu:22.04:LTS` is indexed as `Ubuntu:22.04`).
 */
import type { Distro } from '../../model/index.js';
import type { Unchecked } from './package-matcher.js';

/** Debian releases by codename, for images whose os-release has no VERSION_ID (testing). */
const DEBIAN_CODENAMES: Record<string, string> = {
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

type GroupRule = (distro: Distro) => string | undefined;

const major = (distro: Distro): string | undefined => /^\d+/.exec(distro.versionId ?? '')?.[0];

const GROUPS: Record<string, GroupRule> = {
  debian: (d) => {
    const release = major(d) ?? DEBIAN_CODENAMES[d.versionCodename ?? ''];
    return release === undefined ? undefined : `Debian:${release}`;
  },
  ubuntu: (d) => {
    const release = /^\d+\.\d+/.exec(d.versionId ?? '')?.[0];
    return release === undefined ? undefined : `Ubuntu:${release}`;
  },
  alpine: (d) => {
    const release = /^\d+\.\d+/.exec(d.versionId ?? '')?.[0];
    return release === undefined ? undefined : `Alpine:v${release}`;
  },
  rhel: (d) => prefixed('Red Hat', d),
  centos: (d) => prefixed('Red Hat', d),
  rocky: (d) => prefixed('Rocky Linux', d),
  almalinux: (d) => prefixed('AlmaLinux', d),
};

function prefixed(ecosystem: string, distro: Distro): string | undefined {
  const release = major(distro);
  return release === undefined ? undefined : `${ecosystem}:${release}`;
}

/** The match ecosystem of `distro`'s packages, or why there is none. */
export function distroGroup(distro: Distro | undefined): string | Unchecked {
  if (distro === undefined)
    return { unchecked: 'the distribution is unknown (no /etc/os-release), so its feed is too' };
  const group = GROUPS[distro.id]?.(distro);
  if (group !== undefined) return group;
  const name = [distro.id, distro.versionId ?? distro.versionCodename].filter(Boolean).join(' ');
  return { unchecked: `no vulnerability feed is known for ${name}` };
}
