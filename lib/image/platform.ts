// The platform tspod runs images for, named as image configs and indexes name it.

const ARCHITECTURES: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** The OCI architecture for Node's process.arch (x64 -> amd64). */
export function ociArchitecture(arch: string = process.arch): string {
  return ARCHITECTURES[arch] ?? arch;
}

export const OCI_OS = 'linux';
