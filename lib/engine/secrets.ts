// The secret part of the Engine contract (Podman's SecretCreate/List/Inspect/
// Remove/Exists) and its in-process implementation. Results are libpod's
// secret documents (SecretInfoReport), so the CLI prints the same either way.
import type { LocalEngine } from '../container/engine';
import { EngineError } from '../errors';
import { createSecret, filterSecrets, getSecret, inspectSecret, listSecrets, removeSecret, type SecretCreate } from '../secret/secrets';

export type { SecretCreate };

export interface SecretInspect {
  ID: string;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Driver: { Name: string; Options: Record<string, string> }; Labels: Record<string, string> };
}

export interface SecretEngine {
  /** Resolves with the new secret's id. */
  createSecret(req: SecretCreate): Promise<string>;
  listSecrets(filters: Map<string, string[]>): Promise<SecretInspect[]>;
  inspectSecret(nameOrId: string): Promise<SecretInspect>;
  secretExists(nameOrId: string): Promise<boolean>;
  /** Resolves with the removed secret's id. */
  removeSecret(nameOrId: string): Promise<string>;
}

export class LocalSecrets implements SecretEngine {
  constructor(private readonly local: LocalEngine) {}

  async createSecret(req: SecretCreate): Promise<string> {
    return createSecret(this.local.store, req).id;
  }

  async listSecrets(filters: Map<string, string[]>): Promise<SecretInspect[]> {
    return filterSecrets(listSecrets(this.local.store), filters).map((s) => inspectSecret(s) as unknown as SecretInspect);
  }

  async inspectSecret(nameOrId: string): Promise<SecretInspect> {
    return inspectSecret(getSecret(this.local.store, nameOrId)) as unknown as SecretInspect;
  }

  async secretExists(nameOrId: string): Promise<boolean> {
    try {
      getSecret(this.local.store, nameOrId);
      return true;
    } catch (e) {
      if (e instanceof EngineError && e.kind === 'no-such-object') return false;
      throw e;
    }
  }

  async removeSecret(nameOrId: string): Promise<string> {
    return removeSecret(this.local.store, nameOrId);
  }
}
