/**
 * What the `demo:` section of heckler.yml stands for. The section expands into ordinary config
 * keys (a repository, three local nodes, Puppet directories per node, approvals) before the file is
 * validated; every key the file sets itself wins, so the demo only fills in what was left out.
 */

/** The demo's nodes: each runs on this machine (the `local` transport) in `<dir>/nodes/<name>`. */
export const DEMO_NODES = ['demo1', 'demo2', 'demo3'] as const;

/** Who wrote the demo repository's commits; chat users of the same name get their approvals. */
export const DEMO_AUTHORS = {
  alice: { name: 'Alice Archer', email: 'alice@example.com', handle: '@alice' },
  bob: { name: 'Bob Baker', email: 'bob@example.com', handle: '@bob' },
  carol: { name: 'Carol Cooper', email: 'carol@example.com', handle: '@carol' },
  dave: { name: 'Dave Dixon', email: 'dave@example.com', handle: '@dave' },
} as const;
export type DemoAuthor = (typeof DEMO_AUTHORS)[keyof typeof DEMO_AUTHORS];

/**
 * Puppet keeps its state, caches and run lock in these directories; each demo node gets its own
 * under its workDir (`{workDir}` is expanded per node), so nothing touches the machine's Puppet.
 */
export const DEMO_PUPPET_ARGS: readonly string[] = [
  ...['vardir', 'confdir', 'codedir', 'logdir', 'rundir', 'publicdir'].flatMap((dir) => [
    `--${dir}`,
    `{workDir}/puppet/${dir.replace(/dir$/, '')}`,
  ]),
];

/** Directories that end up in node workDirs and in Puppet's command line: kept plain. */
export const PLAIN_ABSOLUTE_PATH = /^(?:\/[A-Za-z0-9_.-]+)+$/;

export const demoRepoDir = (dir: string) => `${dir}/repo`;
export const demoNodeDir = (dir: string, node: string) => `${dir}/nodes/${node}`;
/** Where a demo node's managed files live: the only place the demo manifests write to. */
export const demoFilesDir = (dir: string, node: string) => `${demoNodeDir(dir, node)}/files`;

/**
 * The config keys the demo stands for, in heckler.yml's shape. `dir` is absolute; `users` are the
 * file's `users:` (id → name), used to map the demo authors to chat users by name.
 */
export const demoDefaults = (dir: string, users: Readonly<Record<string, unknown>>) => {
  const idOf = new Map(
    Object.entries(users).flatMap(([id, name]) => (typeof name === 'string' ? [[name, id] as const] : [])),
  );
  const authors = Object.entries(DEMO_AUTHORS).flatMap(([name, author]) => {
    const id = idOf.get(name);
    return id === undefined ? [] : [{ ...author, id }];
  });
  return {
    repo: { url: demoRepoDir(dir), branch: 'main' },
    puppet: { args: [...DEMO_PUPPET_ARGS] },
    fleet: {
      nodes: Object.fromEntries(
        DEMO_NODES.map((name) => [name, { transport: 'local', workDir: demoNodeDir(dir, name) }]),
      ),
      sets: { canaries: { nodes: [DEMO_NODES[0]] } },
      applyOrder: ['canaries', 'all'],
    },
    approvals: {
      owners: Object.fromEntries(authors.map((author) => [author.handle, author.id])),
      people: Object.fromEntries(authors.map((author) => [author.email, author.id])),
    },
  };
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `given` with every key of `defaults` it lacks filled in, objects merged key by key. What `given`
 * has — a scalar, a list — stays as it is: the file always wins. A `null` where the default is an
 * object means "every default" (as `demo1: null` does in fleet.nodes), so it is filled in too.
 */
export const fillMissing = (given: Record<string, unknown>, defaults: Record<string, unknown>) => {
  const merged: Record<string, unknown> = { ...given };
  for (const [key, value] of Object.entries(defaults)) {
    const mine = merged[key];
    if (mine === undefined || (mine === null && isPlainObject(value))) merged[key] = value;
    else if (isPlainObject(mine) && isPlainObject(value)) merged[key] = fillMissing(mine, value);
  }
  return merged;
};
