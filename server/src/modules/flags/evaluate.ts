import { murmur3_32 } from './murmur3.ts';

export const FLAG_STATES = ['enabled', 'disabled'] as const;
export type FlagState = (typeof FLAG_STATES)[number];

/** Why a flag answered as it did (OpenFeature's reason names). */
export type EvaluationReason = 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'DISABLED';

/** What evaluation needs of a flag: its rules, nothing of its bookkeeping. */
export interface FlagRules {
  key: string;
  state: FlagState;
  /** 0–100, or null: no gradual rollout. */
  percentage: number | null;
  allowed_users: readonly string[];
  allowed_roles: readonly string[];
}

/** Who is asking: a user id (OpenFeature's targetingKey) and their role. */
export interface Subject {
  userId: string | null;
  role: string | null;
}

export interface Evaluation {
  value: boolean;
  reason: EvaluationReason;
  /** The rollout needed a user id and the subject had none: the value is off. */
  targetingKeyMissing?: true;
}

/**
 * The user's stable bucket, 1–100, for this flag: Unleash's `normalizedStrategyValue(userId,
 * groupId)` with the flag key as group id, so the same users are in a rollout here and there, on
 * every process and machine, and a user's bucket never depends on anyone else.
 */
export function bucketOf(flagKey: string, userId: string): number {
  return (murmur3_32(`${flagKey}:${userId}`, 0) % 100) + 1;
}

/**
 * The one evaluation rule (README "Feature flags"), in this order:
 * 1. `disabled` → off (DISABLED);
 * 2. the user is in `allowed_users`, or their role in `allowed_roles` → on (TARGETING_MATCH);
 * 3. a percentage is set → on when the user's bucket ≤ percentage (SPLIT); so raising the
 *    percentage only ever adds users;
 * 4. no targeting at all → on (DEFAULT);
 * 5. targeting but no percentage, and the user is not targeted → off (DEFAULT): a targeted
 *    flag is for its targets only.
 */
export function evaluateFlag(flag: FlagRules, subject: Subject): Evaluation {
  if (flag.state !== 'enabled') return { value: false, reason: 'DISABLED' };
  if (
    (subject.userId !== null && flag.allowed_users.includes(subject.userId)) ||
    (subject.role !== null && flag.allowed_roles.includes(subject.role))
  ) {
    return { value: true, reason: 'TARGETING_MATCH' };
  }
  if (flag.percentage !== null) {
    if (subject.userId === null) return { value: false, reason: 'DEFAULT', targetingKeyMissing: true };
    return { value: bucketOf(flag.key, subject.userId) <= flag.percentage, reason: 'SPLIT' };
  }
  const targeted = flag.allowed_users.length > 0 || flag.allowed_roles.length > 0;
  return { value: !targeted, reason: 'DEFAULT' };
}
