/** @cyclonedx/cyclonedx-library takes about 0.15 s to load: only CycloneDX output pays for it. */
import type * as CycloneDX from '@cyclonedx/cyclonedx-library';
import { lazyRequire } from '../../util/lazy-require.js';

export const cyclonedxLibrary = lazyRequire<typeof CycloneDX>('@cyclonedx/cyclonedx-library');
