import { requireRole } from '../auth.js';

/** The role checks every route module applies (the route table and docs/API.md read them). */
export const guards = () => ({ operator: { preHandler: requireRole('operator') }, owner: { preHandler: requireRole('owner') } });
export type Guards = ReturnType<typeof guards>;
