/** OCI archives (`oci-archive:`): an OCI image layout packed in an uncompressed tar file. */
import { layoutOpener, type LayoutFiles } from './oci-layout.js';
import { TarIndex, tarIndexLimits } from './tar-index.js';

/** The layout's files as members of an indexed tar. */
export function tarLayoutFiles(index: TarIndex): LayoutFiles {
  return {
    readFile: (path, maxBytes) => index.readMember(path, maxBytes),
    openFile: (path) => index.openMember(path),
  };
}

/** `oci-archive:FILE[:selector]`; `selector` picks an image as in an OCI layout. */
export const openOciArchive = layoutOpener('oci-archive', async (file, options) =>
  tarLayoutFiles(await TarIndex.open(file, tarIndexLimits(options.limits))),
);
