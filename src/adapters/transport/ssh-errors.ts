import type { NodeSpec } from '../../engine/ports/transport.js';
import { seconds } from './output.js';

interface SshFailure {
  message?: string;
  code?: string;
  /** ssh2 tags its errors: client-socket, client-timeout, client-authentication, handshake, protocol… */
  level?: string;
}

/**
 * Why a connection failed, in words an operator can act on. ssh2's own messages ("All configured
 * authentication methods failed") name neither the node nor the fix.
 */
export const describeConnectError = (error: unknown, node: NodeSpec, connectTimeoutMs: number): string => {
  const failure: SshFailure =
    typeof error === 'object' && error !== null ? error : { message: String(error) };
  const where = `${node.host}:${node.port}`;
  const message = failure.message ?? 'unknown error';
  // node-ssh reports any close before login as this, tagged ETIMEDOUT even when nothing timed out.
  if (message === 'No response from server' || message === 'Connection lost before handshake') {
    return `${where} closed the connection before login completed`;
  }
  switch (failure.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where}: is sshd running and listening on that port?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host name '${node.host}' (DNS): check fleet.nodes.${node.name}.host`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${where} (${failure.code}): is the node up and on the network?`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${where} closed the connection during login (sshd MaxStartups reached, or a firewall?)`;
    case 'ETIMEDOUT':
      return noAnswer(where, connectTimeoutMs);
  }
  if (failure.level === 'client-timeout') return noAnswer(where, connectTimeoutMs);
  if (failure.level === 'client-authentication') {
    const key = node.keyPath ?? 'the default keys (~/.ssh/id_*)';
    return (
      `ssh login as '${node.user}' on ${where} was refused with key ${key}: ` +
      `is its public key in ~${node.user}/.ssh/authorized_keys on the node?`
    );
  }
  return `ssh to ${where} failed: ${message}`;
};

const noAnswer = (where: string, ms: number) =>
  `no answer from ${where} within ${seconds(ms)}: the node is down, unreachable, or overloaded`;
