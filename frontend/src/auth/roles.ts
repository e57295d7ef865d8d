import type { Role } from '../api/types';

export const ROLES: Role[] = ['owner', 'admin', 'developer', 'viewer'];

const rank: Record<Role, number> = { viewer: 1, developer: 2, admin: 3, owner: 4 };

/** atLeast mirrors identity.Role.AtLeast: owner > admin > developer > viewer. */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && rank[role] >= rank[min];
}

/**
 * What each role may do in the console, from docs/permissions.md. The server
 * enforces it; the console only stops offering what would be refused.
 */
export const permissions = {
  createApi: 'developer',
  editApi: 'developer',
  deleteApi: 'admin',
  createVersion: 'developer',
  transitionVersion: 'admin',
  deleteVersion: 'admin',
  editEndpoint: 'developer',
  editIntegration: 'developer',
  deleteIntegration: 'admin',
  testIntegration: 'developer',
  editConsumer: 'developer',
  deleteConsumer: 'admin',
  issueCredential: 'developer',
  purgeCache: 'developer',
  manageJwtIssuers: 'admin',
  manageSecrets: 'admin',
  manageWebhooks: 'admin',
  testWebhook: 'developer',
  redeliverWebhook: 'admin',
  uploadModule: 'developer',
  sweepModules: 'admin',
  editTransform: 'developer',
  deleteTransform: 'admin',
  editWorkflow: 'developer',
  runWorkflow: 'developer',
  publishWorkflow: 'admin',
  deleteWorkflow: 'admin',
  readAudit: 'admin',
  manageMembers: 'owner',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof permissions;

export function can(role: Role | undefined, p: Permission): boolean {
  return atLeast(role, permissions[p]);
}
