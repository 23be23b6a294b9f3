import { ROLES, type Role } from '../../api/types.ts';

/**
 * The app's sections. A feature adds one entry here (and its page in App.tsx); the header shows
 * each user only the entries their role may open, and the same list guards the routes.
 */
export interface NavItem {
  label: string;
  path: string;
  roles: readonly Role[];
  /** One line for the home page: what this section is for. */
  summary: string;
}

const EVERYONE = ROLES;

export const NAV_ITEMS: readonly NavItem[] = [
  { label: 'Home', path: '/', roles: EVERYONE, summary: 'Who you are signed in as, and what you can do.' },
  {
    label: 'Counting',
    path: '/counting',
    roles: ['admin', 'supervisor', 'auditor'],
    summary: 'Plan stock counts, watch their progress, review variances, approve and post; reports.',
  },
  {
    label: 'Count',
    path: '/count',
    roles: ['staff', 'supervisor', 'admin'],
    summary: 'Count your assigned locations: scan the location, then scan what is there. Works offline.',
  },
  {
    label: 'Items',
    path: '/items',
    roles: EVERYONE,
    summary: 'Find an item by code, name or barcode; see its costs, units and barcodes.',
  },
  {
    label: 'Locations',
    path: '/locations',
    roles: EVERYONE,
    summary: 'Warehouses and their locations: zones, aisles, racks and bins.',
  },
  {
    label: 'Stock levels',
    path: '/stock-levels',
    roles: ['admin', 'supervisor', 'auditor'],
    summary: 'Book quantities per item and location, as last imported from the ERP.',
  },
  {
    label: 'Imports',
    path: '/imports',
    roles: ['admin', 'supervisor'],
    summary: 'Load items and stock levels from a CSV or Excel file, with a dry run first.',
  },
  {
    label: 'Users',
    path: '/users',
    roles: ['admin'],
    summary: 'Create accounts, set roles and PINs, deactivate people who have left, reset passwords.',
  },
  {
    label: 'Audit',
    path: '/audit',
    roles: ['admin', 'auditor'],
    summary: 'The tamper-evident audit trail: who did what and when, its integrity, compliance reports.',
  },
  {
    label: 'Security',
    path: '/security',
    roles: ['admin', 'auditor'],
    summary: 'Security status and events; for admins, IP lists, locked accounts and sessions.',
  },
  {
    label: 'Integrations',
    path: '/integrations',
    roles: ['admin', 'auditor'],
    summary: 'ERP connectors and their connection tests, sync jobs and history, circuit breakers, delivery.',
  },
  {
    label: 'Governance',
    path: '/governance',
    roles: ['admin', 'auditor'],
    summary:
      'What personal data is held and why, retention policies, data subject requests, the compliance report.',
  },
  {
    label: 'Feature flags',
    path: '/flags',
    roles: ['admin'],
    summary: 'Switch features on and off, roll them out to a share of users, or target users and roles.',
  },
  {
    label: 'My account',
    path: '/account',
    roles: EVERYONE,
    summary: 'Two-factor sign-in and your password.',
  },
];

export function navFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((item) => item.roles.includes(role));
}

/** The section a path belongs to: "/" only itself, any other section also its sub-paths. */
export function sectionOf(pathname: string): NavItem | undefined {
  return NAV_ITEMS.find((item) =>
    item.path === '/' ? pathname === '/' : pathname === item.path || pathname.startsWith(`${item.path}/`),
  );
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  admin: 'You manage who can use Stock Verify: user accounts, roles, PINs and passwords.',
  supervisor: 'You run stock counts: assign counting work, review variances and approve adjustments.',
  auditor: 'You review counts and adjustments with read access, to confirm nothing was altered.',
  staff: 'You count stock on the warehouse floor and record what you find.',
};
