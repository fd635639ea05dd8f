/** Every package cataloger, in the order their packages are listed. Add a new one here. */
import type { Cataloger } from './cataloger.js';
import { goCataloger } from './lang/go.js';
import { gemCataloger } from './lang/gem.js';
import { javaCataloger } from './lang/java.js';
import { npmCataloger } from './lang/npm.js';
import { pythonCataloger } from './lang/python.js';
import { apkCataloger } from './os/apk.js';
import { dpkgCataloger } from './os/dpkg.js';
import { rpmCataloger } from './os/rpm.js';

export const CATALOGERS: readonly Cataloger[] = [
  dpkgCataloger,
  apkCataloger,
  rpmCataloger,
  npmCataloger,
  pythonCataloger,
  gemCataloger,
  javaCataloger,
  goCataloger,
];
