import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../../platform/http/access.ts';
import { errorResponses } from '../../../platform/http/openapi.ts';
import { CircuitBreakersResponse } from './circuit-breakers.schemas.ts';
import type { CircuitBreakers } from './registry.ts';

/** The guide's monitoring endpoint: every breaker's state (admins and auditors read it). */
export function circuitBreakersRoutes(breakers: CircuitBreakers): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/enterprise/circuit-breakers',
      {
        config: { access: access.roles('admin', 'auditor') },
        schema: {
          tags: ['integrations'],
          summary: 'Circuit breakers: state, counts, last failure, next attempt',
          response: { 200: CircuitBreakersResponse, ...errorResponses(401, 403) },
        },
      },
      async () => {
        const circuitBreakers = breakers.snapshot();
        const count = (state: string) => circuitBreakers.filter((breaker) => breaker.state === state).length;
        return {
          circuit_breakers: circuitBreakers,
          summary: {
            total: circuitBreakers.length,
            closed: count('closed'),
            open: count('open'),
            half_open: count('half_open'),
          },
          recent_transitions: breakers.recentTransitions(),
        };
      },
    );
  };
}
