import { ROLE_LABELS, ROLES, type Role } from '../../api/types.ts';

/** One option per role, labelled as users see it. */
export function RoleOptions() {
  return ROLES.map((value) => (
    <option key={value} value={value}>
      {ROLE_LABELS[value]}
    </option>
  ));
}

/** The role as a coloured badge. */
export function RoleBadge({ role }: { role: Role }) {
  return <span className={`badge badge-${role}`}>{ROLE_LABELS[role]}</span>;
}
