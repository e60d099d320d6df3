// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, written in its
// bundle and bind-mounted (the image's own files stay untouched).
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeEtcFiles(
  bundle: string,
  hostname: string,
  network: 'none' | 'host' | 'private',
): { hosts: string; hostname: string; resolvConf: string } {
  const files = {
    hosts: path.join(bundle, 'hosts'),
    hostname: path.join(bundle, 'hostname'),
    resolvConf: path.join(bundle, 'resolv.conf'),
  };
  let hosts = '127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n';
  if (network === 'host') {
    try {
      hosts = fs.readFileSync('/etc/hosts', 'utf8');
    } catch {
      /* keep the default */
    }
  }
  hosts += `127.0.1.1\t${hostname}\n`;
  let resolv = '';
  try {
    resolv = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* none on the host */
  }
  fs.writeFileSync(files.hosts, hosts);
  fs.writeFileSync(files.hostname, `${hostname}\n`);
  fs.writeFileSync(files.resolvConf, resolv);
  return files;
}
