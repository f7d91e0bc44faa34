/** Delta noops and approvals, the pure half: subtraction, grouping, host lists, ownership, approval rules. */
export type { ApprovalRequest, ApprovalVerdict, Deciders, Decision, DecisionResult } from './approval.js';
export {
  approvalStands,
  authorChatIds,
  autoApprove,
  decide,
  deciders,
  deltaWithin,
  mayApprove,
  standingDecision,
} from './approval.js';
export { canonicalChange, changeHash, identityKey, sameChange } from './change-key.js';
export type { Codeowners, CodeownersProblem, CodeownersRule } from './codeowners.js';
export { ownersOf, parseCodeowners } from './codeowners.js';
export type { NodeState } from './fleet-state.js';
export { fleetStateHash, noopCacheKey } from './fleet-state.js';
export type {
  ChangeGroup,
  ChangeSource,
  DeltaCounts,
  EvalErrorGroup,
  FailureGroup,
  GroupedDelta,
  IgnoreRule,
  ParentErrorGroup,
} from './group.js';
export { groupDeltas, groupsNeedingApproval } from './group.js';
export { compressHosts, expandHost, expandHosts, naturalCompare } from './hostlist.js';
export type { ChatIdMap, Ownership, OwnershipOptions } from './ownership.js';
export { chatIdsOf, moduleDirOf, ownersOfChange, ownersOfEvalError } from './ownership.js';
export type { DeltaInput, DeltaKind, NodeDelta, NodeNoop, ParentError, ParentNoop } from './subtract.js';
export { deltaForNode, notInLineage, subtractParents } from './subtract.js';
