import {
  type EvaluationContext,
  FlagNotFoundError,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  TargetingKeyMissingError,
  TypeMismatchError,
} from '@openfeature/server-sdk';
import type { FeatureFlags } from './flags.service.ts';

/**
 * Our flags for OpenFeature clients in this process: evaluated from the flags' memory, no I/O.
 * The evaluation context's `targetingKey` is the user id and its `role` attribute the user's
 * role. Our flags are boolean; asking one for another type is a type mismatch.
 */
export class FeatureFlagsProvider implements Provider {
  readonly metadata = { name: 'stock-verify feature flags' } as const;
  readonly runsOn = 'server' as const;

  constructor(private readonly flags: FeatureFlags) {}

  async resolveBooleanEvaluation(
    flagKey: string,
    _defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    const userId = typeof context.targetingKey === 'string' ? context.targetingKey : null;
    const role = typeof context.role === 'string' ? context.role : null;
    const evaluation = this.flags.evaluate(flagKey, { userId, role });
    if (!evaluation) throw new FlagNotFoundError(`No feature flag "${flagKey}"`);
    if (evaluation.targetingKeyMissing) {
      throw new TargetingKeyMissingError(`"${flagKey}" rolls out by user: the context needs a targetingKey`);
    }
    return {
      value: evaluation.value,
      reason: evaluation.reason,
      variant: evaluation.value ? 'on' : 'off',
    };
  }

  resolveStringEvaluation(flagKey: string): Promise<ResolutionDetails<string>> {
    return this.mismatch(flagKey);
  }

  resolveNumberEvaluation(flagKey: string): Promise<ResolutionDetails<number>> {
    return this.mismatch(flagKey);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>> {
    return this.mismatch(flagKey);
  }

  private async mismatch(flagKey: string): Promise<never> {
    throw new TypeMismatchError(`Feature flag "${flagKey}" is boolean`);
  }
}
