import { Type } from 'typebox';
import { CursorQuery, LimitQuery, pageSchema } from '../../platform/http/pagination.ts';

export const RoleSchema = Type.Union(
  [Type.Literal('admin'), Type.Literal('supervisor'), Type.Literal('auditor'), Type.Literal('staff')],
  { description: 'admin | supervisor | auditor | staff' },
);

export const Username = Type.String({
  minLength: 3,
  maxLength: 64,
  pattern: '^[A-Za-z0-9._@-]+$',
  description: '3 to 64 letters, digits or . _ @ - (unique regardless of case)',
});
export const DisplayName = Type.String({ minLength: 1, maxLength: 120 });
export const Password = Type.String({ minLength: 1, maxLength: 256 });
export const Pin = Type.String({ pattern: '^[0-9]{6,12}$', description: '6 to 12 digits' });
export const Uuid = Type.String({ format: 'uuid' });

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    display_name: Type.String(),
    role: RoleSchema,
    active: Type.Boolean(),
    has_pin: Type.Boolean(),
    mfa_enabled: Type.Boolean({ description: 'Two-factor sign-in (TOTP) is on' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'User' },
);

export const UserIdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const CreateUserBody = Type.Object(
  {
    username: Username,
    display_name: DisplayName,
    role: RoleSchema,
    password: Password,
    pin: Type.Optional(Pin),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    display_name: Type.Optional(DisplayName),
    role: Type.Optional(RoleSchema),
    active: Type.Optional(Type.Boolean()),
    pin: Type.Optional(Type.Union([Pin, Type.Null()], { description: 'A new PIN, or null to remove it' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ResetPasswordBody = Type.Object({ new_password: Password }, { additionalProperties: false });

export const ListUsersQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    role: Type.Optional(RoleSchema),
    active: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** Sorted by username. */
export const UserPageSchema = pageSchema(UserSchema, 'UserPage');

export const ListCountersQuery = Type.Object(
  {
    limit: LimitQuery,
    cursor: CursorQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** What a supervisor needs to assign a counter: no role, status or security fields. */
export const CounterSchema = Type.Object(
  { id: Type.String(), username: Type.String(), display_name: Type.String() },
  { title: 'Counter' },
);
export const CounterPageSchema = pageSchema(CounterSchema, 'CounterPage');
