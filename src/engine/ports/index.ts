export type { Chat, ChatFile, MessageRef } from './chat.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { Logger } from './logger.js';
export type { Block, Button, Field, Message } from './message.js';
export { message } from './message.js';
export type { CodeRepo, CommitInfo, Person, RefNames } from './repo.js';
export type { HeldLock, LockInfo, LockRequest, Locks, Store } from './store.js';
export type { ExecOptions, ExecResult, ExecStatus, NodeSpec, NodeTransport } from './transport.js';
