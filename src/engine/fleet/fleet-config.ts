/**
 * The fleet as heckler.yml's `fleet:` section describes it (src/config/fleet-schema.ts parses it
 * into this shape). Declared here so the engine needs no config module; only what the engine reads.
 */
export type TransportKind = 'ssh' | 'local';

/** One node; what it leaves out comes from the fleet-wide defaults. */
export interface FleetNodeConfig {
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  key?: string | undefined;
  certname?: string | undefined;
  workDir?: string | undefined;
  transport?: TransportKind | undefined;
}

/** Exactly one way of naming members: a list, a glob over node names, or a command printing names. */
export interface FleetSetConfig {
  nodes?: readonly string[] | undefined;
  pattern?: string | undefined;
  command?: string | undefined;
}

export interface FleetConfig {
  transport: TransportKind;
  workDir: string;
  ssh: { user: string; port: number; key?: string | undefined; concurrency: number };
  nodes: Readonly<Record<string, FleetNodeConfig | null>>;
  sets: Readonly<Record<string, FleetSetConfig>>;
  /** Sets applied one after the other; `all` means every node not yet applied. */
  applyOrder: readonly string[];
}
