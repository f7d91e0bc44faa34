/**
 * How the engine runs build containers. The Docker adapter (src/adapters/docker) implements it;
 * the engine never sees dockerode types. Every call that can fail because the engine is down
 * rejects with a HecklerError `ENGINE_UNAVAILABLE`; a missing image that cannot be pulled rejects
 * with `IMAGE_MISSING`.
 */

/** Credentials for one registry, from config; sent to the engine, never into a container. */
export interface RegistryAuth {
  username: string;
  password: string;
  /** e.g. `registry.example.com`; Docker Hub when absent. */
  serveraddress?: string;
}

/** What a build container may use; the engine enforces it (cgroups), the build sees failures. */
export interface ContainerLimits {
  /** Memory and swap together: a build past it is killed by the OOM killer. */
  memoryBytes: number;
  /** CPU time, in CPUs (1.5 = one and a half); hosts with fewer CPUs give all they have. */
  cpus: number;
  /** Processes and threads at once; a fork past it fails. */
  pids: number;
}

/** When a StartSpec names none. */
export const DEFAULT_CONTAINER_LIMITS: ContainerLimits = {
  memoryBytes: 2 * 1024 ** 3,
  cpus: 2,
  pids: 1024,
};

/** Which limits a container's processes ran into since it started. */
export interface LimitsReached {
  /** The kernel's OOM killer killed a process in it (or the container itself). */
  outOfMemory: boolean;
  /** A fork or clone was refused at the pids limit. */
  pids: boolean;
}

export interface StartSpec {
  image: string;
  labels: Record<string, string>;
  /** Created by the engine when missing; stages run here and the tree is copied here. */
  workdir: string;
  env?: Record<string, string>;
  /** Docker network mode; `none` (no network at all) unless the config says otherwise. */
  network?: string;
  /**
   * DEFAULT_CONTAINER_LIMITS when absent. Whatever is asked, containers run without host mounts,
   * with all capabilities dropped but the few builds need, and without gaining privileges.
   */
  limits?: ContainerLimits;
}

export type OutputStream = 'stdout' | 'stderr';

export interface ContainerExec {
  /** Run as `sh -e -c SCRIPT`: the first failing command ends it with that command's exit code. */
  script: string;
  env?: Record<string, string>;
  workdir?: string;
  /**
   * Abort: the call rejects with the signal's reason at once. Docker cannot kill one exec, so
   * the process keeps running until the caller kills the container.
   */
  signal?: AbortSignal;
  onOutput?: (chunk: Buffer, stream: OutputStream) => void;
}

export interface ContainerInfo {
  id: string;
  /** Docker's name without the leading slash. */
  name: string;
  image: string;
  labels: Record<string, string>;
  running: boolean;
  /** Epoch milliseconds. */
  createdAt: number;
}

export interface ImageCleanup {
  /** Only images created longer ago than this, and used by no container (running or not). */
  olderThanMs: number;
  /** Images carrying this label (`key` or `key=value`) are ours. */
  label?: string;
  /** Image names that are ours: `repo:tag`, or `repo` for every tag of it. */
  names?: readonly string[];
}

export interface ContainerRuntime {
  /** The engine's address (`unix:///var/run/docker.sock`, `tcp://ci1:2375`), for records and messages. */
  readonly host: string;
  /** Resolves when the engine answers; ENGINE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Present locally → done; otherwise pulled (with `auth` when given); IMAGE_MISSING when that fails. */
  ensureImage(image: string, options?: { auth?: RegistryAuth; signal?: AbortSignal }): Promise<void>;
  /** Creates and starts a container that only sleeps, so stages can be exec'd into it one by one. */
  start(spec: StartSpec): Promise<{ id: string }>;
  /** Unpacks an uncompressed tar into `path` (an existing directory, such as the workdir). */
  copyIn(id: string, tar: Buffer, path: string): Promise<void>;
  /** Exit code as the engine reports it; an exec whose code the engine cannot tell is an error. */
  exec(id: string, options: ContainerExec): Promise<{ exitCode: number }>;
  /**
   * Which limits the container ran into, to explain a stage that failed. Unknown counts as not
   * reached (an engine or image that cannot tell); a container that is gone is an error.
   */
  limitsReached(id: string): Promise<LimitsReached>;
  /** SIGKILL; a container that is already stopped or gone is fine. */
  kill(id: string): Promise<void>;
  /** Kills if needed and removes with its anonymous volumes; gone already is fine. */
  remove(id: string): Promise<void>;
  /** Undefined when there is no such container. */
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /** Containers (running or not) carrying every label: `{ key: true }` matches any value. */
  list(labels: Record<string, string | true>): Promise<ContainerInfo[]>;
  /** Removes unused old images we can tell are ours; returns the names (or ids) removed. */
  removeImages(cleanup: ImageCleanup): Promise<string[]>;
}

/** A claimed place on one Docker host; `release` gives it back (idempotent). */
export interface HostSlot {
  host: string;
  runtime: ContainerRuntime;
  release(): void;
}

/** Several Docker hosts, each with a capacity of concurrent builds. */
export interface ContainerHosts {
  /** Claims a slot on a host with free capacity, or undefined when every host is full. */
  acquire(): HostSlot | undefined;
  /** The runtime of a host by its address (for kill, reconcile and the janitor). */
  runtime(host: string): ContainerRuntime | undefined;
  all(): ContainerRuntime[];
}
