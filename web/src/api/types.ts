/** The server's shapes (JSON, snake_case), as the web app uses them. */

export const ROLES = ['admin', 'supervisor', 'auditor', 'staff'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  supervisor: 'Supervisor',
  auditor: 'Auditor',
  staff: 'Staff',
};

export interface User {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  active: boolean;
  has_pin: boolean;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
