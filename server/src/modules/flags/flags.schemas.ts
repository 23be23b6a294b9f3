import { Type } from 'typebox';
import { ROLES } from '../../platform/http/access.ts';
import { nullable, stringEnum } from '../../platform/http/openapi.ts';
import { FLAG_STATES } from './evaluate.ts';
import { FLAG_KEY_PATTERN } from './flags.service.ts';

export const FlagKey = Type.String({
  pattern: FLAG_KEY_PATTERN,
  description: 'Lower-case letter, then 1–63 of a-z 0-9 _ . - (e.g. new_dashboard)',
});

export const FlagKeyParams = Type.Object({ key: FlagKey });

const State = stringEnum(FLAG_STATES);
const Percentage = Type.Integer({
  minimum: 0,
  maximum: 100,
  description: 'Gradual rollout: users whose bucket (1–100) is at most this get the flag',
});
const AllowedUsers = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  maxItems: 1000,
  description: 'User ids that always get the flag while it is enabled',
});
const AllowedRoles = Type.Array(stringEnum(ROLES), {
  maxItems: ROLES.length,
  description: 'Roles whose users always get the flag while it is enabled',
});

export const FlagSchema = Type.Object(
  {
    key: Type.String(),
    name: Type.String(),
    description: Type.String(),
    state: State,
    percentage: nullable(Type.Integer()),
    allowed_users: Type.Array(Type.String()),
    allowed_roles: Type.Array(Type.String()),
    built_in: Type.Boolean({ description: 'A default flag the product gates on: cannot be deleted' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    created_by: nullable(Type.String()),
    updated_by: nullable(Type.String()),
  },
  { title: 'FeatureFlag' },
);

export const FlagListSchema = Type.Object({
  evaluation_enabled: Type.Boolean({
    description: 'FEATURE_FLAGS_ENABLED: when false every flag evaluates to its built-in default',
  }),
  cache_ttl_seconds: Type.Integer({ description: 'FEATURE_FLAGS_CACHE_TTL' }),
  items: Type.Array(FlagSchema),
});

export const NewFlagBody = Type.Object(
  {
    key: FlagKey,
    name: Type.Optional(Type.String({ maxLength: 200, description: 'Defaults to the key' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    state: Type.Optional({ ...State, description: 'enabled | disabled (default disabled)' }),
    percentage: Type.Optional(nullable(Percentage)),
    allowed_users: Type.Optional(AllowedUsers),
    allowed_roles: Type.Optional(AllowedRoles),
  },
  { additionalProperties: false },
);

export const FlagChangesBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    state: Type.Optional(State),
    percentage: Type.Optional(nullable(Percentage)),
    allowed_users: Type.Optional(AllowedUsers),
    allowed_roles: Type.Optional(AllowedRoles),
  },
  { additionalProperties: false },
);

export const Reason = stringEnum(['TARGETING_MATCH', 'SPLIT', 'DEFAULT', 'DISABLED'] as const);

export const FlagCheckSchema = Type.Object({
  key: Type.String(),
  enabled: Type.Boolean(),
  reason: Reason,
});

export const EnabledFlagsSchema = Type.Object({
  flags: Type.Array(Type.String(), { description: 'The keys of the flags that are on for you' }),
});
