/**
 * Java archives, by Maven coordinates `groupId:artifactId`. An archive whose group is unknown
 * (no pom.properties or pom.xml, only a manifest) is not guessed at: guessing by CPE or artifact
 * name alone is where most false alarms for Java come from.
 */
import { mavenScheme } from '../../version/maven.js';
import { lookupName } from '../osv.js';
import type { PackageMatcher } from './package-matcher.js';

export const javaMatcher: PackageMatcher = {
  packageType: 'java',
  queries(pkg) {
    const groupId = pkg.metadata?.groupId;
    if (typeof groupId !== 'string' || groupId === '')
      return { unchecked: 'no Maven groupId (the archive has no pom.properties or pom.xml)' };
    const name = lookupName('Maven', `${groupId}:${pkg.name}`);
    return [{ ecosystem: 'Maven', name, version: pkg.version, scheme: mavenScheme }];
  },
};
