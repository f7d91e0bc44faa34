import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type Dockerode from 'dockerode';

/**
 * A Docker registry (distribution API v2, the part `docker pull` uses) on loopback, serving local
 * images under repository names, with HTTP Basic auth. No registry image can be
 * pulled in the sandbox; dockerd treats 127.0.0.0/8 as an insecure registry, so plain HTTP works.
 */
export interface FakeRegistry {
  /** `127.0.0.1:PORT`: the first part of image references served here. */
  host: string;
  /** `METHOD /path user` for each request (`-`: anonymous or no token). */
  requests: string[];
  stop(): Promise<void>;
}

export interface RegistryRepo {
  /** The local image served (as tag `1` or any other). */
  image: string;
  /** Users allowed to pull; absent: public (anyone, no credentials needed). */
  readers?: string[];
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Files of an uncompressed tar (as `docker save` writes it): 512-byte headers, padded bodies. */
const untar = (tar: Buffer): Map<string, Buffer> => {
  const files = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') break;
    const size = Number.parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    files.set(name, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
};

const imageBlobs = async (docker: Dockerode, image: string) => {
  const stream = await docker.getImage(image).get();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const files = untar(Buffer.concat(chunks));
  const [saved] = JSON.parse(files.get('manifest.json')?.toString() ?? '[]') as Array<{
    Config: string;
    Layers: string[];
  }>;
  if (!saved) throw new Error(`docker save of ${image} has no manifest.json`);
  const config = files.get(saved.Config);
  if (!config) throw new Error(`docker save of ${image} lacks ${saved.Config}`);
  const layers = saved.Layers.map((name) => gzipSync(files.get(name) ?? Buffer.alloc(0)));
  const blobs = new Map<string, Buffer>([
    [sha256(config), config],
    ...layers.map((l) => [sha256(l), l] as const),
  ]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: sha256(config),
      },
      layers: layers.map((layer) => ({
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: layer.length,
        digest: sha256(layer),
      })),
    }),
  );
  return { manifest, blobs };
};

export const startFakeRegistry = async (
  docker: Dockerode,
  repos: Record<string, RegistryRepo>,
  users: Record<string, string>,
): Promise<FakeRegistry> => {
  const served = new Map<string, Awaited<ReturnType<typeof imageBlobs>>>();
  for (const { image } of Object.values(repos)) {
    if (!served.has(image)) served.set(image, await imageBlobs(docker, image));
  }
  const requests: string[] = [];
  let host = '';
  // Token auth as Docker Hub and GHCR do it: /v2/ sends clients to /token, which takes Basic
  // credentials (or none: anonymous) and returns a bearer token naming the user.
  const basicUser = (request: IncomingMessage): string | undefined | false => {
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!basic) return undefined;
    const [user = '', password] = Buffer.from(basic, 'base64').toString().split(':');
    return users[user] !== undefined && users[user] === password ? user : false;
  };
  const bearerUser = (request: IncomingMessage): string | undefined => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const user = token ? Buffer.from(token, 'base64url').toString() : undefined;
    return user && users[user] !== undefined ? user : undefined;
  };
  const json = (response: ServerResponse, status: number, body: unknown, headers = {}) => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  const unauthorized = (response: ServerResponse) =>
    json(
      response,
      401,
      { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
      { 'WWW-Authenticate': `Bearer realm="http://${host}/token",service="fake-registry"` },
    );
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path.startsWith('/token')) {
      const user = basicUser(request);
      requests.push(`${request.method} /token ${user || '-'}`);
      if (user === false)
        return json(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
      const token = Buffer.from(user ?? 'anonymous').toString('base64url');
      return json(response, 200, { token, access_token: token, expires_in: 300 });
    }
    const user = bearerUser(request);
    requests.push(`${request.method} ${path} ${user ?? '-'}`);
    if (path === '/v2/' || path === '/v2') {
      if (!/^Bearer /.test(request.headers.authorization ?? '')) return unauthorized(response);
      return json(response, 200, {});
    }
    const found = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    const repo = found ? repos[found[1] ?? ''] : undefined;
    if (!found || !repo) {
      return json(response, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'no such repository' }] });
    }
    if (repo.readers && !(user && repo.readers.includes(user))) return unauthorized(response);
    const { manifest, blobs } = served.get(repo.image) ?? { manifest: Buffer.alloc(0), blobs: new Map() };
    const body = found[2] === 'manifests' ? manifest : blobs.get(found[3] ?? '');
    if (!body) {
      response.writeHead(404);
      response.end();
      return;
    }
    response.writeHead(200, {
      'Content-Type': found[2] === 'manifests' ? MANIFEST_TYPE : 'application/octet-stream',
      'Content-Length': body.length,
      'Docker-Content-Digest': found[2] === 'manifests' ? sha256(manifest) : (found[3] ?? ''),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fake registry has no port');
  host = `127.0.0.1:${address.port}`;
  return {
    host,
    requests,
    stop: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
};
