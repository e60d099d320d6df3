// `--security-opt` (Podman's and Docker's spellings) into the record's
// SecurityConfig, and what a container's process gets from it: the seccomp
// section, no_new_privs, the AppArmor profile, masked and read-only paths.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SecurityConfig } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { loadContainersConf } from '../config/containers-conf';
import { loadSeccompProfile, parseSeccompProfile, seccompSection, type SeccompProfile } from './seccomp';
import type { Seccomp } from './runtime-spec';

export const emptySecurity = (): SecurityConfig => ({
  seccompProfile: '',
  noNewPrivileges: false,
  apparmorProfile: '',
  labelOpts: [],
  mask: [],
  unmask: [],
  procOpts: [],
  securityOpt: [],
});

const LABEL_OPT = /^(disable|nested|(user|role|type|level|filetype):[A-Za-z0-9_.:,-]+)$/;
const PROC_OPT = /^(hidepid=(\d|invisible|noaccess|ptraceable)|subset=pid|gid=\d+)$/;
const APPARMOR_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;

/** A path list for mask=/unmask= (colon-separated absolute paths). */
function pathList(value: string, opt: string): string[] {
  const list = value.split(':').filter(Boolean);
  for (const p of list) {
    if (!path.isAbsolute(p) || /[,\n\0]/.test(p) || path.normalize(p) !== p) throw invalidArgument(`invalid path "${p}" in --security-opt ${opt}: must be a clean absolute path`);
  }
  return list;
}

/** Parses --security-opt values; `seccomp=PATH` is read and checked here, before anything starts. */
export function parseSecurityOpts(opts: string[]): SecurityConfig {
  const sec = emptySecurity();
  opts.forEach((raw, i) => {
    // Docker's older "key:value" spelling is accepted too.
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(raw);
    const bad = () => invalidArgument(`invalid --security-opt ${i + 1}: "${raw}"`);
    if (!m) throw bad();
    const [, key, value = ''] = m;
    switch (key) {
      case 'seccomp':
        if (!value) throw bad();
        // The docker CLI sends the profile's content, not its path.
        sec.seccompProfile = value === 'unconfined' || isInline(value) ? value : path.resolve(value);
        break;
      case 'no-new-privileges':
        if (!['', 'true', 'false'].includes(value)) throw bad();
        sec.noNewPrivileges = value !== 'false';
        break;
      case 'label':
        if (!LABEL_OPT.test(value)) throw bad();
        sec.labelOpts.push(value);
        break;
      case 'apparmor':
        if (!APPARMOR_NAME.test(value)) throw bad();
        sec.apparmorProfile = value;
        break;
      case 'mask':
        sec.mask.push(...pathList(value, raw));
        break;
      case 'unmask':
        sec.unmask.push(...(value === 'ALL' ? ['ALL'] : pathList(value, raw)));
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw bad();
        sec.unmask.push('ALL');
        break;
      case 'proc-opts':
        for (const o of value.split(',').filter(Boolean)) {
          if (!PROC_OPT.test(o)) throw invalidArgument(`invalid proc option "${o}" in --security-opt ${raw}`);
          sec.procOpts.push(o);
        }
        break;
      default:
        throw bad();
    }
    sec.securityOpt.push(raw);
  });
  if (!sec.seccompProfile) {
    const conf = loadContainersConf().seccompProfile;
    if (conf) sec.seccompProfile = conf;
  }
  if (sec.seccompProfile && sec.seccompProfile !== 'unconfined') profileOf(sec.seccompProfile); // fails early on a bad profile
  return sec;
}

const isInline = (v: string) => v.trimStart().startsWith('{');

function profileOf(value: string): SeccompProfile {
  return isInline(value) ? parseSeccompProfile(value, 'inline profile') : loadSeccompProfile(value).profile;
}

let cachedDefault: SeccompProfile | undefined;

/**
 * The seccomp section a container gets, or none: unconfined, or privileged
 * with no profile of its own (Podman lifts the default filter for --privileged).
 */
export function containerSeccomp(sec: SecurityConfig | undefined, privileged: boolean, caps: string[]): Seccomp | undefined {
  const file = sec?.seccompProfile ?? '';
  if (file === 'unconfined' || (privileged && !file)) return undefined;
  let profile: SeccompProfile;
  if (!file) {
    // The default profile is read once per process (the API service starts many containers).
    cachedDefault ??= loadSeccompProfile(undefined).profile;
    profile = cachedDefault;
  } else profile = profileOf(file);
  return seccompSection(profile, { caps });
}

/** Podman's AppArmor choice: only where AppArmor is enabled; privileged or unconfined means none. */
export function apparmorProfile(sec: SecurityConfig | undefined, privileged: boolean): string | undefined {
  const wanted = sec?.apparmorProfile ?? '';
  if (wanted === 'unconfined' || !apparmorEnabled()) return undefined;
  if (!wanted) {
    if (privileged) return undefined;
    const def = 'containers-default-0.50.1';
    return apparmorLoaded(def) ? def : undefined;
  }
  if (!apparmorLoaded(wanted)) throw new EngineError('invalid-argument', `AppArmor profile "${wanted}" specified but not loaded`);
  return wanted;
}

function apparmorEnabled(): boolean {
  try {
    return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

function apparmorLoaded(name: string): boolean {
  try {
    return fs.readFileSync('/sys/kernel/security/apparmor/profiles', 'utf8').split('\n').some((l) => l.startsWith(`${name} `));
  } catch {
    return false;
  }
}

/** Masked and read-only paths after mask=/unmask= (privileged: none, as before). */
export function confinedPaths(sec: SecurityConfig | undefined, privileged: boolean, masked: string[], readonly: string[]): { masked: string[]; readonly: string[] } {
  if (privileged) return { masked: [], readonly: [] };
  const unmask = sec?.unmask ?? [];
  const keep = (p: string) => !unmask.includes('ALL') && !unmask.includes(p);
  return {
    masked: [...new Set([...masked.filter(keep), ...(sec?.mask ?? [])])],
    readonly: readonly.filter(keep),
  };
}
