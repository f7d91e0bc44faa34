import { HecklerError } from '../../engine/errors.js';

/** Errors that mean the engine itself could not be reached, not that it refused a request. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EACCES',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The HTTP status of a refusal from the engine (404 no such container, 409 conflict …). */
export const statusOf = (error: unknown): number | undefined => {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/** The engine's own words from a refusal, without dockerode's "(HTTP code 404) …" wrapping. */
export const reasonOf = (error: unknown): string => {
  const json = (error as { json?: unknown } | null)?.json;
  const message = (json as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return String(error);
};

export const engineUnavailable = (host: string, cause: unknown, detail?: string): HecklerError =>
  new HecklerError(
    'ENGINE_UNAVAILABLE',
    `the Docker engine at ${host} is not answering (${detail ?? reasonOf(cause)})`,
    { hint: 'check that dockerd runs on that host and that the address in the config is right', cause },
  );

/** The engine's certificate failed our check against `tls.ca` (Node's verification codes). */
const serverCertCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const unavailable = (host: string, words: string, hint: string, cause: unknown): HecklerError =>
  new HecklerError('ENGINE_UNAVAILABLE', `the Docker engine at ${host} ${words}`, { hint, cause });

/** TLS trouble in words: which side refused, and which of the host's `tls` files to check. */
const tlsProblem = (host: string, error: unknown): HecklerError | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && serverCertCodes.has(code)) {
    return unavailable(
      host,
      `has a TLS certificate we cannot verify (${reason})`,
      "check tls.ca of this host in builds.docker.hosts: it must be the CA that signed the engine's certificate (dockerd --tlscert), issued for the host named in the address",
      error,
    );
  }
  if (typeof code === 'string' && /^ERR_SSL_.*ALERT/.test(code)) {
    const alert = /alert ([a-z ]+?)(?::|$)/.exec(reason)?.[1] ?? code;
    return unavailable(
      host,
      `refused our TLS client certificate (${alert})`,
      'check tls.cert and tls.key of this host in builds.docker.hosts: a client certificate signed by the CA the engine trusts (dockerd --tlscacert), for client authentication',
      error,
    );
  }
  if (code === 'EPROTO' || (typeof code === 'string' && code.startsWith('ERR_SSL_'))) {
    return unavailable(
      host,
      `could not be reached over TLS (${reason})`,
      'check that the engine listens with TLS on that port, or remove tls from this host in builds.docker.hosts',
      error,
    );
  }
  if (statusOf(error) === 400 && reasonOf(error).includes('HTTP request to an HTTPS server')) {
    return unavailable(
      host,
      'requires TLS',
      'add tls (ca, cert, key: PEM files) to this host in builds.docker.hosts, or with DOCKER_HOST set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH',
      error,
    );
  }
  return undefined;
};

export interface CallOptions {
  host: string;
  /** dockerode's own `timeout` would also cut long streams; each short call gets its own limit. */
  timeoutMs: number;
  /** The caller's abort (a killed build): its reason is rethrown untouched. */
  signal?: AbortSignal | undefined;
}

/**
 * One request to the engine with a deadline. Connection failures and deadlines become
 * ENGINE_UNAVAILABLE; the engine's refusals (404, 409, 500) pass through for the caller to judge.
 * The signal handed to `operation` aborts the request where dockerode supports it; the race below
 * holds the deadline even where it does not (image inspect, a hijacked exec start).
 */
export const engineCall = async <T>(
  { host, timeoutMs, signal }: CallOptions,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> => {
  signal?.throwIfAborted();
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const late = () => engineUnavailable(host, undefined, `no answer within ${timeoutMs / 1000} s`);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.aborted ? signal.reason : late());
    combined.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const pending = operation(combined);
  try {
    return await Promise.race([pending, aborted]);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (deadline.aborted) throw late();
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && connectionCodes.has(code)) throw engineUnavailable(host, error);
    throw tlsProblem(host, error) ?? error;
  } finally {
    combined.removeEventListener('abort', onAbort);
    // A result that arrives after we gave up: close a stream nobody will read.
    if (combined.aborted) void pending.then(closeLeftover, () => undefined);
  }
};

const closeLeftover = (value: unknown): void => {
  const stream = value as { destroy?: unknown } | null;
  if (stream && typeof stream.destroy === 'function') stream.destroy();
};
