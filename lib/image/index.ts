// Local images: names and lookup, import, load, tag, removal, inspection.
export {
  type ImageReference,
  parseReference,
  formatReference,
  normalizeName,
  normalizeLocalName,
  repositoryName,
  isImageId,
} from './reference';
export { type ImageMatch, lookupImage, resolveImage } from './resolve';
export { imageConfig, imageManifest, imageManifestBytes, layerPaths } from './store';
export { importTarball } from './import';
export { applyChanges } from './changes';
export { ociArchitecture } from './platform';
export { loadArchive } from './archive';
export { tagImage, untagImage } from './tag';
export { type RemoveReport, removeImage } from './remove';
export { type ImageInspect, inspectImage, listImages, repoDigests } from './inspect';
