// Manifests as registries serve them: Docker schema 2 and OCI image manifests,
// Docker manifest lists and OCI indexes (with platform selection). Anything
// else (schema 1, artifacts, malformed JSON) is refused with a clear message.
import { EngineError } from '../../errors';
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_LAYER_NONDIST,
  MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP,
} from '../../oci/image-spec';
import { OCI_OS, ociArchitecture } from '../platform';

export const MANIFEST_ACCEPT: readonly string[] = [
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_DOCKER_MANIFEST,
];

export const LAYER_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_LAYER_NONDIST,
  MEDIA_TYPE_OCI_LAYER_NONDIST_GZIP,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP,
];

const CONFIG_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_DOCKER_CONFIG];
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export type ParsedManifest = { kind: 'index'; index: ImageIndex; mediaType: string } | { kind: 'image'; manifest: ImageManifest; mediaType: string };

function malformed(what: string, why: string): EngineError {
  return new EngineError('invalid-argument', `${what}: malformed manifest: ${why}`);
}

function checkDescriptor(d: unknown, what: string, where: string): Descriptor {
  const desc = d as Descriptor;
  if (!desc || typeof desc !== 'object') throw malformed(what, `${where} is not a descriptor`);
  if (typeof desc.digest !== 'string' || !DIGEST.test(desc.digest)) throw malformed(what, `${where} has an unsupported digest ${JSON.stringify(desc.digest)}`);
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) throw malformed(what, `${where} has no valid size`);
  if (typeof desc.mediaType !== 'string') throw malformed(what, `${where} has no media type`);
  return desc;
}

/**
 * Parses and checks a manifest; the media type comes from the document, else
 * from the Content-Type the registry sent.
 */
export function parseManifest(bytes: Buffer, contentType: string, what: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw malformed(what, 'not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw malformed(what, 'not a JSON object');
  if (doc.schemaVersion === 1) throw new EngineError('invalid-argument', `${what}: Docker schema 1 manifests are not supported`);
  if (doc.schemaVersion !== 2) throw malformed(what, `schemaVersion ${JSON.stringify(doc.schemaVersion)}`);
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  let mediaType = declared ?? contentType;
  if (!INDEX_MEDIA_TYPES.includes(mediaType) && !MANIFEST_MEDIA_TYPES.includes(mediaType))
    mediaType = Array.isArray(doc.manifests) ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_OCI_MANIFEST;
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw malformed(what, 'an index without manifests');
    doc.manifests.forEach((m, i) => checkDescriptor(m, what, `manifests[${i}]`));
    return { kind: 'index', index: doc as unknown as ImageIndex, mediaType };
  }
  const config = checkDescriptor(doc.config, what, 'config');
  if (!Array.isArray(doc.layers)) throw malformed(what, 'no layers');
  const layers = doc.layers.map((l, i) => checkDescriptor(l, what, `layers[${i}]`));
  if (!CONFIG_MEDIA_TYPES.includes(config.mediaType))
    throw new EngineError('invalid-argument', `${what}: not a container image (config media type ${config.mediaType})`);
  for (const l of layers) {
    if (l.mediaType.endsWith('+zstd')) throw new EngineError('invalid-argument', `${what}: zstd-compressed layers are not supported`);
    if (!LAYER_MEDIA_TYPES.includes(l.mediaType)) throw new EngineError('invalid-argument', `${what}: unsupported layer media type ${l.mediaType}`);
  }
  return { kind: 'image', manifest: doc as unknown as ImageManifest, mediaType };
}

export interface WantedPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `linux/arm64/v8` -> {os, architecture, variant}; defaults: this host (linux/amd64 on x86-64). */
export function parsePlatform(spec: string | undefined): WantedPlatform {
  if (!spec) return { os: OCI_OS, architecture: ociArchitecture() };
  const [os, architecture, variant] = spec.split('/');
  if (!os || !architecture) throw new EngineError('invalid-argument', `invalid platform "${spec}": expected os/arch[/variant]`);
  return { os, architecture: ociArchitecture(architecture), variant };
}

export const formatPlatform = (p: WantedPlatform | Platform) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

/** The index entry for the wanted platform (a missing variant matches any; arm64 treats v8 as none). */
export function selectManifest(index: ImageIndex, want: WantedPlatform, what: string): Descriptor {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const norm = (v: string | undefined) => (want.architecture === 'arm64' && v === 'v8' ? undefined : v);
  const exact = candidates.find((m) => norm(m.platform?.variant) === norm(want.variant));
  const pick = exact ?? (want.variant ? undefined : candidates[0]);
  if (!pick) {
    const have = index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).join(', ');
    throw new EngineError('no-such-image', `${what}: no image found in manifest list for architecture ${formatPlatform(want)} (have ${have || 'none'})`);
  }
  return pick;
}
