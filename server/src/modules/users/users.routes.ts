import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { access } from '../../platform/http/access.ts';
import { errorResponses } from '../../platform/http/openapi.ts';
import { auditContextOf } from '../audit/events.ts';
import {
  CounterPageSchema,
  CreateUserBody,
  ListCountersQuery,
  ListUsersQuery,
  ResetPasswordBody,
  UpdateUserBody,
  UserIdParams,
  UserPageSchema,
  UserSchema,
} from './users.schemas.ts';
import type { UsersService } from './users.service.ts';

export function usersRoutes(users: UsersService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['users'];

    app.get(
      '/api/users',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: 'List users',
          querystring: ListUsersQuery,
          response: { 200: UserPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        return users.list({ ...rest, limit });
      },
    );

    app.get(
      '/api/counters',
      {
        // Supervisors assign counters to locations: they need the active staff, nothing more.
        config: { access: access.roles('admin', 'supervisor') },
        schema: {
          tags,
          summary: 'Active staff users who can be assigned to count (id, username, display name)',
          querystring: ListCountersQuery,
          response: { 200: CounterPageSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, ...rest } = request.query;
        const page = await users.list({ ...rest, role: 'staff', active: true, limit });
        return {
          ...page,
          items: page.items.map(({ id, username, display_name }) => ({ id, username, display_name })),
        };
      },
    );

    app.post(
      '/api/users',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: 'Create a user',
          body: CreateUserBody,
          response: { 201: UserSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const user = await users.create(request.body, auditContextOf(request));
        request.log.info({ user_id: user.id, role: user.role }, 'user created');
        return reply.status(201).send(user);
      },
    );

    app.get(
      '/api/users/:id',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: 'Read a user',
          params: UserIdParams,
          response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => users.get(request.params.id),
    );

    app.patch(
      '/api/users/:id',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: 'Change role, name, active flag or PIN',
          params: UserIdParams,
          body: UpdateUserBody,
          response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const user = await users.update(request.params.id, request.body, auditContextOf(request));
        request.log.info({ user_id: user.id, fields: Object.keys(request.body) }, 'user updated');
        return user;
      },
    );

    app.post(
      '/api/users/:id/reset-password',
      {
        config: { access: access.roles('admin') },
        schema: {
          tags,
          summary: "Set a user's password and end their sessions",
          description: '409 `SELF_RESET` for your own account: use /api/auth/change-password.',
          params: UserIdParams,
          body: ResetPasswordBody,
          response: {
            204: { type: 'null', description: 'Password reset' },
            ...errorResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        await users.resetPassword(request.params.id, request.body.new_password, auditContextOf(request));
        request.log.info({ user_id: request.params.id }, 'password reset by admin');
        return reply.status(204).send(null);
      },
    );
  };
}
